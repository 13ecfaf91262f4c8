"""An API profile's `[behaviour]` table, and the keys beside it that change what the backend
does (`[cookie] same_site/secure/access_name`, `[login.response] token_type`, `[logout]
answer/requires_refresh`, body format `any`), on the wire.

For every behaviour key: the default does the reference's thing, and each other value does
what README.md ("Profiles that behave") and the model's descriptions say. Keys of a fixed
set are parametrized over the values the format declares (`mock_backend.profile.choices`,
or the statuses and flags the model accepts), so a value added without a test fails here.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from harness.fixtures.servers import TEST_PASSWORD_COST, TEST_SECRET, ServeBackend
from harness.seam.client import BackendClient
from harness.servers.live_server import LiveServer
from mock_backend.config import Settings
from mock_backend.errors import install_error_handlers
from mock_backend.profile import (
    ApiProfile,
    Behaviour,
    LoginApi,
    LogoutApi,
    ProfileError,
    RefreshApi,
    RefreshCookie,
    choices,
    load_profile,
    profile_from_dict,
)
from mock_backend.store.base import StoreUnavailable
from tests.backend.wire import parse_set_cookie
from tests.security.forge import parts, signed

FOREIGN = "https://evil.example"
RACE_WINDOW = Settings.race_window  # the default, which `serve_backend` keeps
BEARER_CHALLENGE = 'Bearer realm="api"'
TOKEN_CHALLENGE = 'Bearer realm="api", error="invalid_token"'


# --- Values of the format -------------------------------------------------------------------

def _accepted(key: str, value: object) -> bool:
    try:
        Behaviour.model_validate({key: value})
    except ValidationError:
        return False
    return True


def every_value(key: str) -> tuple[Any, ...]:
    """Every value a behaviour key of a fixed set may take: the choices the format declares,
    or, for the statuses and flags (whose `Kind` lists no choices), every HTTP status and
    boolean the model accepts."""
    try:
        return choices(Behaviour, key)
    except KeyError:
        found = tuple(v for v in (True, False, *range(100, 600)) if _accepted(key, v))
        assert found, f"behaviour.{key} accepts no status or flag: not a key of a fixed set"
        return found


# A value other than the default for each behaviour key (the stands-in test uses them).
OTHER_VALUE: dict[str, Any] = {
    "reuse": "refuse-value", "concurrent_refresh": "fork", "refused_refresh": "keeps-cookie",
    "logout": "value", "access_tokens": "valid-until-exp", "session_limit": 0,
    "unauthenticated_status": 403, "www_authenticate": False, "error_body": "drf",
    "login_failure_status": 400, "trailing_slash": "strict", "refresh_body_field": "refresh",
    "access_expiration_field": "access_expiration", "csrf": "none",
}


# --- A served backend with one profile ------------------------------------------------------

def _no_cookie_jar() -> http.cookiejar.CookieJar:
    """A jar that keeps nothing: each request says which cookies it sends."""
    return http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


def claims(access_token: str) -> dict[str, Any]:
    return jwt.decode(access_token, options={"verify_signature": False})


@dataclass(frozen=True)
class Session:
    access: str
    refresh: str
    answer: httpx.Response

    @property
    def sid(self) -> str:
        """The refresh family the access token names."""
        return str(claims(self.access)["sid"])


@dataclass
class Api:
    """A backend serving `profile`: its test-control client, and a client of its API that
    keeps no cookies and speaks the profile's spelling."""

    profile: ApiProfile
    control: BackendClient
    http: httpx.Client

    def facts(self) -> dict[str, Any]:
        r = self.http.get("/__harness/facts")
        assert r.status_code == 200, r.text
        return dict(r.json())

    @property
    def csrf(self) -> dict[str, str]:
        header = self.profile.refresh.csrf_header
        return {header: "XMLHttpRequest"} if header else {}

    def login(self, username: str = "alice", password: str | None = None,
              headers: dict[str, str] | None = None) -> httpx.Response:
        spelled = self.profile.login
        return self.http.post(spelled.path, headers=headers,
                              json={spelled.username_field: username,
                                    spelled.password_field: password or f"{username}-pass"})

    def refresh_value(self, answer: httpx.Response) -> str:
        p = self.profile
        if p.refresh.in_cookie:
            return parse_set_cookie(answer, p.cookie.name).value
        return str(answer.json()[p.refresh.refresh_token])

    def logged_in(self, username: str = "alice") -> Session:
        r = self.login(username)
        assert r.status_code == 200, r.text
        return Session(r.json()[self.profile.login.access_token], self.refresh_value(r), r)

    def _send(self, method: str, path: str, value: str | None, *,
              cookies: dict[str, str] | None = None, headers: dict[str, str] | None = None,
              csrf: bool = True, access: str | None = None, **body: Any) -> httpx.Response:
        p = self.profile
        sent = {**(self.csrf if csrf else {}), **(headers or {})}
        jar = dict(cookies or {})
        if value is not None:
            if p.refresh.transport == "cookie":
                jar[p.cookie.name] = value
            elif p.refresh.transport == "header":
                sent[p.refresh.field] = value
            else:
                body.setdefault("json", {p.refresh.field: value})
        if jar:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        if access is not None:
            sent["Authorization"] = f"Bearer {access}"
        return self.http.request(method, path, headers=sent, **body)

    def refresh(self, value: str | None, **options: Any) -> httpx.Response:
        endpoint = self.profile.refresh.endpoint
        return self._send(endpoint.method, endpoint.path, value, **options)

    def logout(self, value: str | None, **options: Any) -> httpx.Response:
        endpoint = self.profile.logout.endpoint
        return self._send(endpoint.method, endpoint.path, value, **options)

    def rotate(self, value: str) -> str:
        r = self.refresh(value)
        assert r.status_code == 200, r.text
        successor = self.refresh_value(r)
        assert successor and successor != value, r.text
        return successor

    def me(self, access: str | None, headers: dict[str, str] | None = None) -> httpx.Response:
        sent = dict(headers or {})
        if access is not None:
            sent["Authorization"] = f"Bearer {access}"
        return self.http.get(self.profile.resources.current_user.path, headers=sent)

    def states(self) -> list[tuple[int, str, str | None]]:
        return [(f.generation, f.state, f.reason) for f in self.control.sessions()]

    def family(self, sid: str) -> tuple[int, str, str | None]:
        [found] = [(f.generation, f.state, f.reason) for f in self.control.sessions()
                   if f.id == sid]
        return found


Serve = Callable[..., Api]


@pytest.fixture
def serve(serve_backend: ServeBackend) -> Iterator[Serve]:
    """`serve({"behaviour": {...}}, **settings)`: a backend with the profile those tables
    give (or `profile=`), with the harness's test settings (low password cost)."""
    with ExitStack() as stack:

        def start(tables: dict[str, Any] | None = None, *, profile: ApiProfile | None = None,
                  **settings: object) -> Api:
            chosen = profile or profile_from_dict(tables or {}, source="test", name="test")
            server = serve_backend(api_profile=chosen, **settings)  # type: ignore[arg-type]
            control = stack.enter_context(BackendClient(server.url))
            client = stack.enter_context(httpx.Client(base_url=server.url, timeout=10,
                                                      cookies=_no_cookie_jar()))
            return Api(chosen, control, client)

        yield start


# --- The reference, and which keys this file tests ------------------------------------------

def test_the_reference_profile_behaves_as_the_reference() -> None:
    reference = load_profile("reference")
    assert reference.behaviour == Behaviour(), reference.behaviour
    assert reference.behaviour_not_the_references() == {}
    assert ApiProfile().behaviour == Behaviour()
    assert (reference.cookie.same_site, reference.cookie.secure,
            reference.cookie.access_name) == ("Strict", True, "")


def test_every_behaviour_key_has_a_test_here() -> None:
    tested = {
        "reuse": test_reuse_of_a_retired_value_after_the_race_window,
        "concurrent_refresh": test_two_refreshes_of_one_value_that_truly_overlap,
        "refused_refresh": test_a_refused_refresh_clears_or_keeps_the_cookie,
        "logout": test_what_a_logout_ends,
        "access_tokens": test_an_access_token_once_its_session_ended,
        "session_limit": test_the_session_limit_evicts_the_least_recently_used,
        "unauthenticated_status": test_a_missing_garbage_or_expired_access_token,
        "www_authenticate": test_a_missing_garbage_or_expired_access_token,
        "error_body": test_error_bodies_take_the_profiles_shape,
        "login_failure_status": test_a_wrong_password,
        "trailing_slash": test_a_login_without_its_trailing_slash,
        "refresh_body_field": test_refresh_body_field_is_read_before_the_cookie,
        "access_expiration_field": test_access_expiration_field_in_the_refresh_answer,
        "csrf": test_the_csrf_defence,
    }
    assert set(tested) == set(Behaviour.model_fields), (
        f"behaviour keys without a test here: {set(Behaviour.model_fields) - set(tested)}")
    assert set(OTHER_VALUE) == set(Behaviour.model_fields)
    for key, value in OTHER_VALUE.items():
        assert value != Behaviour.model_fields[key].default and _accepted(key, value), key


# --- reuse ----------------------------------------------------------------------------------

def _check_replay(api: Api, reuse: str, replay: httpx.Response, parent: str,
                  successor: str) -> None:
    """What `reuse` says of a replayed retired value: revoke-family, refuse-value, accept."""
    if reuse == "revoke-family":
        assert replay.status_code == 401, replay.text
        assert replay.json()["message"] == "refresh token reused", replay.text
        assert api.states() == [(1, "revoked", "reuse")], "the whole family is revoked"
        r = api.refresh(successor)
        assert r.status_code == 401 and "revoked (reuse)" in r.text, r.text
    elif reuse == "refuse-value":
        assert replay.status_code == 401, replay.text
        assert replay.json()["message"] == "refresh token reused", replay.text
        assert [s for _, s, _ in api.states()] == ["live"], "the family lives on"
        api.rotate(successor)
    elif reuse == "accept":
        assert replay.status_code == 200, replay.text
        again = api.refresh_value(replay)
        assert again not in (parent, successor), "a replay accepted rotates again"
        assert [s for _, s, _ in api.states()] == ["live"]
        api.rotate(again)
        api.rotate(successor)
    else:
        pytest.fail(f"no expectation for behaviour.reuse = {reuse!r}")


@pytest.mark.parametrize("reuse", choices(Behaviour, "reuse"))
def test_reuse_of_a_retired_value_after_the_race_window(serve: Serve, reuse: str) -> None:
    api = serve({"behaviour": {"reuse": reuse}})
    parent = api.logged_in().refresh
    successor = api.rotate(parent)
    api.control.advance_clock(RACE_WINDOW + 1)  # a replay, not a lost race
    _check_replay(api, reuse, api.refresh(parent), parent, successor)


# --- concurrent_refresh ---------------------------------------------------------------------

def _overlapping_refreshes(api: Api, value: str) -> tuple[httpx.Response, httpx.Response]:
    """Two refreshes of `value`, both in the backend before the first commits: the first is
    held by a gate once its token is checked, inside its transaction, until the second has
    arrived."""
    path = api.profile.refresh.path
    gate = api.control.fault(path, times=1, gate=True, at="checked")
    answers: dict[str, httpx.Response] = {}
    first = threading.Thread(target=lambda: answers.update(first=api.refresh(value)))
    first.start()
    try:
        assert gate.wait_held(1), "the first refresh never reached the gate"
        second = threading.Thread(target=lambda: answers.update(second=api.refresh(value)))
        second.start()
        met, _ = api.control.wait_journal(0, count=2, path=path, answered=False)
        assert met, "the second refresh did not arrive while the first was held"
    finally:
        gate.release()
    first.join(15)
    second.join(15)
    return answers["first"], answers["second"]


# Each with the race window and without it: a refresh held inside its transaction commits
# when it is let go, and what overlapped it is judged against that moment.
CONCURRENT_CASES = [pytest.param(c, w, id=f"{c}-window-{w:g}s")
                    for c in choices(Behaviour, "concurrent_refresh") for w in (RACE_WINDOW, 0)]


@pytest.mark.parametrize(("concurrent", "race_window"), CONCURRENT_CASES)
def test_two_refreshes_of_one_value_that_truly_overlap(serve: Serve, concurrent: str,
                                                        race_window: float) -> None:
    api = serve({"behaviour": {"concurrent_refresh": concurrent}}, race_window=race_window)
    value = api.logged_in().refresh
    first, second = _overlapping_refreshes(api, value)
    assert first.status_code == 200, first.text
    if concurrent == "one-wins":
        assert second.status_code == 401, second.text
        assert second.json()["message"] == "refresh token superseded by a concurrent refresh", \
            second.text
        assert "set-cookie" not in second.headers, second.headers
        assert api.states() == [(1, "live", None)], "a lost race revokes nothing"
        api.rotate(api.refresh_value(first))
    elif concurrent == "fork":
        assert second.status_code == 200, second.text
        successors = {api.refresh_value(first), api.refresh_value(second)}
        assert len(successors) == 2 and value not in successors, (first.text, second.text)
        assert [s for _, s, _ in api.states()] == ["live"], api.states()
        for successor in successors:  # each successor is usable
            api.rotate(successor)
    else:
        pytest.fail(f"no expectation for behaviour.concurrent_refresh = {concurrent!r}")


@pytest.mark.parametrize("reuse", choices(Behaviour, "reuse"))
def test_with_fork_a_replay_after_the_commit_is_reuse_not_a_fork(serve: Serve,
                                                                 reuse: str) -> None:
    api = serve({"behaviour": {"concurrent_refresh": "fork", "reuse": reuse}})
    parent = api.logged_in().refresh
    successor = api.rotate(parent)
    api.control.advance_clock(0.1)  # after the commit, well inside the race window
    _check_replay(api, reuse, api.refresh(parent), parent, successor)


@pytest.mark.parametrize("reuse", choices(Behaviour, "reuse"))
def test_with_one_wins_a_replay_inside_the_race_window_is_a_lost_race(serve: Serve,
                                                                      reuse: str) -> None:
    api = serve({"behaviour": {"reuse": reuse}})
    parent = api.logged_in().refresh
    successor = api.rotate(parent)
    api.control.advance_clock(0.1)
    r = api.refresh(parent)
    assert r.status_code == 401 and "superseded" in r.text, r.text
    assert api.states() == [(1, "live", None)]
    api.rotate(successor)


# --- refused_refresh ------------------------------------------------------------------------

@pytest.mark.parametrize("refused", choices(Behaviour, "refused_refresh"))
def test_a_refused_refresh_clears_or_keeps_the_cookie(serve: Serve, refused: str) -> None:
    api = serve({"behaviour": {"refused_refresh": refused}})
    parent = api.logged_in().refresh
    api.rotate(parent)
    api.control.advance_clock(RACE_WINDOW + 1)
    for r in (api.refresh("not-a-refresh-value"), api.refresh(parent)):  # unknown, reused
        assert r.status_code == 401, r.text
        if refused == "clears-cookie":
            cleared = parse_set_cookie(r, api.profile.cookie.name)
            assert cleared.value == "" and cleared.max_age == 0, r.headers
        elif refused == "keeps-cookie":
            assert r.headers.get_list("set-cookie") == [], r.headers
        else:
            pytest.fail(f"no expectation for behaviour.refused_refresh = {refused!r}")


# --- logout ---------------------------------------------------------------------------------

@pytest.mark.parametrize("logout", choices(Behaviour, "logout"))
def test_what_a_logout_ends(serve: Serve, logout: str) -> None:
    # `reuse = accept` gives the family two usable values: a successor and its sibling.
    api = serve({"behaviour": {"logout": logout, "reuse": "accept"}})
    session = api.logged_in()
    presented = api.rotate(session.refresh)
    api.control.advance_clock(RACE_WINDOW + 1)
    sibling = api.rotate(session.refresh)
    bye = api.logout(presented)
    assert bye.status_code == 204, bye.text
    ended = api.refresh(presented)
    assert ended.status_code == 401, ended.text
    if logout == "family":
        assert api.states() == [(1, "revoked", "logout")]
        r = api.refresh(sibling)
        assert r.status_code == 401 and "revoked (logout)" in r.text, r.text
        r = api.me(session.access)
        assert r.status_code == 401 and r.json()["error"] == "invalid_token", r.text
    elif logout == "value":
        assert "revoked (logout)" in ended.text, ended.text
        assert [s for _, s, _ in api.states()] == ["live"], api.states()
        api.rotate(sibling)
        r = api.me(session.access)
        assert r.status_code == 200, r.text
    else:
        pytest.fail(f"no expectation for behaviour.logout = {logout!r}")


# --- access_tokens --------------------------------------------------------------------------

@pytest.mark.parametrize("ending", ["logout", "reuse"])
@pytest.mark.parametrize("access_tokens", choices(Behaviour, "access_tokens"))
def test_an_access_token_once_its_session_ended(serve: Serve, access_tokens: str,
                                                ending: str) -> None:
    api = serve({"behaviour": {"access_tokens": access_tokens}})
    session = api.logged_in()
    assert api.me(session.access).status_code == 200
    if ending == "logout":
        r = api.logout(session.refresh)
        assert r.status_code == 204, r.text
    else:
        api.rotate(session.refresh)
        api.control.advance_clock(RACE_WINDOW + 1)
        r = api.refresh(session.refresh)
        assert r.status_code == 401, r.text
    assert [s for _, s, _ in api.states()] == ["revoked"]
    r = api.me(session.access)
    if access_tokens == "end-with-session":
        assert r.status_code == 401, r.text
        assert r.json() == {"error": "invalid_token",
                            "message": "the session of this access token has ended"}, r.text
    elif access_tokens == "valid-until-exp":
        assert r.status_code == 200 and r.json()["username"] == "alice", r.text
        # ... until its exp, and no longer.
        left = claims(session.access)["exp"] - api.control.now()
        api.control.advance_clock(left + 1)
        r = api.me(session.access)
        assert r.status_code == 401, r.text
    else:
        pytest.fail(f"no expectation for behaviour.access_tokens = {access_tokens!r}")


# --- session_limit --------------------------------------------------------------------------

@pytest.mark.parametrize("limit", [5, 2, 0])
def test_the_session_limit_evicts_the_least_recently_used(serve: Serve, limit: int) -> None:
    api = serve({"behaviour": {"session_limit": limit}})
    assert api.facts()["session_limit"] == (limit or None)
    sessions = []
    for _ in range(limit or 8):
        sessions.append(api.logged_in())
        api.control.advance_clock(1)
    if limit == 0:
        assert len(api.states()) == 8 and {s for _, s, _ in api.states()} == {"live"}, \
            "no limit: no eviction after 8 logins"
        for session in sessions:
            api.rotate(session.refresh)
        return
    # The first is used again, so the second is the least recently used.
    first = api.rotate(sessions[0].refresh)
    api.control.advance_clock(1)
    newest = api.logged_in()
    evicted = sessions[1]
    families = {f.id: (f.state, f.reason) for f in api.control.sessions()}
    assert families.pop(evicted.sid) == ("revoked", "evicted"), families
    assert set(families.values()) == {("live", None)} and len(families) == limit, families
    r = api.refresh(evicted.refresh)
    assert r.status_code == 401 and "evicted" in r.text, r.text
    for value in [first, newest.refresh, *(s.refresh for s in sessions[2:])]:
        api.rotate(value)


# --- unauthenticated_status, www_authenticate -----------------------------------------------

UNAUTHENTICATED_CASES = [pytest.param(status, www, id=f"{status}-www-{www}")
                         for status in every_value("unauthenticated_status")
                         for www in every_value("www_authenticate")]


@pytest.mark.parametrize(("status", "www"), UNAUTHENTICATED_CASES)
def test_a_missing_garbage_or_expired_access_token(serve: Serve, status: int,
                                                   www: bool) -> None:
    api = serve({"behaviour": {"unauthenticated_status": status, "www_authenticate": www}})
    session = api.logged_in()
    # A token the backend signed, for a subject that is no user of it (one deleted since).
    real = parts(session.access)
    stranger = signed(real.header, {**real.claims, "sub": "no-such-user"}, TEST_SECRET)
    answers = {"missing": (api.me(None), BEARER_CHALLENGE),
               "garbage": (api.me("garbage.token.here"), TOKEN_CHALLENGE),
               "unknown subject": (api.me(stranger), TOKEN_CHALLENGE)}
    api.control.advance_clock(api.facts()["lifetimes"]["access"] + 1)
    answers["expired"] = (api.me(session.access), TOKEN_CHALLENGE)
    for what, (r, challenge) in answers.items():
        assert r.status_code == status, f"{what}: {r.status_code} {r.text}"
        assert r.headers.get("www-authenticate") == (challenge if www else None), \
            f"{what}: {r.headers} {r.text}"
    # The forged token passed its signature check and reached the user lookup.
    assert answers["unknown subject"][0].json()["message"] == "unknown subject", \
        answers["unknown subject"][0].text


@pytest.mark.parametrize(("status", "www"), [
    pytest.param(*case.values, id=case.id) for case in UNAUTHENTICATED_CASES])
def test_a_token_only_in_the_query_is_answered_as_a_missing_one(serve: Serve, status: int,
                                                                www: bool) -> None:
    api = serve({"behaviour": {"unauthenticated_status": status, "www_authenticate": www}})
    session = api.logged_in()
    r = api.http.get(api.profile.resources.current_user.path,
                     params={"access_token": session.access})
    assert r.status_code == status, r.text  # no Authorization header: no access token
    assert r.headers.get("www-authenticate") == (BEARER_CHALLENGE if www else None), r.headers


# --- error_body -----------------------------------------------------------------------------

# (error code of the reference body, DRF's code, or None where DRF's answer has none)
ERROR_CASES = {
    "refused refresh": ("invalid_refresh_token", "token_not_valid"),
    "missing token": ("unauthorized", None),
    "garbage token": ("invalid_token", "token_not_valid"),
    "not found": ("not_found", None),
}


def _check_shape(shape: str, what: str, r: httpx.Response, code: str,
                 drf_code: str | None) -> None:
    body = r.json()
    if shape == "reference":
        assert set(body) == {"error", "message"} and body["error"] == code, f"{what}: {r.text}"
        assert isinstance(body["message"], str) and body["message"], f"{what}: {r.text}"
    elif shape == "drf":
        assert set(body) == ({"detail", "code"} if drf_code else {"detail"}), \
            f"{what}: {r.text}"
        assert body.get("code") == drf_code, f"{what}: {r.text}"
        assert isinstance(body["detail"], str) and body["detail"], f"{what}: {r.text}"
    elif shape == "oauth":
        assert set(body) == {"error", "error_description"} and body["error"] == code, \
            f"{what}: {r.text}"
        assert isinstance(body["error_description"], str) and body["error_description"], \
            f"{what}: {r.text}"
    else:
        pytest.fail(f"no expectation for behaviour.error_body = {shape!r}")


@pytest.mark.parametrize("shape", choices(Behaviour, "error_body"))
def test_error_bodies_take_the_profiles_shape(serve: Serve, shape: str) -> None:
    api = serve({"behaviour": {"error_body": shape}})
    api.logged_in()
    answers = {"refused refresh": api.refresh("not-a-refresh-value"),
               "missing token": api.me(None), "garbage token": api.me("garbage"),
               "not found": api.http.get("/api/no-such-thing")}
    for what, r in answers.items():
        assert r.status_code == (404 if what == "not found" else 401), f"{what}: {r.text}"
        _check_shape(shape, what, r, *ERROR_CASES[what])


@pytest.mark.parametrize("shape", choices(Behaviour, "error_body"))
def test_a_store_outage_and_an_unexpected_error_take_the_profiles_shape(shape: str) -> None:
    # The handlers the backend installs, on routes that fail as a store outage and a bug do.
    app = FastAPI()
    install_error_handlers(app, shape)

    @app.get("/outage")
    async def outage() -> None:
        raise StoreUnavailable("the store is down")

    @app.get("/bug")
    async def bug() -> None:
        raise RuntimeError("a bug")

    with LiveServer(app) as server, httpx.Client(base_url=server.url) as client:
        answers = {"store_unavailable": (client.get("/outage"), 503),
                   "internal_error": (client.get("/bug"), 500)}
    for code, (r, status) in answers.items():
        assert r.status_code == status, r.text
        _check_shape(shape, code, r, code, code)


@pytest.mark.parametrize("what", ["405", "413", "415", "422"])
@pytest.mark.parametrize("shape", choices(Behaviour, "error_body"))
def test_every_error_body_takes_the_profiles_shape(serve: Serve, shape: str, what: str) -> None:
    api = serve({"behaviour": {"error_body": shape}})
    login = api.profile.login.path
    if what == "405":
        r, code = api.http.get(login), "method_not_allowed"
    elif what == "413":
        r = api.http.post(login, content=b"x" * (64 * 1024 + 1),
                          headers={"Content-Type": "application/json"})
        code = "payload_too_large"
    elif what == "415":
        r = api.http.post(login, content=b"username=alice&password=alice-pass",
                          headers={"Content-Type": "text/plain"})
        code = "unsupported_media_type"
    else:
        r, code = api.http.post(login, json={"username": "alice"}), "invalid_request"
    assert r.status_code == int(what), r.text
    body = r.json()
    if shape == "reference":
        assert body["error"] == code and body["message"], r.text
    elif shape == "drf":
        assert "error" not in body and "message" not in body, r.text
        assert body.get("detail") or all(isinstance(v, list) for v in body.values()), r.text
    elif shape == "oauth":
        assert body["error"] == code and body["error_description"], r.text
        assert "message" not in body, r.text
    else:
        pytest.fail(f"no expectation for behaviour.error_body = {shape!r}")


# --- login_failure_status -------------------------------------------------------------------

LOGIN_FAILURE_CASES = [pytest.param(status, shape, www, id=f"{status}-{shape}-www-{www}")
                       for status in every_value("login_failure_status")
                       for shape in choices(Behaviour, "error_body")
                       for www in every_value("www_authenticate")]


@pytest.mark.parametrize(("status", "shape", "www"), LOGIN_FAILURE_CASES)
def test_a_wrong_password(serve: Serve, status: int, shape: str, www: bool) -> None:
    api = serve({"behaviour": {"login_failure_status": status, "error_body": shape,
                               "www_authenticate": www}})
    r = api.login("alice", "not-her-password")
    assert r.status_code == status, r.text
    body = r.json()
    if shape == "drf" and status == 400:
        assert set(body) == {"non_field_errors"}, r.text
        assert isinstance(body["non_field_errors"], list) and body["non_field_errors"], r.text
    elif shape == "drf":
        assert set(body) == {"detail"} and body["detail"], r.text
    elif shape == "reference":
        assert set(body) == {"error", "message"} and body["error"] == "invalid_credentials", \
            r.text
    elif shape == "oauth":
        assert set(body) == {"error", "error_description"}, r.text
        assert body["error"] == "invalid_credentials", r.text
    else:
        pytest.fail(f"no expectation for behaviour.error_body = {shape!r}")
    challenge = BEARER_CHALLENGE if status == 401 and www else None
    assert r.headers.get("www-authenticate") == challenge, r.headers
    assert "set-cookie" not in r.headers and api.states() == [], r.text


# --- trailing_slash -------------------------------------------------------------------------

CREDENTIALS = {"username": "alice", "password": "alice-pass"}


@pytest.mark.parametrize("slash", choices(Behaviour, "trailing_slash"))
def test_a_login_without_its_trailing_slash(serve: Serve, slash: str) -> None:
    api = serve({"login": {"path": "/api/login/"}, "behaviour": {"trailing_slash": slash}})
    assert api.login().status_code == 200  # the path as the profile spells it
    base = len(api.states())
    if slash == "lenient":
        r = api.http.post("/api/login", json=CREDENTIALS)
        assert r.status_code == 307, r.text
        assert r.headers["location"].endswith("/api/login/"), r.headers
        followed = api.http.post("/api/login", json=CREDENTIALS, follow_redirects=True)
        assert followed.request.method == "POST", "a 307 keeps the method"
        assert followed.status_code == 200 and "accessToken" in followed.json(), followed.text
        assert len(api.states()) == base + 1
    elif slash == "strict":
        for method in ("POST", "GET", "PUT", "PATCH", "DELETE"):
            r = api.http.request(method, "/api/login", json=CREDENTIALS)
            assert r.status_code == 301, f"{method}: {r.status_code} {r.text}"
            assert r.headers["location"] == "/api/login/", f"{method}: {r.headers}"
            assert r.content == b"", f"{method}: {r.text}"
            assert "set-cookie" not in r.headers, r.headers
        r = api.http.post("/api/login?next=%2Fhome", json=CREDENTIALS)
        assert (r.status_code, r.headers["location"]) == (301, "/api/login/?next=%2Fhome"), \
            r.headers
        followed = api.http.post("/api/login", json=CREDENTIALS, follow_redirects=True)
        assert followed.request.method == "GET", "a 301 of a POST is followed with a GET"
        assert followed.status_code == 405, followed.text
        assert len(api.states()) == base, "the login never reached the view"
    elif slash == "either":
        r = api.http.post("/api/login", json=CREDENTIALS)
        assert r.status_code == 200 and "accessToken" in r.json(), r.text
        assert parse_set_cookie(r).value, r.headers
        assert len(api.states()) == base + 1
    else:
        pytest.fail(f"no expectation for behaviour.trailing_slash = {slash!r}")


# --- refresh_body_field ---------------------------------------------------------------------

@pytest.mark.parametrize("field", ["", "refresh"])
def test_refresh_body_field_is_read_before_the_cookie(serve: Serve, field: str) -> None:
    api = serve({"behaviour": {"refresh_body_field": field}})
    a, b = api.logged_in(), api.logged_in()
    # A non-empty body field wins over the cookie; without the key, only the cookie counts.
    r = api.refresh(a.refresh, json={"refresh": b.refresh})
    assert r.status_code == 200, r.text
    winner, other = (b, a) if field else (a, b)
    assert (api.family(winner.sid)[0], api.family(other.sid)[0]) == (1, 0), r.text
    cookie_value = a.refresh if field else api.refresh_value(r)
    # An empty field falls back to the cookie; so does a body without it, and no body.
    for body in ({"json": {"refresh": ""}}, {"json": {"other": "x"}}, {}):
        before = api.family(a.sid)[0]
        r = api.refresh(cookie_value, **body)
        assert r.status_code == 200, f"{body}: {r.text}"
        assert api.family(a.sid)[0] == before + 1, f"{body}: the cookie's family rotates"
        cookie_value = api.refresh_value(r)


def test_a_get_refresh_ignores_refresh_body_field(serve: Serve) -> None:
    api = serve({"refresh": {"method": "GET"}, "behaviour": {"refresh_body_field": "refresh"}})
    a, b = api.logged_in(), api.logged_in()
    r = api.refresh(a.refresh, content=json.dumps({"refresh": b.refresh}).encode(),
                    headers={"Content-Type": "application/json"})
    assert r.request.method == "GET" and r.status_code == 200, r.text
    assert (api.family(a.sid)[0], api.family(b.sid)[0]) == (1, 0), "the cookie's family"


# --- access_expiration_field ----------------------------------------------------------------

ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@pytest.mark.parametrize("field", ["", "access_expiration"])
def test_access_expiration_field_in_the_refresh_answer(serve: Serve, field: str) -> None:
    api = serve({"behaviour": {"access_expiration_field": field}})
    ttl = api.facts()["lifetimes"]["access"]
    now = api.control.freeze_clock(at=1_900_000_000.75)  # not the wall clock
    login = api.login()
    assert login.status_code == 200, login.text
    assert set(login.json()) == {"accessToken", "tokenType", "expiresIn", "user"}, login.text
    api.control.advance_clock(30)
    r = api.refresh(api.refresh_value(login))
    assert r.status_code == 200, r.text
    if not field:
        assert set(r.json()) == {"accessToken", "expiresIn"}, r.text
        return
    assert set(r.json()) == {"accessToken", "expiresIn", field}, r.text
    said = r.json()[field]
    assert ISO_Z.fullmatch(said), r.text
    token = claims(r.json()["accessToken"])
    assert token["iat"] == int(now + 30), token
    ends = datetime.fromtimestamp(token["iat"] + ttl, timezone.utc)
    assert said == ends.strftime("%Y-%m-%dT%H:%M:%SZ"), r.text
    assert ends.timestamp() == token["exp"], token


# --- csrf -----------------------------------------------------------------------------------

def _csrf_origin(api: Api) -> None:
    r = api.login(headers={"Origin": FOREIGN})
    assert r.status_code == 403 and r.json()["error"] == "forbidden_origin", r.text
    assert api.states() == []
    session = api.logged_in()
    for flaw, code in (({"headers": {"Origin": FOREIGN}}, "forbidden_origin"),
                       ({"headers": {"Sec-Fetch-Site": "cross-site"}}, "forbidden_origin"),
                       ({"csrf": False}, "csrf_header_missing")):
        for send in (api.refresh, api.logout):
            r = send(session.refresh, **flaw)
            assert r.status_code == 403 and r.json()["error"] == code, f"{flaw}: {r.text}"
    assert api.states() == [(0, "live", None)], "nothing rotated, nothing ended"
    api.rotate(session.refresh)


def _csrf_none(api: Api) -> None:
    r = api.login(headers={"Origin": FOREIGN})
    assert r.status_code == 200, r.text
    value = api.refresh_value(r)
    r = api.refresh(value, headers={"Origin": FOREIGN, "Sec-Fetch-Site": "cross-site"},
                    csrf=False)
    assert r.status_code == 200, r.text
    r = api.logout(api.refresh_value(r), headers={"Origin": FOREIGN}, csrf=False)
    assert r.status_code == 204, r.text
    assert api.states() == [(1, "revoked", "logout")]


def _csrf_double_submit(api: Api) -> None:
    r = api.login()
    assert r.status_code == 200, r.text
    token = parse_set_cookie(r, "csrftoken")
    assert token.value and "httponly" not in token.attributes, r.headers
    assert "httponly" in parse_set_cookie(r, api.profile.cookie.name).attributes
    value = api.refresh_value(r)
    echoed = {"cookies": {"csrftoken": token.value}}
    for send in (api.refresh, api.logout):
        for flaw in ({}, {"headers": {"X-CSRFToken": "not-the-cookie"}}):
            r = send(value, **echoed, **flaw)
            assert r.status_code == 403 and r.json()["error"] == "csrf_failed", \
                f"{send.__name__} {flaw}: {r.text}"
        r = send(value, headers={"X-CSRFToken": token.value})  # a header without the cookie
        assert r.status_code == 403 and r.json()["error"] == "csrf_failed", r.text
    assert api.states() == [(0, "live", None)], "nothing rotated, nothing ended"
    r = api.refresh(value, **echoed, headers={"X-CSRFToken": token.value})
    assert r.status_code == 200, r.text
    r = api.logout(api.refresh_value(r), **echoed, headers={"X-CSRFToken": token.value})
    assert r.status_code == 204, r.text
    assert api.states() == [(1, "revoked", "logout")]


CSRF_CHECKS: dict[str, Callable[[Api], None]] = {
    "origin": _csrf_origin, "none": _csrf_none, "double-submit": _csrf_double_submit}


@pytest.mark.parametrize("csrf", choices(Behaviour, "csrf"))
def test_the_csrf_defence(serve: Serve, csrf: str) -> None:
    check = CSRF_CHECKS[csrf]  # a KeyError: a value without a test
    check(serve({"behaviour": {"csrf": csrf}}))


# --- [cookie] same_site, secure, access_name ------------------------------------------------

COOKIE_CASES = [pytest.param(same_site, secure, id=f"{same_site}-secure-{secure}")
                for same_site in choices(RefreshCookie, "same_site") for secure in (True, False)
                if same_site != "None" or secure]


@pytest.mark.parametrize(("same_site", "secure"), COOKIE_CASES)
def test_the_refresh_cookie_attributes(serve: Serve, same_site: str, secure: bool) -> None:
    api = serve({"cookie": {"same_site": same_site, "secure": secure}})
    login = api.login()
    r = api.refresh(api.refresh_value(login))
    bye = api.logout(api.refresh_value(r))
    for what, answer in (("login", login), ("refresh", r), ("logout", bye)):
        cookie = parse_set_cookie(answer)
        attributes = cookie.attributes
        assert attributes.get("samesite") == same_site.lower(), f"{what}: {answer.headers}"
        assert ("secure" in attributes) == secure, f"{what}: {answer.headers}"
        assert "httponly" in attributes and attributes["path"] == "/api", answer.headers
    assert parse_set_cookie(bye).max_age == 0
    facts = api.facts()
    assert (facts["cookie"]["same_site"], facts["cookie"]["secure"]) == (same_site, secure)


def test_same_site_none_requires_secure() -> None:
    with pytest.raises(ProfileError) as caught:
        profile_from_dict({"cookie": {"same_site": "None", "secure": False}})
    assert caught.value.key == "cookie.secure", str(caught.value)
    assert "cookie.secure" in str(caught.value), str(caught.value)
    assert profile_from_dict({"cookie": {"same_site": "None"}}).cookie.secure


def test_an_access_cookie_beside_the_refresh_cookie(serve: Serve) -> None:
    api = serve({"cookie": {"access_name": "app-auth", "same_site": "Lax"}})
    alice, bob = api.logged_in(), api.logged_in("bob")
    set_at_login = parse_set_cookie(alice.answer, "app-auth")
    assert set_at_login.value == alice.access, alice.answer.headers
    attributes = set_at_login.attributes
    assert "httponly" in attributes and "secure" in attributes, alice.answer.headers
    assert (attributes["samesite"], attributes["path"]) == ("lax", "/api"), attributes
    assert set_at_login.max_age == api.facts()["lifetimes"]["access"], attributes
    # Without Authorization, the cookie authenticates; a bearer header wins over it, even
    # one that does not verify.
    cookie = {"Cookie": f"app-auth={alice.access}"}
    r = api.me(None, headers=cookie)
    assert r.status_code == 200 and r.json()["username"] == "alice", r.text
    r = api.me(bob.access, headers=cookie)
    assert r.status_code == 200 and r.json()["username"] == "bob", r.text
    r = api.me("garbage", headers=cookie)
    assert r.status_code == 401, r.text
    # A refresh sets it anew, with the new access token; a logout clears it.
    r = api.refresh(alice.refresh)
    assert r.status_code == 200, r.text
    renewed = parse_set_cookie(r, "app-auth")
    assert renewed.value == r.json()["accessToken"] != alice.access, r.headers
    bye = api.logout(api.refresh_value(r))
    assert bye.status_code == 204, bye.text
    cleared = parse_set_cookie(bye, "app-auth")
    assert (cleared.value, cleared.max_age) == ("", 0), bye.headers
    r = api.me(None, headers={"Cookie": f"app-auth={renewed.value}"})
    assert r.status_code == 401, r.text  # its session ended


def test_a_refused_refresh_clears_the_access_cookie_with_the_refresh_cookie(
        serve: Serve) -> None:
    # `refused_refresh = "clears-cookie"` (the reference's): both cookies go, each in a
    # Set-Cookie header of its own.
    api = serve({"cookie": {"access_name": "app-auth"}})
    r = api.refresh("not-a-refresh-value")
    assert r.status_code == 401, r.text
    for name in (api.profile.cookie.name, "app-auth"):
        cleared = parse_set_cookie(r, name)
        assert (cleared.value, cleared.max_age) == ("", 0), r.headers


@pytest.mark.parametrize("tables", [{"access_name": "refresh_token"},
                                    {"name": "app-refresh", "access_name": "app-refresh"}])
def test_an_access_cookie_named_as_the_refresh_cookie_is_refused(
        tables: dict[str, str]) -> None:
    with pytest.raises(ProfileError) as caught:
        profile_from_dict({"cookie": tables})
    assert caught.value.key == "cookie.access_name", str(caught.value)


def test_a_cookie_name_setting_equal_to_the_access_cookie_is_refused() -> None:
    profile = profile_from_dict({"cookie": {"access_name": "app-auth"}})
    with pytest.raises(ValueError, match="access_name"):
        Settings(api_profile=profile, cookie_name="app-auth", test_control=True,
                 secret=TEST_SECRET, password_cost=TEST_PASSWORD_COST)


# --- login.body, login.response.token_type --------------------------------------------------

LOGIN_BODIES = {"json": {"json": 200, "form": 415}, "form": {"json": 415, "form": 200},
                "any": {"json": 200, "form": 200}}


@pytest.mark.parametrize("body", choices(LoginApi, "body"))
def test_the_login_body_format(serve: Serve, body: str) -> None:
    api = serve({"login": {"body": body}})
    expected = LOGIN_BODIES[body]
    path = api.profile.login.path
    r = api.http.post(path, json=CREDENTIALS)
    assert r.status_code == expected["json"], f"json: {r.text}"
    r = api.http.post(path, data=CREDENTIALS)
    assert r.status_code == expected["form"], f"form: {r.text}"
    r = api.http.post(path, content=json.dumps(CREDENTIALS).encode(),
                      headers={"Content-Type": "text/plain"})
    assert r.status_code == 415, f"text/plain: {r.text}"
    assert len(api.states()) == list(expected.values()).count(200)


@pytest.mark.parametrize("token_type", ["tokenType", "", "token_type"])
def test_token_type_field_of_the_login_answer(serve: Serve, token_type: str) -> None:
    api = serve({"login": {"response": {"token_type": token_type}}})
    r = api.login()
    assert r.status_code == 200, r.text
    others = {"accessToken", "expiresIn", "user"}
    if token_type:
        assert set(r.json()) == others | {token_type} and r.json()[token_type] == "Bearer", \
            r.text
    else:
        assert set(r.json()) == others and "Bearer" not in r.json().values(), r.text


# --- logout.answer, logout.requires_refresh -------------------------------------------------

@pytest.mark.parametrize("answer", choices(LogoutApi, "answer"))
def test_the_logout_answer(serve: Serve, answer: str) -> None:
    api = serve({"logout": {"answer": answer}})
    r = api.logout(api.logged_in().refresh)
    if answer == "none":
        assert (r.status_code, r.content) == (204, b""), r.text
    elif answer == "empty":
        assert (r.status_code, r.json()) == (200, {}), r.text
    elif answer == "detail":
        assert r.status_code == 200 and set(r.json()) == {"detail"}, r.text
        assert isinstance(r.json()["detail"], str) and r.json()["detail"], r.text
    else:
        pytest.fail(f"no expectation for logout.answer = {answer!r}")
    assert parse_set_cookie(r).max_age == 0, r.headers
    assert api.states() == [(0, "revoked", "logout")]


def _transport(transport: str) -> dict[str, Any]:
    if transport == "cookie":
        return {}
    return {"transport": transport, "field": "refresh" if transport == "body" else
            "X-Refresh-Token", "response": {"refresh_token": "refresh"}}


@pytest.mark.parametrize("requires", [True, False])
@pytest.mark.parametrize("transport", choices(RefreshApi, "transport"))
def test_a_logout_without_its_refresh_value(serve: Serve, transport: str,
                                           requires: bool) -> None:
    api = serve({"refresh": _transport(transport), "logout": {"requires_refresh": requires},
                 "behaviour": {"error_body": "drf"}})
    session = api.logged_in()
    body: dict[str, Any] = {"json": {}} if transport == "body" else {}  # without the field
    r = api.logout(None, access=session.access, **body)
    if not requires:  # it ends the session its access token names
        assert r.status_code == 204, r.text
        assert api.states() == [(0, "revoked", "logout")]
        assert api.me(session.access).status_code == 401
        return
    if transport == "body":
        assert r.status_code == 400, r.text
        assert r.json() == {"refresh": [r.json()["refresh"][0]]}, r.text
        assert isinstance(r.json()["refresh"][0], str), r.text
    else:
        assert r.status_code == 401, r.text
        assert r.json()["detail"], r.text
    assert api.states() == [(0, "live", None)], "a refused logout ends nothing"
    assert api.me(session.access).status_code == 200
    api.rotate(session.refresh)


# --- facts: stands_in -----------------------------------------------------------------------

def test_stands_in_is_empty_for_the_reference_and_an_empty_file(serve: Serve,
                                                                tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    for profile in (load_profile("reference"), load_profile(empty)):
        facts = serve(profile=profile).facts()
        assert facts["stands_in"] == {}, (profile.name, facts["stands_in"])
        assert facts["session_limit"] == 5, profile.name


def test_stands_in_lists_exactly_the_keys_that_differ(serve: Serve) -> None:
    api = serve({"behaviour": {"reuse": "accept", "csrf": "origin"},
                 "cookie": {"secure": False, "same_site": "Strict"},
                 "login": {"path": "/auth/login"}, "logout": {"answer": "detail"}})
    stands_in = api.facts()["stands_in"]
    assert stands_in == {"behaviour.reuse": "accept", "cookie.secure": False}, stands_in


STANDS_IN_CASES = [pytest.param("behaviour", k, v, id=f"behaviour.{k}")
                   for k, v in OTHER_VALUE.items()] + [
    pytest.param("cookie", "same_site", "Lax", id="cookie.same_site"),
    pytest.param("cookie", "secure", False, id="cookie.secure"),
    pytest.param("cookie", "access_name", "app-auth", id="cookie.access_name")]


@pytest.mark.parametrize(("table", "key", "value"), STANDS_IN_CASES)
def test_one_key_that_differs_is_the_one_it_stands_in_for(table: str, key: str,
                                                          value: object) -> None:
    profile = profile_from_dict({table: {key: value}})
    assert profile.behaviour_not_the_references() == {f"{table}.{key}": value}
    default = profile_from_dict({table: {key: getattr(ApiProfile(), table).model_dump()[key]}})
    assert default.behaviour_not_the_references() == {}, "the default written out is none"
