"""POST /api/refresh-token: rotation, reuse detection, lifetime, CSRF."""

from __future__ import annotations

import httpx
import pytest

from harness.fixtures.servers import ServeBackend
from harness.seam.client import BackendClient
from mock_backend import Settings
from tests.backend.wire import bearer, login, parse_set_cookie, refresh


def test_refresh_rotates_the_cookie_and_returns_a_new_access_token(
        http: httpx.Client, backend: BackendClient) -> None:
    session = login(http)
    r = refresh(http, session.refresh)
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"accessToken", "expiresIn"}
    successor = parse_set_cookie(r).value
    assert successor != session.refresh and successor not in r.text
    assert http.get("/api/current-user", headers=bearer(r.json()["accessToken"])).status_code == 200
    [family] = backend.sessions()
    assert (family.generation, family.state) == (1, "live")


@pytest.mark.parametrize("cookie", [None, "", "not-a-token", "A" * 43])
def test_missing_or_unknown_cookie_is_401_and_cleared(
        http: httpx.Client, backend: BackendClient, cookie: str | None) -> None:
    login(http)
    r = refresh(http, cookie)
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "invalid_refresh_token"
    cleared = parse_set_cookie(r)
    assert cleared.value == "" and cleared.max_age == 0 and cleared.attributes["path"] == "/api"
    assert [f.state for f in backend.sessions()] == ["live"]  # nothing revoked


def test_refresh_with_rotated_token_revokes_family(http: httpx.Client, backend: BackendClient,
                                                   harness_backend_settings: Settings) -> None:
    session = login(http)
    newest = parse_set_cookie(refresh(http, session.refresh)).value
    # A thief replays the rotated value later than a racing tab could: the whole family dies.
    backend.advance_clock(harness_backend_settings.race_window + 1)
    replay = refresh(http, session.refresh)
    assert replay.status_code == 401, replay.text
    assert "reused" in replay.json()["message"]
    [family] = backend.sessions()
    assert (family.state, family.reason) == ("revoked", "reuse")
    # The newest value of the family is rejected too, and so are its access tokens.
    assert refresh(http, newest).status_code == 401
    assert http.get("/api/current-user", headers=bearer(session.access)).status_code == 401


def test_grace_window_accepts_only_the_immediately_previous_token(
        serve_backend: ServeBackend) -> None:
    server = serve_backend(reuse_grace=30)
    with BackendClient(server.url) as control, httpx.Client(base_url=server.url) as http:
        gen0 = login(http).refresh
        gen1 = parse_set_cookie(refresh(http, gen0)).value
        # Inside the window the previous value still works (it rotates once more)...
        r = refresh(http, gen0)
        assert r.status_code == 200, r.text
        gen2 = parse_set_cookie(r).value
        assert control.sessions()[0].generation == 2
        # ...but an older generation is reuse: the family is revoked.
        r = refresh(http, gen0)
        assert r.status_code == 401, r.text
        assert control.sessions()[0].state == "revoked"
        assert refresh(http, gen2).status_code == 401
        assert gen1 != gen2


def test_previous_token_after_the_grace_window_revokes(serve_backend: ServeBackend) -> None:
    server = serve_backend(reuse_grace=30)
    with BackendClient(server.url) as control, httpx.Client(base_url=server.url) as http:
        gen0 = login(http).refresh
        assert refresh(http, gen0).status_code == 200
        control.advance_clock(31)
        assert refresh(http, gen0).status_code == 401
        assert control.sessions()[0].reason == "reuse"


def test_refresh_family_ends_after_its_absolute_lifetime(http: httpx.Client,
                                                         backend: BackendClient) -> None:
    value = login(http).refresh
    for _ in range(6):  # rotating daily never extends the 7 days
        backend.advance_clock(86400)
        r = refresh(http, value)
        assert r.status_code == 200, r.text
        value = parse_set_cookie(r).value
    backend.advance_clock(86400)
    r = refresh(http, value)
    assert r.status_code == 401, r.text
    assert "expired" in r.json()["message"]
    assert backend.sessions()[0].state == "expired"


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.test"},
    {"Origin": "null"},
    {"Origin": "http://localhost.evil.test"},
    {"Sec-Fetch-Site": "cross-site"},
    {"X-Requested-With": ""},
])
def test_cross_site_refresh_is_403_without_rotation(
        http: httpx.Client, backend: BackendClient, headers: dict[str, str]) -> None:
    session = login(http)
    r = refresh(http, session.refresh, headers)
    assert r.status_code == 403, r.text
    assert "set-cookie" not in r.headers
    [family] = backend.sessions()
    assert (family.generation, family.state) == (0, "live")
    assert refresh(http, session.refresh).status_code == 200  # the value still works


def test_allowed_origin_may_refresh(serve_backend: ServeBackend) -> None:
    server = serve_backend(allow_origins=["http://localhost:4200"])
    with httpx.Client(base_url=server.url) as http:
        value = login(http).refresh
        r = refresh(http, value, {"Origin": "http://localhost:4200"})
        assert r.status_code == 200, r.text
        assert r.headers["access-control-allow-origin"] == "http://localhost:4200"
        assert r.headers["access-control-allow-credentials"] == "true"


def test_get_on_refresh_is_405(http: httpx.Client) -> None:
    r = http.get("/api/refresh-token")
    assert r.status_code == 405, r.text
    assert r.json()["error"] == "method_not_allowed"


def test_form_body_on_refresh_is_415(http: httpx.Client, backend: BackendClient) -> None:
    session = login(http)
    r = http.post("/api/refresh-token", content=b"a=b",
                  headers={"Content-Type": "application/x-www-form-urlencoded",
                           "X-Requested-With": "x", "Cookie": f"refresh_token={session.refresh}"})
    assert r.status_code == 415, r.text
    assert backend.sessions()[0].generation == 0


def test_refresh_failure_status_403_for_apps_that_expect_it(serve_backend: ServeBackend) -> None:
    server = serve_backend(refresh_failure_status=403)
    with httpx.Client(base_url=server.url) as http:
        r = refresh(http, "unknown-value")
        assert r.status_code == 403, r.text
        assert r.json()["error"] == "invalid_refresh_token"
        assert parse_set_cookie(r).max_age == 0
