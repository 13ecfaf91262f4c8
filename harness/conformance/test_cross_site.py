"""X: another site cannot use the refresh cookie; CORS admits exactly the SPA's origin."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext

from harness import evidence
from harness.backend_client import BackendClient
from harness.driver import SpaDriver
from harness.outsider import Outsider
from harness.page_probes import cookie_value
from harness.third_party import ThirdParty
from mock_backend import Settings

FOREIGN_ORIGIN = "https://attacker.example"

# The attacker's page: auto-submitted forms (into frames) and fetches, with and without
# credentials and the custom header, to refresh and logout. It reports when all settled.
_ATTACK_PAGE = """<!doctype html><meta charset="utf-8"><title>working</title>
<body><script>
const api = %s;
const paths = ["/api/refresh-token", "/api/logout"];
const frames = paths.map((path, i) => new Promise((done) => {
  const frame = document.createElement("iframe");
  frame.name = `f${i}`;
  frame.onload = done;
  document.body.append(frame);
  const form = document.createElement("form");
  form.method = "POST"; form.action = api + path; form.target = frame.name;
  document.body.append(form);
  form.submit();
}));
const fetches = paths.flatMap((path) => [
  fetch(api + path, { method: "POST", mode: "no-cors", credentials: "include" }),
  fetch(api + path, { method: "POST", credentials: "include",
                      headers: { "X-Requested-With": "XMLHttpRequest" } }),
].map((p) => p.then((r) => r.type, (e) => "blocked")));
Promise.all([...frames, ...fetches]).then(() => { document.title = "done"; });
</script></body>"""


def _families(backend: BackendClient) -> list[tuple[str, int, str]]:
    return [(f["id"], f["generation"], f["state"]) for f in backend.sessions()]


@pytest.mark.conformance("X1")
def test_X1_another_site_posting_to_refresh_and_logout_changes_nothing(
        spa: SpaDriver, backend: BackendClient, other_site: ThirdParty,
        context: BrowserContext, api_base_url: str, backend_settings: Settings) -> None:
    assert urlsplit(other_site.url).hostname != urlsplit(api_base_url).hostname
    spa.open("/")
    spa.login()
    before = _families(backend)
    cookie = cookie_value(context, backend_settings.cookie_name)

    other_site.pages["/attack"] = _ATTACK_PAGE % json.dumps(api_base_url)
    seq = evidence.mark(backend)
    attacker = context.new_page()
    attacker.goto(other_site.url + "/attack")
    attacker.wait_for_function("document.title === 'done'")
    # Everything that reached refresh or logout since is the attacker's: the app is idle.
    reached = [e for e in evidence.since(backend, seq, method="POST")
               if e["path"] in ("/api/refresh-token", "/api/logout")]
    assert len(reached) >= 4, f"X1: the attack did not reach the backend: {reached}"

    assert _families(backend) == before, f"X1: families changed: {before} -> {_families(backend)}"
    issued = [e["path"] for e in reached
              if e["issued_access_token"] or e["issued_refresh_token"]]
    assert not issued, f"X1: a cross-site request got tokens from {issued}"
    rejected = sorted({e["status"] for e in reached})
    assert all(s in (401, 403) for s in rejected), f"X1: cross-site answers {rejected}"
    assert cookie_value(context, backend_settings.cookie_name) == cookie, (
        "X1: the refresh cookie changed")
    attacker.close()
    seq = evidence.mark(backend)
    assert spa.request("GET", "/api/current-user").status == 200, "X1: the session broke"
    assert evidence.since(backend, seq, evidence.REFRESH_PATH) == [], (
        "X1: the app had to refresh afterwards")


@pytest.mark.conformance("X2")
@pytest.mark.parametrize("path", ["/api/refresh-token", "/api/logout"])
def test_X2_foreign_origin_or_missing_custom_header_is_403_and_rotates_nothing(
        spa: SpaDriver, backend: BackendClient, outsider: Outsider, context: BrowserContext,
        backend_settings: Settings, path: str) -> None:
    spa.open("/")
    spa.login()
    cookie = cookie_value(context, backend_settings.cookie_name)
    assert cookie, "X2: no refresh cookie after login"
    before = _families(backend)
    for how, answer in (("foreign Origin", outsider.post(path, cookie, origin=FOREIGN_ORIGIN)),
                        ("no custom header", outsider.post(path, cookie, csrf_header=False))):
        assert answer.status_code == 403, f"X2: {path} with {how} answered {answer.status_code}"
        assert "set-cookie" not in answer.headers, f"X2: {path} with {how} set a cookie"
        assert "accessToken" not in answer.text
    assert _families(backend) == before, f"X2: families changed: {before} -> {_families(backend)}"
    assert spa.request("GET", "/api/current-user").status == 200


@pytest.mark.conformance("X3", cross_origin_only=True)
def test_X3_cors_admits_the_spa_origin_with_credentials_and_no_other(
        spa: SpaDriver, backend: BackendClient, outsider: Outsider, spa_url: str,
        api_base_url: str) -> None:
    assert urlsplit(spa_url).netloc != urlsplit(api_base_url).netloc, "X3 needs cross-origin"
    spa.open("/")
    spa.login()
    with spa.page.expect_response(lambda r: "/api/job-list" in r.url) as answer:
        assert spa.request("GET", "/api/job-list?x3=1").status == 200
    headers = answer.value.all_headers()
    assert headers.get("access-control-allow-origin") == spa_url, headers
    assert headers.get("access-control-allow-credentials") == "true", headers
    preflights = [e["status"] for e in backend.journal(method="OPTIONS")]
    assert preflights and set(preflights) == {200}, f"X3: preflights answered {preflights}"

    allowed = outsider.options("/api/job-list", spa_url)
    assert allowed.headers.get("access-control-allow-origin") == spa_url
    foreign = outsider.options("/api/job-list", FOREIGN_ORIGIN)
    assert "access-control-allow-origin" not in foreign.headers, (
        f"X3: a foreign origin got {foreign.headers.get('access-control-allow-origin')}")
    simple = outsider.get("/api/current-user", "x")
    assert "access-control-allow-origin" not in simple.headers
