"""The test-control API: off by default; facts, journal, clock, faults, sessions, reset."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from harness.fixtures.servers import ServeBackend
from harness.seam.client import BackendClient
from mock_backend.config import default_spa_dir
from tests.backend.wire import bearer, login, refresh


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/__harness/facts"), ("GET", "/__harness/journal"), ("POST", "/__harness/reset"),
    ("POST", "/__harness/clock"),
    ("POST", "/__harness/faults"), ("GET", "/__harness/sessions"),
])
def test_control_api_is_404_unless_enabled(serve_backend: ServeBackend, method: str,
                                           path: str) -> None:
    # With the SPA mounted too: its history fallback must not answer for these paths.
    server = serve_backend(test_control=False, spa_dir=default_spa_dir())
    r = httpx.request(method, server.url + path, json={"advance": 1})
    assert r.status_code == 404, r.text
    assert r.json()["error"] == "not_found"


def test_gate_holds_refreshes_until_released_and_peak_is_reported(
        http: httpx.Client, backend: BackendClient, live_backend: object) -> None:
    sessions = [login(http).refresh for _ in range(3)]
    gate = backend.fault("/api/refresh-token", times=3, gate=True)
    results: list[int] = []

    def send(cookie: str) -> None:
        with httpx.Client(base_url=str(http.base_url), timeout=10) as client:
            results.append(refresh(client, cookie).status_code)

    threads = [threading.Thread(target=send, args=(c,)) for c in sessions]
    for t in threads:
        t.start()
    all_held = gate.wait_held(3)
    assert results == []  # held, not answered
    assert backend.count("/api/refresh-token", "POST", status=200) == 0
    gate.release()
    for t in threads:
        t.join(10)
    assert all_held, "the 3 refreshes were not held"
    assert results == [200, 200, 200]
    assert backend.peak_in_flight("/api/refresh-token") == 3


def test_journal_records_tokens_family_and_origin(http: httpx.Client,
                                                  backend: BackendClient) -> None:
    session = login(http)
    http.get("/api/job-list", params={"userId": "u2"}, headers=bearer(session.access))
    refresh(http, session.refresh, {"Origin": str(http.base_url).rstrip("/")})
    login_entry, list_entry, refresh_entry = backend.journal()
    assert (login_entry.method, login_entry.path, login_entry.status) == (
        "POST", "/api/login", 200)
    assert list_entry.access_jti and list_entry.query == "userId=u2"
    assert list_entry.start <= list_entry.end
    [family] = backend.sessions()
    assert (refresh_entry.refresh_family, refresh_entry.refresh_generation) == (
        family.id, 0)
    assert refresh_entry.origin == str(http.base_url).rstrip("/")
    assert [e.seq for e in backend.journal()] == [1, 2, 3]
    assert len(backend.journal(path="/api/login", method="POST")) == 1


def test_journal_gives_its_last_seq_whatever_the_filters_and_last_keeps_the_newest(
        http: httpx.Client, backend: BackendClient) -> None:
    assert backend.mark() == 0  # a fresh journal
    session = login(http)
    for _ in range(3):
        http.get("/api/current-user", headers=bearer(session.access))

    def seqs(**params: object) -> tuple[list[int], int]:
        answer = http.get("/__harness/journal", params=params).json()
        assert answer["count"] == len(answer["entries"]), answer
        return [e["seq"] for e in answer["entries"]], answer["last_seq"]

    assert seqs() == ([1, 2, 3, 4], 4)
    assert seqs(last=0) == ([], 4) and backend.mark() == 4
    assert seqs(last=2) == ([3, 4], 4)
    assert seqs(last=9) == ([1, 2, 3, 4], 4)
    assert seqs(path="/api/login", last=1) == ([1], 4)  # the newest of the entries kept
    assert seqs(after=1, last=2) == ([3, 4], 4)
    assert seqs(after=4) == ([], 4)
    assert http.get("/__harness/journal", params={"last": -1}).status_code == 422
    # The mark is the newest seq, as the whole journal's would be.
    assert backend.mark() == backend.journal().last_seq == 4
    backend.reset()
    assert backend.mark() == 0


def test_journal_records_the_tokens_each_answer_issued(http: httpx.Client,
                                                      backend: BackendClient) -> None:
    # The exact values let a browser check look for them in storage (S4) by value.
    session = login(http)
    renewed = refresh(http, session.refresh)
    http.get("/api/current-user", headers=bearer(session.access))
    login_entry, refresh_entry, user_entry = backend.journal()
    assert login_entry.issued_access_token == session.access
    assert login_entry.issued_refresh_token == session.refresh
    assert user_entry.access_jti == login_entry.issued_access_jti is not None
    assert refresh_entry.issued_access_token == renewed.json()["accessToken"]
    assert refresh_entry.issued_refresh_token not in (None, session.refresh)
    assert user_entry.issued_access_token is user_entry.issued_refresh_token is None


def test_held_request_whose_client_left_never_reaches_the_app(
        http: httpx.Client, backend: BackendClient) -> None:
    session = login(http)
    gate = backend.fault("/api/refresh-token", times=1, gate=True)
    mark = backend.mark()
    # The client gives up while the refresh is held (as a browser's timeout would).
    url = httpx.URL(str(http.base_url))
    with socket.create_connection((url.host, url.port), timeout=10) as raw:
        raw.sendall(b"POST /api/refresh-token HTTP/1.1\r\nHost: " + url.netloc +
                    b"\r\nX-Requested-With: x\r\nContent-Length: 0\r\nCookie: refresh_token="
                    + session.refresh.encode() + b"\r\n\r\n")
        assert gate.wait_held(1), "the refresh was not held"
    # The gate lets go of a request whose client left before the journal answers it.
    left, _ = backend.wait_journal(mark, path="/api/refresh-token", answered=True)
    assert left and gate.state().held == 0, "the held client did not leave"
    gate.release()
    # Nothing rotated: the cookie the client still holds is the live one.
    assert [e.status for e in backend.journal("/api/refresh-token")] == [0]
    assert refresh(http, session.refresh).status_code == 200
    assert [f.state for f in backend.sessions()] == ["live"]


def test_status_delay_and_drop_faults_apply_to_the_next_n(http: httpx.Client,
                                                          backend: BackendClient) -> None:
    session = login(http)
    backend.fault("/api/refresh-token", times=2, status=503)
    assert [refresh(http, session.refresh).status_code for _ in range(2)] == [503, 503]
    assert refresh(http, session.refresh).status_code == 200
    backend.fault("/api/current-user", times=1, drop=True)
    with pytest.raises(httpx.RemoteProtocolError):
        http.get("/api/current-user", headers=bearer(session.access))
    backend.fault("/api/current-user", times=1, delay_ms=50)
    r = http.get("/api/current-user", headers=bearer(session.access))
    assert r.status_code == 200 and r.elapsed.total_seconds() >= 0.05
    assert [e.status for e in backend.journal("/api/current-user")] == [0, 200]


def test_a_faults_answer_carries_cors_for_an_allowed_origin(serve_backend: ServeBackend) -> None:
    # A cross-origin app (`--spa-url`, or the cross-origin topology) reads the status a fault
    # makes up, as it reads the backend's own: the browser would hide an answer without
    # Access-Control-Allow-Origin from it as a network error.
    app_origin = "http://localhost:4321"
    server = serve_backend(test_control=True, allow_origins=[app_origin])
    with BackendClient(server.url) as control:
        control.fault("/api/current-user", times=2, status=401)
        allowed = httpx.get(server.url + "/api/current-user", headers={"Origin": app_origin})
        foreign = httpx.get(server.url + "/api/current-user",
                            headers={"Origin": "http://evil.example"})
    assert allowed.status_code == 401 and allowed.json()["error"] == "injected_fault"
    assert allowed.headers["access-control-allow-origin"] == app_origin
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert foreign.status_code == 401
    assert "access-control-allow-origin" not in foreign.headers


@pytest.mark.parametrize("body", [
    {}, {"advance": 1, "set": 2}, {"advance": "1"}, {"advance": None}, {"tick": 1},
    {"freeze": "yes"}, {"freeze": 1}, {"freeze": None},
])
def test_bad_clock_input_is_422_and_changes_nothing(http: httpx.Client, backend: BackendClient,
                                                   body: dict) -> None:
    before = http.get("/__harness/clock").json()["now"]
    r = http.post("/__harness/clock", json=body)
    assert r.status_code == 422, r.text
    assert abs(http.get("/__harness/clock").json()["now"] - before) < 5


@pytest.mark.parametrize("body", [
    {"path": "/api/login"}, {"path": "api/login", "status": 500},
    {"path": "/api/login", "status": 700}, {"path": "/api/login", "times": 0, "status": 500},
    {"path": "/api/login", "status": 500, "drop": True}, {"path": "/api/x", "delay": 5},
    {"path": "/api/login", "delay_ms": -1},
])
def test_bad_fault_input_is_422_and_arms_nothing(http: httpx.Client, backend: BackendClient,
                                                 body: dict) -> None:
    r = http.post("/__harness/faults", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_request" and r.json()["message"]
    assert backend.faults() == []


def test_release_of_unknown_fault_is_404(http: httpx.Client, backend: BackendClient) -> None:
    r = http.post("/__harness/faults/f999/release")
    assert r.status_code == 404, r.text


def test_reset_clears_journal_store_clock_and_faults(http: httpx.Client,
                                                     backend: BackendClient) -> None:
    login(http)
    backend.advance_clock(3600)
    backend.fault("/api/login", status=500)
    backend.reset()
    assert len(backend.journal()) == 0 and backend.sessions() == [] and backend.faults() == []
    assert abs(http.get("/__harness/clock").json()["now"] - http.get(
        "/__harness/clock").json()["now"]) < 1
    assert login(http).access


def test_facts_describe_the_backend_as_it_is_configured(serve_backend: ServeBackend) -> None:
    # The harness learns everything from here, so a changed setting must show in the facts.
    server = serve_backend(cookie_name="rt", cookie_path="/", csrf_header="X-CSRF",
                           access_ttl=60, refresh_ttl=3600, race_window=5,
                           refresh_failure_status=403, allow_origins=["http://localhost:5173"])
    with BackendClient(server.url) as client:
        facts = client.facts()
        raw = httpx.get(server.url + "/__harness/facts").json()
    assert (facts.cookie.name, facts.cookie.path) == ("rt", "/")
    assert facts.cookie.http_only and facts.cookie.secure and facts.cookie.same_site == "Strict"
    assert facts.csrf_headers == {"X-CSRF": "XMLHttpRequest"}
    assert (facts.access_ttl, facts.refresh_ttl, facts.race_window) == (60, 3600, 5)
    assert facts.refresh_failure_status == 403
    assert facts.allow_origins == ("http://localhost:5173",) and not facts.serves_spa
    assert str(facts.refresh) == "POST /api/refresh-token" and facts.list_field == "jobs"
    assert abs(raw["clock"]["now"] - client_now(server.url)) < 5


def client_now(url: str) -> float:
    return float(httpx.get(url + "/__harness/clock").json()["now"])


def test_facts_seed_data_is_what_a_reset_backend_holds(http: httpx.Client,
                                                       backend: BackendClient) -> None:
    # Every demo user logs in with the password the facts give, and lists as many jobs.
    for user in backend.facts().users:
        session = login(http, user.username, user.password)
        jobs = http.get(backend.facts().list.path, headers=bearer(session.access)).json()
        assert len(jobs[backend.facts().list_field]) == user.jobs > 0, (user, jobs)
    assert {u.username: u.role for u in backend.facts().users} == {
        "alice": "user", "bob": "user", "admin": "admin"}


def test_a_frozen_clock_stands_still_until_moved_and_runs_on_when_unfrozen(
        backend: BackendClient, http: httpx.Client) -> None:
    at = backend.freeze_clock(at=2_000_000_000)
    assert at == 2_000_000_000
    # Requests take wall time; the frozen clock does not see it.
    login(http)
    assert http.get("/__harness/clock").json() == {"now": 2_000_000_000, "frozen": True}
    assert backend.advance_clock(1.5) == 2_000_000_001.5
    assert backend.set_clock(2_000_000_100) == 2_000_000_100
    running = backend.unfreeze_clock()
    assert 2_000_000_100 <= running < 2_000_000_105
    assert http.get("/__harness/clock").json()["frozen"] is False
    backend.reset()
    assert http.get("/__harness/clock").json()["frozen"] is False
