"""API profiles: the backend speaks a team's auth API, and behaves as the profile's
`[behaviour]` says: the reference's rotation, reuse detection and CSRF defence unless the
profile names another backend's (`--api-profile`, mock_backend/profiles/*.toml)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from harness.fixtures.servers import ServeBackend
from harness.seam.client import BackendClient
from harness.seam.outsider import Outsider
from harness.servers.live_server import LiveServer
from mock_backend.config import default_spa_dir
from mock_backend.profile import ProfileError, builtin_names, load_profile

BUILT_IN = builtin_names()


Speak = Callable[[str], tuple[LiveServer, BackendClient, Outsider]]


@pytest.fixture
def speak(serve_backend: ServeBackend) -> Iterator[Speak]:
    """A backend with the named profile, its control client and a client of its API."""
    with ExitStack() as stack:

        def serve(name: str) -> tuple[LiveServer, BackendClient, Outsider]:
            server = serve_backend(api_profile=load_profile(name))
            control = stack.enter_context(BackendClient(server.url))
            return server, control, stack.enter_context(
                Outsider(server.url, control.facts(), server.url))

        yield serve


def test_every_built_in_profile_named_by_the_issue_ships() -> None:
    assert set(BUILT_IN) == {"reference", "seed-cookie-get", "simplejwt", "aspnet-identity",
                             "oauth-token-endpoint", "nestjs-cookie", "dj-rest-auth-cookie"}


@pytest.mark.parametrize("name", BUILT_IN)
def test_profile_login_refresh_rotation_reuse_and_logout(speak: Speak, name: str) -> None:
    server, control, client = speak(name)
    facts, api = control.facts(), control.facts().api
    # Login answers in the profile's spelling, the refresh value where the profile puts it.
    login = client.login("alice")
    assert login.status_code == 200, login.text
    first = client.refresh_value(login)
    assert first and client.access_token(login), login.text
    assert (api.login_expires_in in login.json()) == bool(api.login_expires_in), login.text
    assert (api.login_user in login.json()) == bool(api.login_user), login.text
    assert (facts.cookie.name in login.cookies) != api.hands_refresh_token_to_scripts
    # The access token works on the profile's resources.
    me = client.get(facts.current_user.path, str(client.access_token(login)))
    assert me.status_code == 200 and me.json()["username"] == "alice", me.text
    # A refresh rotates: a new value, a new access token in the refresh answer's field.
    renewed = client.refresh(first)
    assert renewed.status_code == 200, renewed.text
    second = client.refresh_value(renewed)
    assert second and second != first and client.access_token(renewed, login=False)
    # The journal counts the profile's refresh endpoint.
    assert control.journal().refresh_statuses(since=0) == [200]
    # Replaying the rotated value after the race window: what the profile's backend does.
    behaviour = load_profile(name).behaviour
    control.advance_clock(facts.race_window + 1)
    replay = client.refresh(first)
    if behaviour.reuse == "accept":
        assert replay.status_code == 200, replay.text
    else:
        assert replay.status_code == facts.refresh_failure_status, replay.text
    ended = behaviour.reuse == "revoke-family"
    assert [f.state for f in control.sessions()] == ["revoked" if ended else "live"]
    assert client.refresh(second).status_code == (facts.refresh_failure_status if ended
                                                  else 200)
    # A new session, ended by logout: its refresh value is dead.
    again = client.refresh_value(client.login("alice"))
    assert again
    bye = client.logout(again)
    assert bye.status_code == (204 if load_profile(name).logout.answer == "none" else 200), \
        bye.text
    assert client.refresh(again).status_code == facts.refresh_failure_status


@pytest.mark.parametrize("name", [n for n in BUILT_IN if n != "reference"])
def test_a_profile_that_moves_an_endpoint_leaves_nothing_at_the_reference_path(
        speak: Speak, name: str) -> None:
    server, control, _ = speak(name)
    facts = control.facts()
    reference = load_profile("reference")
    for what, endpoint in reference.endpoints.items():
        moved = getattr(facts, what)
        if (moved.method, moved.path) == (endpoint.method, endpoint.path):
            continue
        r = httpx.request(endpoint.method, server.url + endpoint.path,
                          headers={"Origin": server.url, "X-Requested-With": "x"})
        assert r.status_code in (404, 405), f"{name}: {endpoint}: {r.status_code} {r.text}"


@pytest.mark.parametrize("name", BUILT_IN)
def test_refresh_from_a_foreign_origin_is_refused_unless_the_profile_checks_none(
        speak: Speak, name: str) -> None:
    _, control, client = speak(name)
    value = client.refresh_value(client.login("alice"))
    assert value
    r = client.refresh(value, origin="https://evil.example")
    if load_profile(name).behaviour.csrf != "origin":  # a backend that checks no Origin
        assert r.status_code == 200, r.text
        return
    assert r.status_code == 403 and r.json()["error"] == "forbidden_origin", r.text
    if control.facts().csrf_header:
        r = client.refresh(value, csrf_header=False)
        assert r.status_code == 403 and r.json()["error"] == "csrf_header_missing", r.text
    assert control.journal().refresh_statuses(since=0) == [403] * (
        2 if control.facts().csrf_header else 1)


def test_oauth_profile_answers_invalid_grant_and_wants_its_grant_type(
        speak: Speak) -> None:
    server, control, client = speak("oauth-token-endpoint")
    value = client.refresh_value(client.login("alice"))
    # RFC 6749 section 5.2: a bad refresh token is 400 invalid_grant.
    r = client.refresh("not-a-token")
    assert (r.status_code, r.json()["error"]) == (400, "invalid_grant"), r.text
    # The form must say which grant it is.
    r = httpx.post(server.url + "/oauth/token", data={"refresh_token": str(value)},
                   headers={"Origin": server.url})
    assert r.status_code == 400 and "grant_type" in r.json()["error_description"], r.text
    # A JSON body where the profile takes a form: 415, nothing rotated.
    r = httpx.post(server.url + "/oauth/token", headers={"Origin": server.url},
                   json={"grant_type": "refresh_token", "refresh_token": value})
    assert r.status_code == 415, r.text
    assert [f.generation for f in control.sessions()] == [0]


def test_seed_profile_refreshes_with_get_and_its_cookie_covers_logout(
        speak: Speak) -> None:
    _, control, client = speak("seed-cookie-get")
    login = client.login("alice")
    cookie = login.headers["set-cookie"]
    assert "refreshToken=" in cookie and "Path=/;" in cookie and "HttpOnly" in cookie, cookie
    assert control.facts().refresh.method == "GET"
    assert client.refresh(str(client.refresh_value(login))).status_code == 200


BAD_PROFILES = [
    ("[refresh]\ntrasnport = 'body'\n", "refresh.trasnport: unknown key"),
    ("[refresh]\ntransport = 'pigeon'\n", "refresh.transport: 'pigeon' is not one of"),
    ("[refresh]\nfailure_status = 500\n", "refresh.failure_status: 500 is not one of"),
    ("[login]\nbody = 'xml'\n", "login.body: 'xml' is not one of"),
    ("[logout]\npath = '/api/refresh-token'\n", "logout.path: POST /api/refresh-token is "
                                                "also refresh.path"),
    ("[refresh]\npath = 'api/x'\n", "refresh.path: 'api/x' is not a path"),
    ("[cookie]\npath = '/auth'\n", "cookie.path: '/auth' does not cover refresh.path"),
    ("[refresh]\ntransport = 'body'\n", "refresh.response.refresh_token: must name"),
    ("[session]\nttl = 1\n", "session: unknown table"),
    ("[login]\npath = 5\n", "login.path: 5 is not a string"),
    ("[refresh\n", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "says"), BAD_PROFILES)
def test_a_malformed_profile_is_refused_with_one_line_naming_the_key(
        tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "my-api.toml"
    path.write_text(text)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    message = str(caught.value)
    assert says in message and "\n" not in message and str(path) in message, message


def test_an_empty_profile_is_the_reference_api(tmp_path: Path) -> None:
    path = tmp_path / "empty.toml"
    path.write_text("")
    assert load_profile(path).endpoints == load_profile("reference").endpoints
    assert load_profile(path).describe() == {**load_profile("reference").describe(),
                                             "name": "empty"}


def test_the_backend_stops_on_a_malformed_profile_before_serving(tmp_path: Path) -> None:
    path = tmp_path / "my-api.toml"
    path.write_text("[refresh]\ntransport = 'pigeon'\n")
    run = subprocess.run([sys.executable, "-m", "mock_backend", "--api-profile", str(path),
                          "--port", "1"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "refresh.transport" in lines[0], run.stderr
    assert "Uvicorn running" not in run.stdout + run.stderr


def test_a_page_load_of_a_path_the_api_uses_for_post_gets_the_spa(
        serve_backend: ServeBackend) -> None:
    # ASP.NET Identity's login is POST /login; the SPA's own /login route must still load.
    server = serve_backend(api_profile=load_profile("aspnet-identity"), spa_dir=default_spa_dir())
    page = httpx.get(server.url + "/login", headers={"Accept": "text/html,*/*"})
    assert page.status_code == 200 and "<html" in page.text.lower(), page.text[:200]
    api = httpx.get(server.url + "/login", headers={"Accept": "application/json"})
    assert api.status_code == 405, api.text
