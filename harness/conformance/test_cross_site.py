"""X: another site cannot use the refresh cookie; CORS admits exactly the SPA's origin."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext

from harness.browser.page_probes import cookie_value
from harness.seam.outsider import Outsider
from harness.servers.third_party import ThirdParty
from harness.verdicts import evidence
from harness.verdicts.check import Check

FOREIGN_ORIGIN = "https://attacker.example"

# The attacker's page: auto-submitted forms (into frames) and fetches, with and without
# credentials and the custom header, to refresh and logout. It reports when all settled.
# Filled in with the API's base URL, the two endpoints ([method, path]) and the custom
# header, as JSON. A form can only GET or POST, so an endpoint of another method (a DELETE
# logout) gets none: a POST to its path would try another endpoint (the login, say).
_ATTACK_PAGE = """<!doctype html><meta charset="utf-8"><title>working</title>
<body><script>
const [api, endpoints, csrf] = %s;
const formable = endpoints.filter(([method]) => method === "GET" || method === "POST");
const frames = formable.map(([method, path], i) => new Promise((done) => {
  const frame = document.createElement("iframe");
  frame.name = `f${i}`;
  frame.onload = done;
  document.body.append(frame);
  const form = document.createElement("form");
  form.method = method === "GET" ? "GET" : "POST"; form.action = api + path;
  form.target = frame.name;
  document.body.append(form);
  form.submit();
}));
const fetches = endpoints.flatMap(([method, path]) => [
  fetch(api + path, { method, mode: "no-cors", credentials: "include" }),
  fetch(api + path, { method, credentials: "include", headers: csrf }),
].map((p) => p.then((r) => r.type, (e) => "blocked")));
Promise.all([...frames, ...fetches]).then(() => { document.title = "done"; });
</script></body>"""


# What a page on another site can make a browser send without CORS: a form (GET, POST) and
# a no-cors fetch (GET, HEAD, POST). A fetch with the custom header, or of another method, is
# preflighted, and the refused preflight stops it before it is sent.
_FORM_METHODS = {"GET", "POST"}
_NO_CORS_METHODS = {"GET", "HEAD", "POST"}


def _sendable_cross_site(method: str) -> int:
    """How many of the attack page's requests to an endpoint of `method` reach it."""
    return (method in _FORM_METHODS) + (method in _NO_CORS_METHODS)


def _families(check: Check) -> list[tuple[str, int, str]]:
    return [(f.id, f.generation, f.state) for f in check.families()]


@pytest.mark.conformance("X1")
def test_X1_another_site_posting_to_refresh_and_logout_changes_nothing(
        harness_check: Check, _harness_other_site: ThirdParty, context: BrowserContext,
        _harness_api_base_url: str) -> None:
    check = harness_check
    facts, backend = check.facts, check.backend
    other_site, api_base_url = _harness_other_site, _harness_api_base_url
    if urlsplit(other_site.url).hostname == urlsplit(api_base_url).hostname:
        check.setup_failed("a server on another site", f"{other_site.url} is on the API's host")
    check.logged_in()
    before = _families(check)
    cookie = cookie_value(context, facts.cookie.name)

    targets = (facts.refresh, facts.logout)
    other_site.pages["/attack"] = _ATTACK_PAGE % json.dumps(
        [api_base_url, [[e.method, e.path] for e in targets], facts.csrf_headers])
    seq = backend.mark()
    attacker = context.new_page()
    check.setup("another site's page sends its forms and fetches",
                lambda: (attacker.goto(other_site.url + "/attack"),
                         attacker.wait_for_function("document.title === 'done'",
                                                    timeout=10_000)))
    # Everything that reached refresh or logout since is the attacker's: the app is idle.
    reached = [e for e in backend.journal(after=seq) if any(e.is_to(t) for t in targets)]
    sendable = sum(_sendable_cross_site(t.method) for t in targets)
    check.setup("another site's page sends its requests", lambda: check.require(
        len(reached) >= sendable, "attack",
        f"only {len(reached)} of the {sendable} a browser sends cross-site reached the "
        f"backend"))
    # The backend's part: the app's session below stands on it.
    prop = "another site posting to refresh and logout changes nothing"
    after = _families(check)
    check.backend_part(after == before, prop,
                       lambda: evidence.session_change(before, after),
                       f"sessions before: {before}; after: {after}", needed=True)
    issued = [e.path for e in reached if e.issued_access_token or e.issued_refresh_token]
    check.backend_part(not issued, prop, f"a cross-site request got tokens from {issued}",
                       needed=True)
    # An answer still missing (None) sorts first instead of breaking the sort.
    rejected = sorted({e.status for e in reached}, key=lambda s: -1 if s is None else s)
    # Any refusal (4xx): a form that cannot carry the token (an API that takes it in the
    # body) is refused as malformed, 400.
    # Another backend's answers are judged by what they changed (above): a logout that
    # found no cookie to end may say so with a 2xx.
    check.backend_part(facts.backend_is_theirs
                       or all(s is not None and 400 <= s < 500 for s in rejected), prop,
                       "cross-site requests were answered "
                       + ", ".join(str(s) if s else "not at all" for s in rejected),
                       needed=True)
    check.backend_part(cookie_value(context, facts.cookie.name) == cookie, prop,
                       "the refresh cookie changed", needed=True)
    attacker.close()
    seq = backend.mark()
    res = check.spa.request("GET", facts.current_user.path)
    check.require(res.status == 200, "the app's session is untouched by another site",
                  f"its next request resolved with {res.status}")
    check.require(backend.journal(after=seq).to(facts.refresh.path) == [],
                  "the app's session is untouched by another site", "the app had to refresh")


@pytest.mark.conformance("X2")
@pytest.mark.parametrize("endpoint", ["refresh", "logout"])
def test_X2_foreign_origin_or_missing_custom_header_is_403_and_rotates_nothing(
        harness_check: Check, _harness_outsider: Outsider, context: BrowserContext,
        endpoint: str) -> None:
    check = harness_check
    outsider, facts = _harness_outsider, check.facts
    path, method = getattr(facts, endpoint).path, getattr(facts, endpoint).method
    if facts.backend_is_theirs and facts.api.hands_refresh_token_to_scripts:
        pytest.skip("X2 (backend): not applicable: your API takes the refresh token in the "
                    "request, not from a cookie, so another site's page has nothing to send")
    if facts.backend_is_theirs and (facts.cookie.same_site == "Strict" or (
            facts.cookie.same_site == "Lax" and method != "GET")):
        # A browser never sends such a cookie with another site's request to this endpoint:
        # the backend's part holds without an Origin check. (The harness's own backend is
        # held to its Origin check as well.)
        return
    send = outsider.refresh if endpoint == "refresh" else outsider.logout
    check.logged_in()
    value = check.refresh_value(context)
    before = _families(check)
    # An API without a custom header (its profile says so) is held to the Origin check alone;
    # one with the double-submit defence to its token (a page on another site cannot read
    # the cookie it must echo, whatever its Origin).
    header = " or without the custom header" if facts.csrf_header else ""
    # The backend's part: the app's session below stands on it.
    prop = f"{path} with a foreign Origin{header} is refused with 403 and changes nothing"
    attempts = [("foreign Origin", lambda: send(value, origin=FOREIGN_ORIGIN))]
    if facts.csrf_defence == "double-submit":
        prop = f"{path} without X-CSRFToken echoing the csrftoken cookie is refused with 403 " \
               "and changes nothing"
        attempts = [("no X-CSRFToken", lambda: send(value, csrf_header=False))]
    elif facts.csrf_header:
        attempts.append(("no custom header", lambda: send(value, csrf_header=False)))
    for how, attempt in attempts:
        answer = attempt()
        check.backend_part(answer.status_code == 403, prop,
                           f"with {how} it answered {answer.status_code}", needed=True)
        gave = (facts.api.refresh_access_token in answer.text
                or (facts.api.hands_refresh_token_to_scripts
                    and facts.api.refresh_refresh_token in answer.text))
        check.backend_part("set-cookie" not in answer.headers and not gave, prop,
                           f"with {how} it set a cookie or gave a token", needed=True)
    after = _families(check)
    check.backend_part(after == before, prop,
                       lambda: evidence.session_change(before, after),
                       f"sessions before: {before}; after: {after}", needed=True)
    res = check.spa.request("GET", facts.current_user.path)
    check.require(res.status == 200, "the app's session is untouched",
                  f"its next request resolved with {res.status}")


@pytest.mark.conformance("X3", cross_origin_only=True)
def test_X3_cors_admits_the_spa_origin_with_credentials_and_no_other(
        harness_check: Check, _harness_outsider: Outsider, _harness_spa_url: str,
        _harness_api_base_url: str) -> None:
    check = harness_check
    spa, outsider, spa_url = check.spa, _harness_outsider, _harness_spa_url
    jobs = check.facts.list.path
    if urlsplit(spa_url).netloc == urlsplit(_harness_api_base_url).netloc:
        check.setup_failed("the app on its own origin (cross-origin topology)",
                           f"the app and the API are both on {spa_url}")
    check.logged_in()
    prop = "CORS admits the app's origin with credentials, and no other"
    with spa.page.expect_response(lambda r: jobs in r.url) as answer:
        res = spa.request("GET", f"{jobs}?x3=1")
    check.backend_part(res.status == 200, prop,
                       f"a cross-origin request resolved with {res.status}", needed=True)
    headers = answer.value.all_headers()
    allow = {k: headers.get(k) for k in ("access-control-allow-origin",
                                         "access-control-allow-credentials")}
    check.backend_part(allow == {"access-control-allow-origin": spa_url,
                                 "access-control-allow-credentials": "true"}, prop,
                       f"the answer's CORS headers {allow}")
    preflights = check.backend.journal(method="OPTIONS").statuses()
    check.backend_part(preflights and all(200 <= (p or 0) < 300 for p in preflights), prop,
                       f"preflights answered {preflights}")

    allowed = outsider.options(jobs, spa_url)
    check.backend_part(allowed.headers.get("access-control-allow-origin") == spa_url, prop,
                       f"a preflight from the app's origin got "
                       f"{allowed.headers.get('access-control-allow-origin')}")
    foreign = outsider.options(jobs, FOREIGN_ORIGIN)
    check.backend_part("access-control-allow-origin" not in foreign.headers, prop,
                       f"a foreign origin got "
                       f"{foreign.headers.get('access-control-allow-origin')}")
    simple = outsider.get(check.facts.current_user.path, "x")
    check.backend_part("access-control-allow-origin" not in simple.headers, prop,
                       "a request without Origin got Access-Control-Allow-Origin")
