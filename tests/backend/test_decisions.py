"""Decisions of the refresh sessions and the stores that no other test pinned down: each
test fails when its one line is wrong.

docs/security.md, "Which test guards which decision", names the line each test guards.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.types import Message

from harness.fixtures.servers import ServeBackend
from harness.seam.client import BackendClient
from mock_backend import Settings
from mock_backend.routes.auth import left_already
from mock_backend.security import hash_refresh_value
from mock_backend.sessions import RefreshRejected, RefreshSessions, SessionPolicy
from mock_backend.store import (
    MemoryStore,
    RefreshFamily,
    SQLiteStore,
    Store,
    TokenRecord,
    open_store,
)
from tests.backend.wire import CSRF, bearer, login, parse_set_cookie, refresh

T0 = 2_000_000_000  # a whole second, for a frozen backend clock
NO_RACE_WINDOW = SessionPolicy(refresh_ttl=3600, reuse_grace=0, max_families_per_user=5,
                               race_window=0)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    opened = (MemoryStore() if request.param == "memory"
              else SQLiteStore(tmp_path / "tokens.db") if request.param == "sqlite"
              else open_store(request.getfixturevalue("redis_url")))
    yield opened
    opened.close()


def _rejected(rotate: Callable[[], object]) -> str:
    with pytest.raises(RefreshRejected) as refused:
        rotate()
    return refused.value.reason


def test_previous_value_that_arrived_before_the_commit_is_a_lost_race_even_with_no_window(
        store: Store) -> None:
    sessions = RefreshSessions(store, NO_RACE_WINDOW)
    previous = sessions.start("u1", T0 - 10).value
    sessions.rotate(previous, lambda: T0, arrived_at=T0 - 1)  # commits at T0
    # The second request arrived at T0 - 1 too, before that commit: a race, not a replay.
    reason = _rejected(lambda: sessions.rotate(previous, lambda: T0, arrived_at=T0 - 1))
    assert reason == "superseded by a concurrent refresh"
    [family] = sessions.snapshot()
    assert (family.generation, family.state) == (1, "live"), family


def test_previous_value_without_an_arrival_time_is_reuse(store: Store) -> None:
    sessions = RefreshSessions(store, SessionPolicy(refresh_ttl=3600, reuse_grace=0,
                                                    max_families_per_user=5, race_window=2))
    previous = sessions.start("u1", T0 - 10).value
    sessions.rotate(previous, lambda: T0, arrived_at=T0)
    # Nothing says when it came, so nothing can call it a race.
    assert _rejected(lambda: sessions.rotate(previous, lambda: T0)) == "reused"
    [family] = sessions.snapshot()
    assert (family.state, family.reason) == ("revoked", "reuse"), family


def test_with_no_race_window_the_previous_value_at_the_commit_instant_revokes(
        serve_backend: ServeBackend) -> None:
    server = serve_backend(race_window=0)
    with BackendClient(server.url) as control, httpx.Client(base_url=server.url) as http:
        control.freeze_clock(at=T0)
        previous = login(http).refresh
        assert refresh(http, previous).status_code == 200  # committed at T0
        r = refresh(http, previous)  # arrives at T0 as well, after the commit
        assert r.status_code == 401, r.text
        assert r.json()["message"] == "refresh token reused", r.text
        [family] = control.sessions()
        assert (family.state, family.reason) == ("revoked", "reuse"), family


def test_logged_out_families_do_not_count_towards_the_limit(
        http: httpx.Client, backend: BackendClient) -> None:
    first, *others = [login(http) for _ in range(5)]
    for session in others:
        r = http.post("/api/logout", headers={**CSRF,
                                              "Cookie": f"refresh_token={session.refresh}"})
        assert r.status_code == 204, r.text
    login(http)  # two live families: nobody is evicted
    states = [(f.state, f.reason) for f in backend.sessions()]
    assert states == [("live", None), *[("revoked", "logout")] * 4, ("live", None)], states
    assert http.get("/api/current-user", headers=bearer(first.access)).status_code == 200


def test_logout_after_reuse_keeps_the_reuse_on_record(
        http: httpx.Client, backend: BackendClient, harness_backend_settings: Settings) -> None:
    previous = login(http).refresh
    newest = parse_set_cookie(refresh(http, previous)).value
    backend.advance_clock(harness_backend_settings.race_window + 1)  # a replay, not a race
    assert refresh(http, previous).json()["message"] == "refresh token reused"
    r = http.post("/api/logout", headers={**CSRF, "Cookie": f"refresh_token={newest}"})
    assert r.status_code == 204, r.text
    [family] = backend.sessions()
    assert (family.state, family.reason) == ("revoked", "reuse"), family


def test_other_users_do_not_count_towards_the_limit_in_any_store(store: Store) -> None:
    sessions = RefreshSessions(store, NO_RACE_WINDOW)
    for second in range(5):
        sessions.start("u1", T0 + second)
    sessions.start("u2", T0 + 5)
    assert [(f.user_id, f.state) for f in sessions.snapshot()] == [
        *[("u1", "live")] * 5, ("u2", "live")]


def _family(family_id: str) -> RefreshFamily:
    return RefreshFamily(id=family_id, user_id="u1", created_at=T0, expires_at=T0 + 3600,
                         last_used_at=T0, generation=0, rotated_at=T0)


def test_a_transaction_reads_its_own_writes_and_keeps_none_when_it_fails(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_family(_family("f1"))
        tx.add_token(TokenRecord(hash_refresh_value("v0"), "f1", 0))
    with pytest.raises(RuntimeError, match="in the middle"), store.transaction() as tx:
        family = tx.get_family("f1")
        assert family is not None
        family.state, family.generation = "revoked", 1
        tx.put_family(family)
        tx.add_token(TokenRecord(hash_refresh_value("v1"), "f1", 1))
        assert tx.find_token(hash_refresh_value("v1")) == TokenRecord(
            hash_refresh_value("v1"), "f1", 1)
        raise RuntimeError("failed in the middle")
    # Nothing of the failed transaction is left, and the store still works.
    with store.transaction() as tx:
        assert tx.find_token(hash_refresh_value("v1")) is None
        family = tx.get_family("f1")
        assert family is not None and (family.state, family.generation) == ("live", 0), family


def test_the_sqlite_store_refuses_a_token_of_no_family(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "tokens.db")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"), \
            store.transaction() as tx:
        tx.add_token(TokenRecord(hash_refresh_value("v0"), "no-such-family", 0))
    with store.transaction() as tx:
        assert tx.find_token(hash_refresh_value("v0")) is None
    store.close()


def test_a_token_is_found_only_by_its_exact_digest(store: Store) -> None:
    digest = hash_refresh_value("v0")
    with store.transaction() as tx:
        tx.put_family(_family("f1"))
        tx.add_token(TokenRecord(digest, "f1", 0))
    with store.transaction() as tx:
        # Digests that share all but the last character, or only a prefix, or differ in case.
        for other in (digest[:-1] + ("0" if digest[-1] != "0" else "1"), digest[:8],
                      digest[:32], digest.upper(), f"{digest}%", "%"):
            assert tx.find_token(other) is None, other
        assert tx.find_token(digest) == TokenRecord(digest, "f1", 0)


def _on_a_loop_of_its_own(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """A worker that already drove a browser has an event loop running in this thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result(30)


@pytest.mark.parametrize("next_message", ["disconnect", "request", "none yet"])
def test_a_client_that_left_is_seen_as_is_disconnected_sees_it(next_message: str) -> None:
    """whole_request asks whether the client left without waiting for a message
    (left_already): the same answer as Request.is_disconnected, the message taken the same
    way, and nothing left waiting when none had come."""

    async def answers() -> tuple[bool, bool, int]:
        arrived = asyncio.Event()

        async def receive() -> Message:
            if next_message == "disconnect":
                return {"type": "http.disconnect"}
            if next_message == "request":
                return {"type": "http.request", "body": b"", "more_body": False}
            await arrived.wait()  # as uvicorn's receive waits for the next message
            return {"type": "http.disconnect"}

        scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
        ours = await left_already(Request(scope, receive))
        starlettes = await Request(scope, receive).is_disconnected()
        return ours, starlettes, len(arrived._waiters or ())

    ours, starlettes, still_waiting = _on_a_loop_of_its_own(answers())
    assert ours == starlettes == (next_message == "disconnect")
    assert still_waiting == 0
