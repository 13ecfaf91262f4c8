"""POST /api/logout: revocation of the family and of its access tokens."""

from __future__ import annotations

import httpx

from harness.seam.client import BackendClient
from tests.backend.wire import CSRF, bearer, login, parse_set_cookie, refresh


def test_logout_revokes_access_token_and_cookie_and_clears_it(
        http: httpx.Client, backend: BackendClient) -> None:
    session = login(http)
    r = http.post("/api/logout", headers={**CSRF, "Cookie": f"refresh_token={session.refresh}"})
    assert r.status_code == 204, r.text
    cleared = parse_set_cookie(r)
    assert (cleared.name, cleared.value, cleared.max_age) == ("refresh_token", "", 0)
    assert cleared.attributes["path"] == "/api"
    # The old access token fails at once (its sid names the revoked family)...
    r = http.get("/api/current-user", headers=bearer(session.access))
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == 'Bearer realm="api", error="invalid_token"'
    # ...and so does the old cookie.
    assert refresh(http, session.refresh).status_code == 401
    assert backend.sessions()[0].reason == "logout"


def test_logout_is_idempotent_and_spares_other_sessions(
        http: httpx.Client, backend: BackendClient) -> None:
    first, second = login(http), login(http)
    for _ in range(2):
        r = http.post("/api/logout", headers={**CSRF, "Cookie": f"refresh_token={first.refresh}"})
        assert r.status_code == 204, r.text
    assert http.post("/api/logout", headers=CSRF).status_code == 204  # no cookie at all
    assert http.get("/api/current-user", headers=bearer(second.access)).status_code == 200
    assert sorted(f.state for f in backend.sessions()) == ["live", "revoked"]


def test_logout_with_only_the_access_token_revokes_its_family(
        http: httpx.Client, backend: BackendClient) -> None:
    session = login(http)
    assert http.post("/api/logout", headers={**CSRF, **bearer(session.access)}).status_code == 204
    assert refresh(http, session.refresh).status_code == 401


def test_cross_site_logout_is_403_and_revokes_nothing(
        http: httpx.Client, backend: BackendClient) -> None:
    session = login(http)
    cookie = {"Cookie": f"refresh_token={session.refresh}"}
    foreign = http.post("/api/logout", headers={**CSRF, **cookie, "Origin": "http://evil.test"})
    no_header = http.post("/api/logout", headers=cookie)
    assert foreign.status_code == no_header.status_code == 403, (foreign.text, no_header.text)
    assert backend.sessions()[0].state == "live"
