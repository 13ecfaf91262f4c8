"""S: storage and cookies. Token values are the exact ones the journal says were issued."""

from __future__ import annotations

import json
import time
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext
from playwright.sync_api import Error as PlaywrightError

from harness.browser.page_probes import found_in_document, found_in_globals, found_in_storage
from harness.browser.page_watch import PageWatch
from harness.verdicts.check import Check


def _attributes(cookie: dict[str, Any], host: str | None) -> str:
    """A cookie's attributes in Set-Cookie's words: `HttpOnly, not Secure, SameSite=Lax,
    Path=/, host-only`."""
    return ", ".join([
        "HttpOnly" if cookie["httpOnly"] else "not HttpOnly",
        "Secure" if cookie["secure"] else "not Secure",
        f"SameSite={cookie['sameSite']}", f"Path={cookie['path']}",
        "host-only" if cookie["domain"] == host else f"Domain={cookie['domain']}"])


def _refresh_token_out_of_scripts_reach(check: Check) -> None:
    """S1, S2, S4, S5 fail at once when the backend's API itself hands the refresh token
    to JavaScript: no app on that API can keep it out of scripts' reach."""
    api = check.facts.api
    if not api.hands_refresh_token_to_scripts:
        return
    carried = (f"in the {api.refresh_field!r} header" if api.refresh_transport == "header"
               else f"in the {api.refresh_field!r} field of the request body")
    prop = "the refresh token stays out of reach of scripts (an HttpOnly cookie)"
    instead = (f"the API ({api.name} profile) gives the refresh token to scripts: the login "
               f"and refresh answers carry it in {api.refresh_refresh_token!r}, and the app "
               f"sends it back {carried}")
    if check.facts.backend_is_theirs:
        # A team's backend that hands it out: no app on it can do better, so it is the
        # backend's finding, and the app's part is not judged.
        check.backend_part(False, prop, instead, needed=True)
    check.fail(prop, instead,
               "any script on the page (an injected one, a compromised dependency) can read "
               "it and keep the session going elsewhere for the refresh token's lifetime",
               "the cookie alternative: the backend sets the refresh token in an HttpOnly; "
               "Secure; SameSite=Strict cookie whose Path covers the refresh and logout "
               "endpoints, answers only the access token in JSON, and the browser sends the "
               "cookie by itself (transport = \"cookie\" in an API profile)")


def _renew(check: Check) -> None:
    """One refresh through the app: the access token expires, the next request renews it."""
    backend = check.backend
    before = len(backend.journal().refreshes())
    check.expire_access_token()
    current_user = check.facts.current_user.path
    check.setup("one refresh through the app (checks R1-R2)", lambda: check.require(
        check.spa.request("GET", current_user).status == 200
        and len(backend.journal().refreshes()) > before, "renewed", "a request with an "
        "expired token did not succeed through a refresh"))


_LOGIN_AGAIN = """async ([url, body, type]) => {
  const res = await fetch(url, { method: "POST", body, credentials: "include",
                                 headers: { "Content-Type": type } });
  return res.text();
}"""


def _json_object(text: str) -> dict[str, object]:
    body = json.loads(text)
    if not isinstance(body, dict):
        raise ValueError(f"not a JSON object: {text[:60]!r}")
    return body


@pytest.mark.conformance("S1")
def test_S1_login_json_has_access_token_and_no_refresh_token(harness_check: Check) -> None:
    check = harness_check
    facts, spa = check.facts, check.spa
    login_path = facts.login.path
    _refresh_token_out_of_scripts_reach(check)
    check.setup(f"open {check.home}", lambda: spa.open(check.home))
    with check.page.expect_response(lambda r: urlsplit(r.url).path == login_path) as answer:
        check.app_login(what="log in")
    try:
        text = answer.value.text()
    except PlaywrightError:
        # Chromium sometimes keeps no copy of a body the page read as a stream: log in once
        # more from the page itself and read that answer's JSON there.
        request = answer.value.request
        text = check.page.evaluate(_LOGIN_AGAIN, [answer.value.url, request.post_data,
                                                  request.headers.get("content-type", "")])
    body = check.setup("read the login answer as JSON", lambda: _json_object(text))
    # What this login's answer handed out, as the backend recorded it.
    journal = check.backend.journal()
    [login] = [e for e in journal.to(facts.login) if e.status == 200][-1:]
    # The backend's part, all of it: the app only logs in.
    field = facts.api.login_access_token
    check.backend_part(body.get(field) == login.issued_access_token,
                       "the login answer's JSON carries the access token",
                       f"it has no {field} with the issued value; keys {sorted(body)}")
    issued = journal.issued()
    leaked = [t[:12] for t in issued.refresh_tokens if t in text]
    check.backend_part(not leaked, "the login answer's JSON never carries the refresh token",
                       lambda: f"login JSON carries the refresh token ({leaked[0]}…)")
    # An empty field carries nothing (dj-rest-auth answers `"refresh": ""` in cookie mode).
    named = [k for k, v in body.items() if "refresh" in k.lower() and v not in ("", None)]
    check.backend_part(not named, "the login answer's JSON has no refresh field",
                       f"its top-level fields include {named}")


@pytest.mark.conformance("S2", cross_origin=True)
def test_S2_refresh_cookie_is_httponly_secure_strict_host_only_and_bounded(
        harness_check: Check, context: BrowserContext, _harness_api_base_url: str) -> None:
    check = harness_check
    facts = check.facts
    _refresh_token_out_of_scripts_reach(check)
    check.logged_in()
    api = urlsplit(_harness_api_base_url)
    wanted = {"httpOnly": True, "secure": True, "sameSite": "Strict",
              "path": facts.cookie.path, "domain": api.hostname}

    def assert_cookie(moment: str) -> None:
        # Every cookie of the jar, not those for one URL: a wrong Path or Domain must show.
        cookies = [c for c in context.cookies() if c["name"] == facts.cookie.name]
        check.backend_part(len(cookies) == 1, f"{moment} one refresh cookie is set",
                           f"the browser holds {len(cookies)} {facts.cookie.name} cookies",
                           f"the cookies: {cookies}", needed=True)
        cookie = cookies[0]
        flags = {k: cookie[k]  # type: ignore[literal-required]
                 for k in ("httpOnly", "secure", "sameSite", "path", "domain")}
        check.backend_part(flags == wanted, "the refresh cookie is HttpOnly, Secure, "
                                            "SameSite=Strict, host-only, with the expected Path",
                           lambda: f"{moment} it is {_attributes(flags, api.hostname)}",
                           f"attributes: {flags}", f"expected: {wanted}")
        lifetime, bound = cookie["expires"] - time.time(), facts.refresh_ttl
        # A minute of slack: the browser dates the cookie when the answer arrives. Behind
        # the edge, only a lifetime the edge knows bounds it.
        check.backend_part(0 < lifetime <= bound + 60 or not facts.refresh_ttl_known,
                           "the refresh cookie expires with the session",
                           f"refresh cookie {moment} lives {lifetime:.0f} s, not within "
                           f"(0, {bound:.0f} + 60]")

    assert_cookie("after login")
    # Every rotation sets the cookie anew: each one must carry the same attributes.
    for round_ in (1, 2):
        _renew(check)
        assert_cookie(f"after refresh {round_}")


@pytest.mark.conformance("S3")
def test_S3_document_cookie_never_shows_the_refresh_token(
        harness_check: Check, harness_spa_routes: list[str]) -> None:
    check = harness_check
    name = check.facts.cookie.name

    def assert_hidden(moment: str) -> None:
        seen = check.page.evaluate("() => document.cookie")
        values = check.backend.journal().issued().refresh_tokens
        names = [part.split("=", 1)[0].strip() for part in seen.split(";")]
        check.require(name not in names and not any(t in seen for t in values),
                      "document.cookie never shows the refresh token",
                      f"document.cookie shows the refresh token {moment}: {seen[:60]!r}")

    check.logged_in()
    assert_hidden("after login")
    _renew(check)
    assert_hidden("after a refresh")
    for route in harness_spa_routes:
        check.setup(f"open {route}", partial(check.spa.open, route))
        assert_hidden(f"on {route} after a reload")


@pytest.mark.conformance("S4")
def test_S4_no_token_value_in_any_browser_storage(harness_check: Check) -> None:
    check = harness_check
    _refresh_token_out_of_scripts_reach(check)

    def assert_absent(moment: str) -> None:
        values = check.backend.journal().issued().all_values
        found = found_in_storage(check.page, values)
        check.require(not found, "no token value is kept in browser storage",
                      lambda: f"token value in storage {moment}: {'; '.join(found)}")

    check.logged_in()
    assert_absent("after login")
    _renew(check)
    assert_absent("after a refresh")
    check.setup("reload (check L1)", lambda: check.spa.open(check.home))
    check.require(check.spa.is_authenticated(), "set-up: the session survives a reload (L1)",
                  "isAuthenticated() is false after the reload")
    assert_absent("after a reload")
    check.setup("log out", check.spa.logout)
    assert_absent("after logout")


@pytest.mark.conformance("S5")
def test_S5_access_token_not_in_globals_url_history_dom_or_console(
        harness_check: Check, _harness_page_watch: PageWatch) -> None:
    check = harness_check
    _refresh_token_out_of_scripts_reach(check)
    prop = "the access token is not reachable from window, the URL, history or the console"

    def assert_unreachable(moment: str) -> None:
        tokens = check.backend.journal().issued().access_tokens
        hits = found_in_globals(check.page, tokens)
        check.require(not hits, prop, lambda: f"access token reachable from window {moment}: "
                                              f"{', '.join(hits[:5])}")
        places = found_in_document(check.page, tokens)
        check.require(not places, prop, lambda: f"access token {moment}: {'; '.join(places)}")

    check.logged_in(check.guarded)
    assert_unreachable("after login")
    _renew(check)
    assert_unreachable("after a refresh")
    tokens = check.backend.journal().issued().access_tokens
    in_urls = [u for u in _harness_page_watch.urls if any(t in u for t in tokens)]
    check.require(not in_urls, prop,
                  lambda: f"access token in a URL the page visited: {in_urls[0][:80]}")
    in_console = [m for m in _harness_page_watch.console if any(t in m for t in tokens)]
    check.require(not in_console, prop,
                  lambda: f"access token in console output: {in_console[0][:80]}")
