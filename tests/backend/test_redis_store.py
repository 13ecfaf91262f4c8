"""The Redis store against a real Redis server: optimistic transactions (WATCH/MULTI), a
rotation race lost at the commit, and what a user sees when the server is not there."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx
import pytest
import redis
from redis.client import Pipeline

from harness.fixtures.servers import ServeBackend
from harness.seam.client import BackendClient
from harness.servers.live_server import LiveServer, free_port
from mock_backend import Settings, create_app, server_options
from mock_backend.__main__ import main
from mock_backend.security import hash_refresh_value
from mock_backend.sessions import RefreshRejected, RefreshSessions, SessionPolicy
from mock_backend.store import RefreshFamily, StoreConflict, StoreUnavailable, TokenRecord
from mock_backend.store.redis import RedisStore, _RedisTransaction
from tests.backend.wire import login, parse_set_cookie, refresh
from tests.redis_server import redis_server, redis_server_or_skip

T0 = 2_000_000_000
POLICY = SessionPolicy(refresh_ttl=3600, reuse_grace=0, max_families_per_user=5,
                       race_window=2)


def test_a_commit_after_another_changed_what_was_read_writes_nothing(redis_url: str) -> None:
    store = RedisStore(redis_url)
    family = RefreshFamily(id="f1", user_id="u1", created_at=T0, expires_at=T0 + 3600,
                           last_used_at=T0, generation=0, rotated_at=T0)
    with store.transaction() as tx:
        tx.put_family(family)
    with pytest.raises(StoreConflict), store.transaction() as first:
        read = first.get_family("f1")
        assert read is not None
        with store.transaction() as second:  # commits between the first's read and write
            other = second.get_family("f1")
            assert other is not None
            other.generation = 7
            second.put_family(other)
        read.generation = 1
        first.put_family(read)
        first.add_token(TokenRecord(hash_refresh_value("v1"), "f1", 1))
    with store.transaction() as tx:
        assert tx.find_token(hash_refresh_value("v1")) is None
        assert (found := tx.get_family("f1")) is not None and found.generation == 7
    store.close()


class _UnwatchedTransaction(_RedisTransaction):
    """The mistake this test must catch: reads that WATCH nothing, so EXEC always commits."""

    def __init__(self, pipe: Pipeline, prefix: str, client: redis.Redis) -> None:
        super().__init__(pipe, prefix)
        self._client = client

    def _read(self, key: str) -> dict[bytes, bytes]:
        return self._client.hgetall(key)  # type: ignore[return-value]


class _UnwatchedStore(RedisStore):
    @contextmanager
    def transaction(self, wait: bool = True) -> Iterator[_RedisTransaction]:
        with self._redis.pipeline(transaction=True) as pipe:
            tx = _UnwatchedTransaction(pipe, self.prefix, self._redis)
            yield tx
            tx.commit()


def _rotation_losing_at_the_commit(store: RedisStore) -> None:
    """Two rotations of one value: the second commits while the first is between its read
    and its write. The first's EXEC is refused; run again, it reads the successor and is a
    lost race: one successor, the family live, nothing revoked."""
    sessions = RefreshSessions(store, POLICY)
    value = sessions.start("u1", T0 - 10).value
    runs: list[str] = []

    def competitor_commits_first() -> None:
        runs.append("checked")
        if len(runs) == 1:
            runs.append(sessions.rotate(value, lambda: T0, arrived_at=T0 - 1).value)

    with pytest.raises(RefreshRejected) as refused:
        sessions.rotate(value, lambda: T0 + 0.5, arrived_at=T0 - 1,
                        checked=competitor_commits_first)
    assert refused.value.reason == "superseded by a concurrent refresh"
    assert runs[0] == "checked" and len(runs) == 2  # the second run stopped before `checked`
    [family] = sessions.snapshot()
    assert (family.generation, family.state) == (1, "live"), family
    assert sessions.rotate(runs[1], lambda: T0 + 1).family.generation == 2


def test_a_rotation_that_loses_at_the_commit_runs_again_and_is_told_it_lost(
        redis_url: str) -> None:
    store = RedisStore(redis_url)
    _rotation_losing_at_the_commit(store)
    store.close()


def test_the_race_test_fails_a_redis_store_whose_reads_watch_nothing(redis_url: str) -> None:
    """Both rotations commit there, each writing a successor of the same value."""
    store = _UnwatchedStore(redis_url)
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        _rotation_losing_at_the_commit(store)
    store.close()


def test_two_hundred_threads_rotating_one_value_leave_one_successor(redis_url: str) -> None:
    store = RedisStore(redis_url)
    sessions = RefreshSessions(store, POLICY)
    value = sessions.start("u1", time.time()).value
    arrived = time.time()
    barrier = threading.Barrier(200)
    outcomes: list[str] = []

    def one() -> None:
        barrier.wait()
        try:
            sessions.rotate(value, time.time, arrived)
            outcomes.append("rotated")
        except RefreshRejected as exc:
            outcomes.append(exc.reason)

    threads = [threading.Thread(target=one) for _ in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(outcomes)) == ["rotated", "superseded by a concurrent refresh"]
    assert outcomes.count("rotated") == 1
    [family] = sessions.snapshot()
    assert (family.generation, family.state) == (1, "live"), family
    store.close()


def test_the_backend_speaks_its_api_with_a_redis_store(serve_backend: ServeBackend,
                                                       redis_url: str) -> None:
    server = serve_backend(store=redis_url)
    with httpx.Client(base_url=server.url) as http:
        cookie = login(http).refresh
        first = refresh(http, cookie)
        assert first.status_code == 200, first.text
        again = refresh(http, parse_set_cookie(first).value)
        assert again.status_code == 200, again.text


def _unreachable() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"  # a free port: nothing listens there


def test_a_backend_that_cannot_reach_redis_says_so_at_start(
        capsys: pytest.CaptureFixture[str]) -> None:
    url = _unreachable().replace("redis://", "redis://:hunter2-password@")
    with pytest.raises(SystemExit) as exited:
        main(["--store", url, "--no-spa"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "token store redis://127.0.0.1:" in err and "Connection refused" in err, err
    assert "hunter2" not in err, err  # the password is never shown


def test_a_store_url_redis_cannot_read_is_refused_with_its_reason() -> None:
    with pytest.raises(ValueError, match="invalid Redis store"):
        RedisStore("redis://127.0.0.1:6379/not-a-db")


def test_redis_gone_mid_run_is_a_503_not_a_500() -> None:
    with ExitStack() as redis_running:
        url = redis_running.enter_context(redis_server(redis_server_or_skip()))
        app = create_app(Settings(store=f"{url}/0", secret=b"k" * 32))
        with LiveServer(app, server_options=server_options()) as server, \
                httpx.Client(base_url=server.url) as http:
            cookie = login(http).refresh
            redis_running.close()  # the Redis server stops; the backend goes on
            answer = refresh(http, cookie)
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"] == "store_unavailable", answer.text
    with pytest.raises(StoreUnavailable, match="Connection refused"):
        RedisStore(_unreachable())


def test_a_refresh_held_after_its_check_does_not_hold_back_another_with_redis(
        serve_backend: ServeBackend, redis_url: str) -> None:
    """Redis transactions take no lock: a second refresh of the held one's value goes ahead
    and wins; the held one, released, finds its commit refused and has lost the race."""
    server = serve_backend(store=redis_url)
    with BackendClient(server.url) as control, \
            httpx.Client(base_url=server.url, timeout=30) as http:
        value = login(http).refresh
        gate = control.fault("/api/refresh-token", gate=True, at="checked")
        answers: dict[str, httpx.Response] = {}
        held = threading.Thread(target=lambda: answers.update(held=refresh(http, value)))
        held.start()
        assert gate.wait_held(1), "the first refresh was not held"
        second = refresh(http, value)
        assert second.status_code == 200, second.text
        gate.release()
        held.join(30)
        lost = answers["held"]
        assert lost.status_code == 401 and "superseded" in lost.json()["message"], lost.text
        [family] = control.sessions()
        assert (family.generation, family.state) == (1, "live")
