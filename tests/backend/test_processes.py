"""Several backend processes, one store: 500 concurrent refreshes of one family, spread over
4 processes, leave exactly one live successor; every other one is told it lost a race.

Two ways to run several processes, for the SQLite and the Redis store:
- 4 processes on ports of their own, each with its own test-control API. The journal, the
  clock and the faults belong to each process; the sessions are the shared store's. A gate
  on each process holds every refresh until all 500 arrived, so all of them race.
- `--workers 4` on one port, which refuses the test-control API; a fifth process on the same
  store, with its test-control API, reads the sessions afterwards.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from harness.seam.client import BackendClient
from tests.backend.processes import backend_process
from tests.backend.wire import CSRF, bearer, login, parse_set_cookie, refresh

N = 500
PROCESSES = 4
SUPERSEDED = "refresh token superseded by a concurrent refresh"


def _store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    return (f"sqlite:{tmp_path / 'shared.db'}" if kind == "sqlite"
            else request.getfixturevalue("redis_url"))


def _refresh_all(urls: list[str], cookie: str) -> list[httpx.Response]:
    """N refreshes at once, request i to urls[i % len(urls)], each on its own connection."""
    async def run() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
        clients = [httpx.AsyncClient(base_url=u, timeout=60, limits=limits) for u in urls]
        try:
            headers = {**CSRF, "Cookie": f"refresh_token={cookie}"}
            return list(await asyncio.gather(*(
                clients[i % len(urls)].post("/api/refresh-token", headers=headers)
                for i in range(N))))
        finally:
            for client in clients:
                await client.aclose()

    return asyncio.run(run())


def _assert_one_successor(responses: list[httpx.Response], control: BackendClient,
                          url: str) -> str:
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 401: N - 1}, statuses
    messages = Counter(r.json()["message"] for r in responses if r.status_code == 401)
    assert list(messages) == [SUPERSEDED], messages
    assert not any("set-cookie" in r.headers for r in responses if r.status_code == 401)
    [family] = control.sessions()
    assert (family.generation, family.state) == (1, "live"), family
    [winner] = [r for r in responses if r.status_code == 200]
    successor = parse_set_cookie(winner).value
    with httpx.Client(base_url=url) as http:
        assert refresh(http, successor).status_code == 200  # the one live successor
    return successor


@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_500_refreshes_over_4_processes_with_their_own_ports_rotate_once(
        store: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    spec = _store(store, tmp_path, request)
    with backend_process("--store", spec, "--test-control", "--no-spa") as first, \
            backend_process("--store", spec, "--test-control", "--no-spa") as second, \
            backend_process("--store", spec, "--test-control", "--no-spa") as third, \
            backend_process("--store", spec, "--test-control", "--no-spa") as fourth, \
            ExitStack() as clients:
        urls = [first, second, third, fourth]
        controls = [clients.enter_context(BackendClient(u)) for u in urls]
        with httpx.Client(base_url=first) as http:
            cookie = login(http).refresh
        gates = [c.fault("/api/refresh-token", times=N // PROCESSES, gate=True)
                 for c in controls]

        held: list[bool] = []

        def release_when_all_arrived() -> None:
            # Request i goes to process i % 4: each gate holds its own quarter of the N.
            try:
                held.extend(gate.wait_held(N // PROCESSES, timeout=60) for gate in gates)
            finally:
                for gate in gates:
                    gate.release()

        releaser = threading.Thread(target=release_when_all_arrived)
        releaser.start()
        responses = _refresh_all(urls, cookie)
        releaser.join()
        assert held == [True] * PROCESSES, f"{N} refreshes not all held by {PROCESSES} processes"
        # Each process's journal has the requests it served, and only those.
        path = "/api/refresh-token"
        journals = [c.journal(path) for c in controls]
        assert [len(j) for j in journals] == [N // PROCESSES] * PROCESSES
        assert [j.peak_in_flight(path) for j in journals] == [N // PROCESSES] * PROCESSES
        assert sum(j.count(path, status=200) for j in journals) == 1
        assert sum(j.count(path, status=401) for j in journals) == N - 1
        # Every process reads the same sessions: they are the store's.
        assert len({str(c.sessions()) for c in controls}) == 1
        _assert_one_successor(responses, controls[3], fourth)


@pytest.mark.parametrize(("store", "alg"), [("sqlite", "HS256"), ("redis", "EdDSA")])
def test_500_refreshes_over_4_workers_on_one_port_rotate_once(
        store: str, alg: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """The workers share the store and one signing key made at start (no secret in the
    environment here): a token one worker issued, every other one honours."""
    spec = _store(store, tmp_path, request)
    # A long race window: without a gate, a late request must still count as a race.
    with backend_process("--store", spec, "--workers", str(PROCESSES), "--alg", alg,
                         "--race-window", "60s", "--no-spa", secret=None) as url, \
            backend_process("--store", spec, "--test-control", "--no-spa") as observer, \
            BackendClient(observer) as control, httpx.Client(base_url=url) as http:
        session = login(http)
        with httpx.Client(base_url=url, limits=httpx.Limits(max_keepalive_connections=0)) \
                as fresh_connections:
            for _ in range(20):  # a new connection each: any worker may answer
                me = fresh_connections.get("/api/current-user", headers=bearer(session.access))
                assert me.status_code == 200, me.text
        responses = _refresh_all([url], session.refresh)
        _assert_one_successor(responses, control, url)


def test_workers_refuse_a_store_they_cannot_share_and_the_test_control_api(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from mock_backend.__main__ import main

    for args, said in [
            (["--workers", "2"], "--workers needs a store the processes share"),
            (["--workers", "2", "--store", f"sqlite:{tmp_path / 't.db'}", "--test-control"],
             "--workers cannot serve --test-control"),
            (["--workers", "0"], "invalid worker count '0'")]:
        with pytest.raises(SystemExit) as exited:
            main([*args, "--no-spa"])
        assert exited.value.code == 2
        assert said in capsys.readouterr().err
