"""S: storage and cookies. Token values are the exact ones the journal says were issued."""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext
from playwright.sync_api import Error as PlaywrightError

from harness import evidence
from harness.backend_client import BackendClient
from harness.driver import SpaDriver
from harness.page_probes import found_in_document, found_in_globals, found_in_storage
from harness.page_watch import PageWatch
from mock_backend import Settings


def _renew(spa: SpaDriver, backend: BackendClient) -> None:
    """One refresh through the app: the access token expires, the next request renews it."""
    evidence.expire_access_token(backend)
    assert spa.request("GET", "/api/current-user").status == 200
    assert len(evidence.refreshes(backend)) >= 1


_LOGIN_AGAIN = """async ([url, body]) => {
  const res = await fetch(url, { method: "POST", body, credentials: "include",
                                 headers: { "Content-Type": "application/json" } });
  return res.text();
}"""


@pytest.mark.conformance("S1")
def test_S1_login_json_has_access_token_and_no_refresh_token(
        spa: SpaDriver, backend: BackendClient) -> None:
    spa.open("/")
    with spa.page.expect_response(lambda r: urlsplit(r.url).path == "/api/login") as answer:
        spa.login()
    try:
        text = answer.value.text()
    except PlaywrightError:
        # Chromium sometimes keeps no copy of a body the page read as a stream: log in once
        # more from the page itself and read that answer's JSON there.
        text = spa.page.evaluate(_LOGIN_AGAIN, [answer.value.url, answer.value.request.post_data])
    body = json.loads(text)
    issued = evidence.issued(backend)
    assert body.get("accessToken") == issued.access_tokens[-1], (
        f"S1: login JSON lacks the issued access token: keys {sorted(body)}")
    leaked = [v[:12] for v in issued.refresh_tokens if v in text]
    assert not leaked, f"S1: login JSON carries the refresh token ({leaked[0]}…)"
    named = [k for k in body if "refresh" in k.lower()]
    assert not named, f"S1: login JSON has refresh fields {named}"


@pytest.mark.conformance("S2", cross_origin=True)
def test_S2_refresh_cookie_is_httponly_secure_strict_host_only_and_bounded(
        spa: SpaDriver, backend: BackendClient, context: BrowserContext,
        backend_settings: Settings, api_base_url: str) -> None:
    spa.open("/")
    spa.login()
    api = urlsplit(api_base_url)
    # Every cookie of the jar, not those for one URL: a wrong Path or Domain must show.
    cookies = [c for c in context.cookies() if c["name"] == backend_settings.cookie_name]
    assert len(cookies) == 1, f"S2: expected one {backend_settings.cookie_name} cookie: {cookies}"
    cookie = cookies[0]
    flags = {k: cookie[k] for k in ("httpOnly", "secure", "sameSite", "path", "domain")}  # type: ignore[literal-required]
    assert flags == {"httpOnly": True, "secure": True, "sameSite": "Strict",
                     "path": backend_settings.cookie_path, "domain": api.hostname}, (
        f"S2: refresh cookie attributes {flags}")
    lifetime, bound = cookie["expires"] - time.time(), backend_settings.refresh_ttl
    assert 0 < lifetime <= bound + 60, (
        f"S2: refresh cookie lives {lifetime:.0f} s, not within (0, {bound:.0f}]")


@pytest.mark.conformance("S3")
def test_S3_document_cookie_never_shows_the_refresh_token(
        spa: SpaDriver, backend: BackendClient, backend_settings: Settings,
        spa_routes: list[str]) -> None:
    name = backend_settings.cookie_name

    def assert_hidden(moment: str) -> None:
        seen = spa.page.evaluate("() => document.cookie")
        values = evidence.issued(backend).refresh_tokens
        assert f"{name}=" not in seen and not any(v in seen for v in values), (
            f"S3: document.cookie shows the refresh token {moment}: {seen[:60]!r}")

    spa.open("/")
    spa.login()
    assert_hidden("after login")
    _renew(spa, backend)
    assert_hidden("after a refresh")
    for route in spa_routes:
        spa.open(route)
        assert_hidden(f"on {route} after a reload")


@pytest.mark.conformance("S4")
def test_S4_no_token_value_in_any_browser_storage(spa: SpaDriver,
                                                  backend: BackendClient) -> None:
    def assert_absent(moment: str) -> None:
        values = evidence.issued(backend).all_values
        assert values, "S4: no token issued yet"
        found = found_in_storage(spa.page, values)
        assert not found, f"S4: token value in storage {moment}: {'; '.join(found)}"

    spa.open("/")
    spa.login()
    assert_absent("after login")
    _renew(spa, backend)
    assert_absent("after a refresh")
    spa.open("/")
    assert spa.is_authenticated(), "S4: the session did not survive a reload"
    assert_absent("after a reload")
    spa.logout()
    assert_absent("after logout")


@pytest.mark.conformance("S5")
def test_S5_access_token_not_in_globals_url_history_dom_or_console(
        spa: SpaDriver, backend: BackendClient, page_watch: PageWatch) -> None:
    def assert_unreachable(moment: str) -> None:
        tokens = evidence.issued(backend).access_tokens
        hits = found_in_globals(spa.page, tokens)
        assert not hits, f"S5: access token reachable from window {moment}: {', '.join(hits[:5])}"
        places = found_in_document(spa.page, tokens)
        assert not places, f"S5: access token {moment}: {'; '.join(places)}"

    spa.open("/profile")
    spa.login()
    assert_unreachable("after login")
    _renew(spa, backend)
    assert_unreachable("after a refresh")
    tokens = evidence.issued(backend).access_tokens
    in_urls = [u for u in page_watch.urls if any(t in u for t in tokens)]
    assert not in_urls, f"S5: access token in a URL the page visited: {in_urls[0][:80]}"
    in_console = [m for m in page_watch.console if any(t in m for t in tokens)]
    assert not in_console, f"S5: access token in console output: {in_console[0][:80]}"
