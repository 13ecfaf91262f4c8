"""Every lifetime at its exact edges: one second before, the instant itself, one second after.

The backend clock is frozen on a whole second (`iat` and `exp` are whole seconds), so each
request stands at exactly the instant it names; a running clock would move on between two
requests and could never show a `>=` that became `>`.
"""

from __future__ import annotations

import httpx
import pytest

from harness.fixtures.servers import ServeBackend
from harness.seam.client import BackendClient
from tests.backend.wire import bearer, login, parse_set_cookie, refresh

T0 = 2_000_000_000  # a whole second
ACCESS_TTL = 15 * 60


def _client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=10)


@pytest.mark.parametrize(("offset", "status"), [(-1, 200), (0, 401), (1, 401)])
def test_access_token_at_its_exp(http: httpx.Client, backend: BackendClient, offset: int,
                                 status: int) -> None:
    backend.freeze_clock(at=T0)
    token = login(http).access
    backend.set_clock(T0 + ACCESS_TTL + offset)
    r = http.get("/api/current-user", headers=bearer(token))
    assert r.status_code == status, f"exp {offset:+d} s: {r.status_code} {r.text}"


@pytest.mark.parametrize(("offset", "status"), [(-1, 200), (0, 401), (1, 401)])
def test_family_at_its_absolute_end(serve_backend: ServeBackend, offset: int,
                                    status: int) -> None:
    server = serve_backend(refresh_ttl=3600)
    with BackendClient(server.url) as control, _client(server.url) as http:
        control.freeze_clock(at=T0)
        value = login(http).refresh
        control.set_clock(T0 + 3600 + offset)
        r = refresh(http, value)
        assert r.status_code == status, f"end {offset:+d} s: {r.status_code} {r.text}"
        if status == 401:
            assert "expired" in r.json()["message"], r.text
            assert [f.state for f in control.sessions()] == ["expired"]


@pytest.mark.parametrize(("offset", "status", "state"), [
    (-1, 200, "live"), (0, 200, "live"), (1, 401, "revoked"),
])
def test_previous_value_at_the_end_of_the_reuse_grace_window(
        serve_backend: ServeBackend, offset: int, status: int, state: str) -> None:
    # No race window, so only the grace window decides (`now - rotated_at <= grace`).
    server = serve_backend(reuse_grace=30, race_window=0)
    with BackendClient(server.url) as control, _client(server.url) as http:
        control.freeze_clock(at=T0)
        previous = login(http).refresh
        assert refresh(http, previous).status_code == 200  # rotated at T0
        control.set_clock(T0 + 30 + offset)
        r = refresh(http, previous)
        assert r.status_code == status, f"grace {offset:+d} s: {r.status_code} {r.text}"
        assert [f.state for f in control.sessions()] == [state]


@pytest.mark.parametrize(("offset", "state"), [(-1, "live"), (0, "live"), (1, "revoked")])
def test_previous_value_at_the_end_of_the_race_window(
        serve_backend: ServeBackend, offset: int, state: str) -> None:
    # Inside the window (`late_by <= window`) a lost race: 401, no revocation; after it, reuse.
    server = serve_backend(race_window=2)
    with BackendClient(server.url) as control, _client(server.url) as http:
        control.freeze_clock(at=T0)
        previous = login(http).refresh
        current = parse_set_cookie(refresh(http, previous)).value  # committed at T0
        control.set_clock(T0 + 2 + offset)
        r = refresh(http, previous)
        assert r.status_code == 401, r.text
        assert [f.state for f in control.sessions()] == [state], f"race {offset:+d} s"
        if state == "live":
            assert "superseded" in r.json()["message"] and "set-cookie" not in r.headers
            assert refresh(http, current).status_code == 200
