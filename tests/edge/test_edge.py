"""The edge (`mock_backend.edge`) in front of a backend it did not write.

Two upstreams, served in this process: an echo app that answers with what reached it (for
what the edge forwards and rewrites), and the reference backend without its test-control
API (for the journal, the lineage, expiry and faults on real token flows).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness.servers.live_server import LiveServer, free_port
from mock_backend import Settings, create_app, load_profile
from mock_backend.edge.accounts import AccountsError, accounts_from_dict, load_accounts
from mock_backend.edge.app import EdgeSettings, create_edge_app
from mock_backend.edge.tokens import spoil, view
from mock_backend.profile import ApiProfile

ACCOUNTS = accounts_from_dict({"account": [
    {"username": "alice", "password": "alice-pass", "name": "Alice Anders"},
    {"username": "admin", "password": "admin-pass", "name": "Ada Admin", "role": "admin"}]})
CSRF = {"X-Requested-With": "XMLHttpRequest"}


async def _echo(request: Request) -> Response:
    body = await request.body()
    if request.url.path == "/api/redirect":
        return Response(status_code=301, headers={
            "location": f"{request.app.state.origin}/api/elsewhere/?a=1"})
    answer = JSONResponse({"method": request.method, "path": request.url.path,
                           "query": request.url.query, "body": body.decode(),
                           "headers": [[k, v] for k, v in request.headers.items()]},
                          status_code=201 if request.method == "POST" else 200)
    if request.url.path == "/api/jar":
        answer.set_cookie("jar", "1", httponly=True, path="/")  # host-only
    else:
        answer.set_cookie("refresh_token", "opaque-value", domain="upstream.test",
                          httponly=True, samesite="lax", path="/")
    return answer


@pytest.fixture(scope="module")
def echo() -> Iterator[LiveServer]:
    app = Starlette(routes=[Route("/{path:path}", _echo,
                                  methods=["GET", "POST", "PUT", "DELETE", "PATCH"])])
    with LiveServer(app, url_host="127.0.0.1") as server:
        app.state.origin = server.url
        yield server


@pytest.fixture(scope="module")
def reference() -> Iterator[LiveServer]:
    # No race window: a replay right after a rotation revokes the family at once.
    settings = Settings(access_ttl=60, spa_dir=None, password_cost=10, race_window=0)
    with LiveServer(create_app(settings), url_host="127.0.0.1") as server:
        yield server


def _edge(upstream: str, profile: ApiProfile | None = None,
          accounts: dict | None = None) -> LiveServer:
    return LiveServer(create_edge_app(EdgeSettings(
        upstream=upstream, api_profile=profile or ApiProfile(),
        accounts=accounts_from_dict(accounts) if accounts else ACCOUNTS)))


@pytest.fixture
def edge(reference: LiveServer) -> Iterator[httpx.Client]:
    with _edge(reference.url) as server, httpx.Client(base_url=server.url, timeout=10) as c:
        yield c


def _entries(client: httpx.Client) -> list[dict]:
    return client.get("/__harness/journal").json()["entries"]


def _login(client: httpx.Client, user: str = "alice") -> tuple[str, str]:
    """(access token, refresh value) of a login through the edge."""
    answer = client.post("/api/login", json={"username": user, "password": f"{user}-pass"},
                         headers=CSRF)
    assert answer.status_code == 200, answer.text
    cookie = answer.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    return answer.json()["accessToken"], cookie


def _refresh(client: httpx.Client, value: str) -> httpx.Response:
    return client.post("/api/refresh-token", headers={**CSRF, "Cookie": f"refresh_token={value}"})


# --- forwarding -----------------------------------------------------------------------------


def test_a_request_reaches_the_upstream_unchanged(echo: LiveServer) -> None:
    with _edge(echo.url) as server, httpx.Client(base_url=server.url) as client:
        sent = {"Authorization": "Bearer abc.def.ghi", "Origin": "http://localhost:9",
                "Sec-Fetch-Site": "same-origin", "X-CSRFToken": "t0k3n",
                "Cookie": "a=1; refresh_token=xyz", "Content-Type": "application/json"}
        answer = client.post("/api/jobs?x=1&y=%20z", content=b'{"title": "t"}', headers=sent)
    got = answer.json()
    assert (answer.status_code, got["method"], got["path"], got["query"], got["body"]) == \
        (201, "POST", "/api/jobs", "x=1&y=%20z", '{"title": "t"}')
    headers = {k: v for k, v in got["headers"]}
    for name, value in sent.items():
        assert headers[name.lower()] == value
    assert headers["host"] == server.url.split("//")[1]  # as the browser sent it


def test_the_edge_keeps_no_cookie_of_its_own(echo: LiveServer) -> None:
    with _edge(echo.url) as server:
        for _ in range(2):  # each answer sets a cookie; no request of the browser sends one
            got = httpx.get(f"{server.url}/api/jar").json()
    assert "cookie" not in dict(got["headers"])


def test_set_cookie_loses_its_domain_and_a_location_on_the_upstream_points_at_the_edge(
        echo: LiveServer) -> None:
    with _edge(echo.url) as server, httpx.Client(base_url=server.url) as client:
        cookie = client.get("/api/x").headers["set-cookie"]
        location = client.get("/api/redirect").headers["location"]
    assert "domain" not in cookie.lower() and "HttpOnly" in cookie and "Path=/" in cookie
    assert location == f"{server.url}/api/elsewhere/?a=1"


def test_the_edge_serves_the_spa_and_forwards_only_the_api(echo: LiveServer,
                                                           tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<p>the app</p>")
    settings = EdgeSettings(upstream=echo.url, api_profile=ApiProfile(), accounts=ACCOUNTS,
                            spa_dir=tmp_path)
    with LiveServer(create_edge_app(settings)) as server, httpx.Client(base_url=server.url) as c:
        assert c.get("/profile").text == "<p>the app</p>"
        assert c.get("/api/current-user").json()["path"] == "/api/current-user"
        assert c.get("/__harness/journal").json()["count"] == 1


def test_an_upstream_that_went_away_gives_502_and_the_journal_says_why() -> None:
    gone = f"http://127.0.0.1:{free_port()}"
    with _edge(gone) as server, httpx.Client(base_url=server.url) as client:
        answer = client.get("/api/current-user")
        entry = _entries(client)[-1]
    assert answer.status_code == 502
    assert f"the backend at {gone} did not answer" in answer.json()["message"]
    assert entry["status"] == 502 and "ConnectError" in entry["upstream_error"]


# --- the journal and the lineage --------------------------------------------------------------


def test_login_refresh_and_replay_are_the_lineage_the_edge_saw(edge: httpx.Client) -> None:
    access, first = _login(edge)
    second_answer = _refresh(edge, first)
    second = second_answer.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    replay = _refresh(edge, first)  # the reference revokes the whole family here
    successor = _refresh(edge, second)
    entries = _entries(edge)
    assert [(e["path"], e["status"], e["refresh_family"], e["refresh_generation"])
            for e in entries] == [("/api/login", 200, None, None),
                                  ("/api/refresh-token", 200, "e1", 0),
                                  ("/api/refresh-token", 401, "e1", 0),
                                  ("/api/refresh-token", 401, "e1", 1)]
    assert [e["lineage"] for e in entries] == [
        "login: family e1 starts", "rotated family e1 to generation 1",
        "replay: generation 0 of family e1 already had a successor",
        "refused family e1's newest value (401)"]
    assert entries[0]["access_jti"] is None and entries[0]["issued_access_token"] == access
    assert entries[1]["issued_refresh_token"] == second
    assert (replay.status_code, successor.status_code) == (401, 401)
    [family] = edge.get("/__harness/sessions").json()["families"]
    # The edge cannot tell from a refusal that the family ended: it says what it saw.
    assert (family["user"], family["generation"], family["state"], family["replays"],
            family["refusals"]) == ("alice", 1, "live", 1, 1)


def test_two_successes_from_one_value_are_a_fork() -> None:
    # An upstream that rotates and never refuses a value: each refresh of one value succeeds.
    counter = iter(range(1, 1000))

    async def tokens(request: Request) -> Response:
        answer = JSONResponse({"accessToken": f"opaque-access-{next(counter)}"})
        answer.set_cookie("refresh_token", f"value-{next(counter)}", httponly=True)
        return answer

    app = Starlette(routes=[Route("/api/login", tokens, methods=["POST"]),
                            Route("/api/refresh-token", tokens, methods=["POST"])])
    with LiveServer(app, url_host="127.0.0.1") as up, _edge(up.url) as server, \
            httpx.Client(base_url=server.url) as client:
        _, value = _login(client)
        for _ in range(2):
            _refresh(client, value)
        entries = _entries(client)
        [family] = client.get("/__harness/sessions").json()["families"]
    assert [e["lineage"] for e in entries[1:]] == [
        "rotated family e1 to generation 1",
        "fork: a second success from generation 0 of family e1"]
    assert (family["forks"], family["generation"], family["state"]) == (1, 1, "live")


def test_logout_ends_the_family_as_far_as_the_edge_can_tell(edge: httpx.Client) -> None:
    _, value = _login(edge)
    answer = edge.post("/api/logout", headers={**CSRF, "Cookie": f"refresh_token={value}"})
    assert answer.status_code in (200, 204)
    assert _entries(edge)[-1]["lineage"] == "logout: family e1 ends"
    [family] = edge.get("/__harness/sessions").json()["families"]
    assert (family["state"], family["reason"]) == ("revoked", "logout")


def test_facts_come_from_the_profile_the_accounts_and_what_the_edge_saw(
        edge: httpx.Client) -> None:
    before = edge.get("/__harness/facts").json()
    assert before["edge"]["observed"] == {"lifetimes": False, "cookie": False}
    access, _ = _login(edge)
    edge.get("/api/job-list", headers={"Authorization": f"Bearer {access}"})
    facts = edge.get("/__harness/facts").json()
    assert facts["version"] == 1 and facts["api"]["refresh"]["path"] == "/api/refresh-token"
    assert facts["lifetimes"]["access"] == 60 and facts["alg"] == "HS256"
    assert {k: facts["cookie"][k] for k in ("http_only", "secure", "same_site")} == \
        {"http_only": True, "secure": True, "same_site": "Strict"}
    alice = next(u for u in facts["users"] if u["username"] == "alice")
    assert (alice["name"], alice["jobs"]) == ("Alice Anders", 3)


# --- expiry at the edge -----------------------------------------------------------------------


def test_an_access_token_the_edge_holds_expired_gets_the_upstreams_own_answer(
        edge: httpx.Client) -> None:
    access, _ = _login(edge)
    bearer = {"Authorization": f"Bearer {access}"}
    assert edge.get("/api/current-user", headers=bearer).status_code == 200
    edge.post("/__harness/clock", json={"advance": 61})
    answer = edge.get("/api/current-user", headers=bearer)
    assert answer.status_code == 401
    assert "invalid_token" in answer.headers["www-authenticate"]  # the reference's answer
    assert _entries(edge)[-1]["spoiled"] == "access"
    edge.post("/__harness/reset")
    assert edge.get("/api/current-user", headers=bearer).status_code == 200


def test_a_refresh_value_in_the_body_past_the_accounts_lifetime_is_spoiled(
        reference: LiveServer) -> None:
    profile = load_profile("simplejwt")
    upstream = Settings(access_ttl=60, spa_dir=None, password_cost=10, api_profile=profile)
    accounts = {"refresh_lifetime": "1h", "account": [
        {"username": "alice", "password": "alice-pass", "name": "Alice Anders"}]}
    with LiveServer(create_app(upstream), url_host="127.0.0.1") as up, \
            _edge(up.url, profile, accounts) as server, \
            httpx.Client(base_url=server.url) as client:
        client.post("/api/token/", json={"username": "alice", "password": "alice-pass"})
        refresh = _entries(client)[0]["issued_refresh_token"]
        assert refresh, "the login handed out a refresh value (the reference: in the cookie)"
        assert client.post("/api/token/refresh/", json={"refresh": refresh}).status_code == 200
        rotated = _entries(client)[-1]["issued_refresh_token"]
        client.post("/__harness/clock", json={"advance": 3601})
        answer = client.post("/api/token/refresh/", json={"refresh": rotated})
        entry = _entries(client)[-1]
    assert answer.status_code == 401
    assert entry["spoiled"] == "refresh"
    assert entry["lineage"] == "refused: family e1's value expired at the edge"


def test_spoiling_keeps_a_tokens_shape() -> None:
    token = ("eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJqMSIsImV4cCI6MTB9."
             "c2lnbmF0dXJlLWJ5dGVz")
    spoiled = spoil(token)
    assert spoiled != token and spoiled.count(".") == 2 and len(spoiled) == len(token)
    assert view(spoiled).id == "j1" and view(token).exp == 10
    assert spoil("opaque-A") == "opaque-B" and spoil("opaque-x") == "opaque-A"
    assert view("opaque").id.startswith("sha256:") and view("opaque").exp is None


# --- faults at the edge -----------------------------------------------------------------------


def test_a_request_a_check_makes_on_purpose_is_marked_and_the_marker_not_sent_on(
        echo: LiveServer) -> None:
    with _edge(echo.url) as server, httpx.Client(base_url=server.url) as client:
        got = client.get("/api/x", headers={"X-Harness-Probe": "1"}).json()
        plain = client.get("/api/y").json()
        entries = _entries(client)
    assert "x-harness-probe" not in dict(got["headers"]) and plain["path"] == "/api/y"
    assert [e["probe"] for e in entries] == [True, None]


def test_faults_act_at_the_edge_and_at_checked_is_refused_with_the_reason(
        edge: httpx.Client) -> None:
    _, value = _login(edge)
    edge.post("/__harness/faults", json={"path": "/api/refresh-token", "status": 503})
    assert _refresh(edge, value).status_code == 503
    assert _refresh(edge, value).status_code == 200  # the fault's one use is spent
    refused = edge.post("/__harness/faults", json={"path": "/api/refresh-token",
                                                   "gate": True, "at": "checked"})
    assert refused.status_code == 422
    assert "an edge sees a request only before and after the backend" in refused.json()["message"]


def test_a_gate_at_the_edge_holds_the_refresh_until_released(edge: httpx.Client) -> None:
    import threading

    _, value = _login(edge)
    fault = edge.post("/__harness/faults", json={"path": "/api/refresh-token",
                                                 "gate": True}).json()["id"]
    results: list[int] = []
    sender = threading.Thread(target=lambda: results.append(_refresh(edge, value).status_code))
    sender.start()
    held = edge.post(f"/__harness/faults/{fault}/wait", json={"held": 1, "timeout": 10}).json()
    assert held["met"] and not results
    edge.post(f"/__harness/faults/{fault}/release")
    sender.join(10)
    assert results == [200]


# --- the accounts file --------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "line"), [
    ({"account": [{"username": "a", "password": "p", "name": "A", "role": "root"}]},
     "accounts.toml: account[1].role: Input should be 'user' or 'admin'"),
    ({"account": [{"username": "a", "password": "p", "name": "A", "pass": "x"}]},
     "accounts.toml: account[1].pass: unknown key (known: username, password, name, role)"),
    ({"sessions": 5, "account": [{"username": "a", "password": "p", "name": "A"}]},
     "accounts.toml: sessions: unknown key (known: refresh_lifetime, session_limit, account)"),
    ({}, "accounts.toml: account: at least one [[account]] is needed"),
    ({"refresh_lifetime": "a day", "account": [{"username": "a", "password": "p",
                                                "name": "A"}]},
     "accounts.toml: refresh_lifetime: invalid duration 'a day': use e.g. \"1d\", \"12h\" or "
     "\"30m\""),
    ({"account": [{"username": "a", "password": "p", "name": "A"},
                  {"username": "a", "password": "q", "name": "B"}]},
     "accounts.toml: account: username 'a' is listed twice"),
    ({"account": [{"username": "a", "name": "A"}]}, "accounts.toml: account[1].password: missing"),
])
def test_a_bad_accounts_file_is_one_line_naming_the_key(data: dict, line: str) -> None:
    with pytest.raises(AccountsError) as caught:
        accounts_from_dict(data, "accounts.toml")
    assert str(caught.value) == line


def test_an_accounts_file_loads_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text('refresh_lifetime = "1d"\nsession_limit = 5\n[[account]]\n'
                    'username = "alice"\npassword = "alice-pass"\nname = "Alice Archer"\n')
    accounts = load_accounts(path)
    assert (accounts.refresh_lifetime, accounts.session_limit) == (86400, 5)
    assert accounts.user("alice").name == "Alice Archer" and accounts.user("bob") is None
    with pytest.raises(AccountsError, match="no such file"):
        load_accounts(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("[[account]\n")
    with pytest.raises(AccountsError, match="not valid TOML"):
        load_accounts(tmp_path / "bad.toml")


def test_a_request_to_another_endpoint_streams_through_both_ways(edge: httpx.Client) -> None:
    access, _ = _login(edge)
    answer = edge.post("/api/jobs", json={"title": "x" * 10},
                       headers={"Authorization": f"Bearer {access}"})
    assert answer.status_code == 201 and json.loads(answer.content)["title"] == "x" * 10


# --- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (["--upstream", "http://127.0.0.1:1"],
     "--upstream needs --accounts FILE: the accounts that can log in to your backend "
     "(docs/your-backend.md)"),
    (["--accounts", "a.toml"], "--accounts is for an edge: give --upstream URL as well"),
    (["--upstream", "http://127.0.0.1:1", "--accounts", "a.toml", "--store", "sqlite:x.db",
      "--access-ttl", "30s"],
     "--store, --access-ttl: the reference backend's own setting; with --upstream your "
     "backend decides it"),
    (["--upstream", "http://127.0.0.1:1", "--accounts", "missing.toml"],
     "missing.toml: no such file"),
    (["--upstream", "ftp://127.0.0.1:1", "--accounts", "ACCOUNTS"],
     "--upstream ftp://127.0.0.1:1: expected http(s)://host:port"),
])
def test_the_edge_command_line_refuses_what_it_cannot_do(args: list[str], message: str,
                                                          tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    from mock_backend.__main__ import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "ACCOUNTS").write_text('[[account]]\nusername = "a"\npassword = "p"\n'
                                       'name = "A"\n')
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    assert capsys.readouterr().err == f"python -m mock_backend: error: {message}\n"
