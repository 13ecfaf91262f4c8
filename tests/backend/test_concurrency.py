"""Rotation is a compare-and-set: 20 simultaneous refreshes with one value rotate it once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from harness.fixtures.servers import ServeBackend
from harness.seam.client import BackendClient
from tests.backend.processes import backend_process
from tests.backend.wire import login, parse_set_cookie, refresh

N = 20


def _refresh_all_at_once(urls: list[str], cookie: str) -> list[httpx.Response]:
    """N threads, released together by a barrier, each sending one refresh with `cookie`."""
    barrier = threading.Barrier(N)

    def one(i: int) -> httpx.Response:
        with httpx.Client(base_url=urls[i % len(urls)], timeout=30) as http:
            barrier.wait()
            return refresh(http, cookie)

    with ThreadPoolExecutor(N) as pool:
        return list(pool.map(one, range(N)))


def _hold_refreshes_until_all_arrived(controls: list[BackendClient]) -> Callable[[], None]:
    """Gate every backend; a thread opens the gates once all N requests are held there.
    Request i goes to backend i % len(controls) (`_refresh_all_at_once`), so each gate holds
    its share. Returns the call that joins the thread and checks that all N were held."""
    assert N % len(controls) == 0
    faults = [c.fault("/api/refresh-token", times=N, gate=True) for c in controls]
    held: list[bool] = []

    def release_when_all_held() -> None:
        try:
            held.extend(fault.wait_held(N // len(controls)) for fault in faults)
        finally:
            for fault in faults:
                fault.release()

    releaser = threading.Thread(target=release_when_all_held)
    releaser.start()

    def join() -> None:
        releaser.join()
        assert held == [True] * len(faults), f"{N} refreshes not all held"

    return join


def _assert_one_rotation(responses: list[httpx.Response], control: BackendClient,
                         base_url: str) -> None:
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [401] * (N - 1), statuses
    [winner] = [r for r in responses if r.status_code == 200]
    # Losers of the race are told so, but neither revoke the family nor clear the cookie.
    for loser in (r for r in responses if r.status_code == 401):
        assert "concurrent" in loser.json()["message"], loser.text
        assert "set-cookie" not in loser.headers
    [family] = control.sessions()
    assert (family.generation, family.state) == (1, "live")
    assert control.peak_in_flight("/api/refresh-token") >= 1
    # Exactly one live successor: it refreshes once more.
    with httpx.Client(base_url=base_url) as http:
        assert refresh(http, parse_set_cookie(winner).value).status_code == 200


@pytest.mark.parametrize("store", ["memory", "sqlite", "redis"])
def test_twenty_simultaneous_refreshes_rotate_once(serve_backend: ServeBackend, tmp_path: Path,
                                                   store: str,
                                                   request: pytest.FixtureRequest) -> None:
    spec = ("memory" if store == "memory" else f"sqlite:{tmp_path / 'tokens.db'}"
            if store == "sqlite" else request.getfixturevalue("redis_url"))
    server = serve_backend(store=spec)
    with BackendClient(server.url) as control, httpx.Client(base_url=server.url) as http:
        cookie = login(http).refresh
        all_held = _hold_refreshes_until_all_arrived([control])
        responses = _refresh_all_at_once([server.url], cookie)
        all_held()
        assert control.peak_in_flight("/api/refresh-token") == N
        _assert_one_rotation(responses, control, server.url)


def test_twenty_simultaneous_refreshes_across_two_processes_sharing_sqlite(
        tmp_path: Path) -> None:
    db = f"sqlite:{tmp_path / 'shared.db'}"
    with backend_process("--store", db, "--test-control", "--no-spa") as a, \
            backend_process("--store", db, "--test-control", "--no-spa") as b, \
            BackendClient(a) as control_a, BackendClient(b) as control_b:
        with httpx.Client(base_url=a) as http:
            cookie = login(http).refresh
        all_held = _hold_refreshes_until_all_arrived([control_a, control_b])
        responses = _refresh_all_at_once([a, b], cookie)
        all_held()
        _assert_one_rotation(responses, control_b, b)


def test_unsynchronised_burst_never_leaves_two_live_branches(
        http: httpx.Client, live_backend: object, backend: BackendClient) -> None:
    """Without a gate some requests may arrive after the rotation and count as replays;
    whatever the interleaving, at most one value is ever issued for the family."""
    cookie = login(http).refresh
    responses = _refresh_all_at_once([str(http.base_url)], cookie)
    assert sum(r.status_code == 200 for r in responses) == 1
    [family] = backend.sessions()
    assert family.generation == 1
