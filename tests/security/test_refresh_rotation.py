"""SECURITY-CHECKS cases 21-26: refresh values rotate once, reuse kills the family, lifetimes end.

RFC 9700 section 4.14.2: every use rotates the refresh value, and presenting a rotated one
revokes the whole family, since either the client or a thief holds a stolen copy.
"""

from __future__ import annotations

import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from harness.seam.client import BackendClient
from mock_backend import Settings
from tests.backend.wire import login, parse_set_cookie, refresh
from tests.security import forge
from tests.security.answers import cookie_cleared, no_cookie, not_echoed, unauthorized
from tests.security.conftest import ServeTarget, Target, http_client

ME = "/api/current-user"
RACE_WINDOW = Settings.race_window  # the default, which `serve_target` keeps


def _refused(r: httpx.Response, *, value_sent: bool = True) -> str:
    """401 invalid_refresh_token in RFC 6750 form, the cookie cleared; returns the message."""
    body = unauthorized(r, token_sent=value_sent, error="invalid_refresh_token")
    cookie_cleared(r)
    return str(body["message"])


def test_case21_missing_unknown_flipped_or_access_token_cookie_is_401_and_revokes_nothing(
        http: httpx.Client, backend: BackendClient) -> None:
    session = login(http)
    raw = forge.unb64url(session.refresh)
    attempts = {
        "no cookie": None,
        "an unknown value": secrets.token_urlsafe(32),
        "a bit-flipped value": forge.b64url(bytes([raw[0] ^ 0x01]) + raw[1:]),
        "the access token": session.access,
    }
    before = backend.sessions()
    for name, value in attempts.items():
        r = refresh(http, value)
        assert r.status_code == 401, f"{name}: {r.status_code} {r.text}"
        _refused(r, value_sent=value is not None)
        if value:
            not_echoed(r, value)
        assert backend.sessions() == before, name  # nothing rotated, nothing revoked
    assert refresh(http, session.refresh).status_code == 200  # still the current value


def test_case22_valid_refresh_rotates_with_exactly_the_promised_cookie(target: Target) -> None:
    session = target.login()
    r = refresh(target.http, session.refresh)
    assert r.status_code == 200, r.text
    assert r.json().keys() == {"accessToken", "expiresIn"} and r.json()["expiresIn"] == 900
    assert r.headers["cache-control"] == "no-store"  # RFC 6749 section 5.1
    # The cookie: HttpOnly; Secure; SameSite=Strict; Path=/api; Max-Age; no Domain, nothing else.
    cookie = parse_set_cookie(r)
    assert set(cookie.attributes) == {"httponly", "secure", "samesite", "path", "max-age"}
    assert (cookie.attributes["samesite"].lower(), cookie.attributes["path"]) == ("strict", "/api")
    [family] = target.control.sessions()
    assert (family.generation, family.state) == (1, "live")
    assert family.expires_at is not None and family.created_at is not None, family
    lifetime = family.expires_at - family.created_at
    assert lifetime - 60 <= cookie.max_age <= lifetime  # never past the family's end
    assert cookie.value != session.refresh and len(forge.unb64url(cookie.value)) >= 32
    assert cookie.value not in r.text
    # A new access token in this signing mode, for the same user and session.
    token = forge.parts(r.json()["accessToken"])
    old = target.claims(session)
    assert (token.header["alg"], token.header["typ"]) == (target.alg, "at+jwt")
    assert [token.claims[k] for k in ("sub", "sid", "role")] == [old[k] for k in ("sub", "sid",
                                                                               "role")]
    assert token.claims["jti"] != old["jti"]
    assert target.get(ME, r.json()["accessToken"]).json()["username"] == "alice"


@pytest.mark.parametrize("grace", [0, 30], ids=["no-grace", "30s-grace"])
def test_case23_previous_value_after_the_grace_window_revokes_the_whole_family(
        serve_target: ServeTarget, grace: int) -> None:
    t = serve_target(reuse_grace=grace)
    previous = t.login().refresh
    rotated = refresh(t.http, previous)
    newest, access = parse_set_cookie(rotated).value, rotated.json()["accessToken"]
    # The thief replays after the grace window and after the race window alike.
    t.control.advance_clock(max(grace, RACE_WINDOW) + 1)
    assert "reused" in _refused(refresh(t.http, previous))
    [family] = t.control.sessions()
    assert (family.state, family.reason) == ("revoked", "reuse")
    # The newest value fails too, and so does the access token it came with.
    assert "revoked" in _refused(refresh(t.http, newest))
    unauthorized(t.get(ME, access), token_sent=True)


def test_case24_older_generation_inside_the_grace_window_revokes_the_family(
        serve_target: ServeTarget) -> None:
    t = serve_target(reuse_grace=30)
    gen0 = t.login().refresh
    gen1 = parse_set_cookie(refresh(t.http, gen0)).value
    r = refresh(t.http, gen1)
    gen2, access = parse_set_cookie(r).value, r.json()["accessToken"]
    t.control.advance_clock(5)  # well inside the window, which covers only gen1
    assert "reused" in _refused(refresh(t.http, gen0))
    [family] = t.control.sessions()
    assert (family.generation, family.state, family.reason) == (2, "revoked", "reuse")
    for value in (gen1, gen2):  # the grace of gen1 is gone with the family
        _refused(refresh(t.http, value))
    unauthorized(t.get(ME, access), token_sent=True)


N = 20


def _all_at_once(t: Target, value: str) -> list[httpx.Response]:
    """N refreshes with one value, held by a gate until all N are in the backend at once."""
    gate = t.control.fault("/api/refresh-token", times=N, gate=True)
    barrier = threading.Barrier(N)

    def one(_: int) -> httpx.Response:
        with http_client(t.url) as client:
            barrier.wait()
            return refresh(client, value)

    with ThreadPoolExecutor(N) as pool:
        sent = [pool.submit(one, i) for i in range(N)]
        held = gate.wait_held(N)
        gate.release()
        assert held, f"{N} refreshes not all held"
        return [s.result() for s in sent]


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_case25_twenty_parallel_refreshes_rotate_exactly_once(
        serve_target: ServeTarget, tmp_path: Path, store: str) -> None:
    t = serve_target(store="memory" if store == "memory" else f"sqlite:{tmp_path / 'tokens.db'}")
    responses = _all_at_once(t, t.login().refresh)
    assert t.control.peak_in_flight("/api/refresh-token") == N
    [winner] = [r for r in responses if r.status_code == 200]
    for loser in (r for r in responses if r is not winner):
        # Lost the race, replayed nothing: no revocation, and the winner's cookie is left alone.
        body = unauthorized(loser, token_sent=True, error="invalid_refresh_token")
        assert "concurrent" in body["message"], body
        no_cookie(loser)
    [family] = t.control.sessions()
    assert (family.generation, family.state) == (1, "live")
    # One live branch: the winner's value is the current one and rotates on.
    assert refresh(t.http, parse_set_cookie(winner).value).status_code == 200


def test_case25_previous_value_just_after_the_commit_is_superseded_without_revocation(
        http: httpx.Client, backend: BackendClient) -> None:
    previous = login(http).refresh
    newest = parse_set_cookie(refresh(http, previous)).value
    # A second tab sent the old cookie before its browser stored the new one: it lands
    # milliseconds after the commit, inside the race window (a replay there looks the same).
    r = refresh(http, previous)
    body = unauthorized(r, token_sent=True, error="invalid_refresh_token")
    assert body["message"] == "refresh token superseded by a concurrent refresh", body
    assert "accessToken" not in body, body
    no_cookie(r)
    [family] = backend.sessions()
    assert (family.generation, family.state) == (1, "live"), family
    assert refresh(http, newest).status_code == 200


def test_case26_refresh_past_the_absolute_lifetime_is_401_even_right_after_a_rotation(
        http: httpx.Client, backend: BackendClient) -> None:
    session = login(http)
    [family] = backend.sessions()
    expires_at = family.expires_at
    assert expires_at is not None, family
    backend.set_clock(expires_at - 1)
    rotated = refresh(http, session.refresh)
    assert rotated.status_code == 200, rotated.text
    assert parse_set_cookie(rotated).max_age <= 1  # rotation never extends the family
    backend.set_clock(expires_at)
    assert "expired" in _refused(refresh(http, parse_set_cookie(rotated).value))
    [family] = backend.sessions()
    assert (family.generation, family.state) == (1, "expired")
