"""Redis store: the refresh families of several backend processes in one Redis server.

Rotation is atomic by optimistic concurrency, with WATCH/MULTI/EXEC: every key a
transaction reads is WATCHed first, its writes are queued and sent as one MULTI/EXEC,
and Redis refuses the EXEC if any watched key changed since it was read. The operation
then runs again from the start (`StoreConflict`, retried by `RefreshSessions`), and the
second time it reads the successor and answers as a lost race.

Why not a Lua script: the rules of a rotation (reuse detection, the grace and race
windows, revoking the family, evicting the oldest login) are written once, in Python, in
`mock_backend/sessions.py`, for every store. A script would be a second copy of them in
another language, and the two would drift. WATCH/MULTI keeps the rules where they are and
makes the store answer only "did anything I read change before I wrote?".

Keys, under one prefix (`mock_backend:` by default; `?prefix=` in the URL to change it):
`t:<digest>` a token (hash: family, generation), `f:<id>` a family (hash of its fields),
`u:<user>` the user's families and `all` every family (sorted sets, by creation time).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import astuple, fields
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import redis
from redis.client import Pipeline

from mock_backend.store import redis_url_problem, redis_url_shown
from mock_backend.store.base import (
    RefreshFamily,
    StoreBusy,
    StoreConflict,
    StoreUnavailable,
    TokenRecord,
)

DEFAULT_PREFIX = "mock_backend:"
_FIELDS = [f.name for f in fields(RefreshFamily)]
_FLOATS = {"created_at", "expires_at", "last_used_at", "rotated_at"}
# Connections to the server at most, per process (the server's own limit is 10,000).
MAX_CONNECTIONS = 64
# Seconds to connect, to wait for a connection or for an answer, before the store counts
# as unavailable.
_SOCKET_TIMEOUT_S = 5.0


def _family_hash(family: RefreshFamily) -> dict[Any, Any]:  # redis-py's mapping type
    return {name: repr(value) if isinstance(value, float) else str(value)
            for name, value in zip(_FIELDS, astuple(family), strict=True) if value is not None}


def _family(raw: dict[bytes, bytes]) -> RefreshFamily:
    values = {k.decode(): v.decode() for k, v in raw.items()}
    return RefreshFamily(
        id=values["id"], user_id=values["user_id"], generation=int(values["generation"]),
        state=values["state"], reason=values.get("reason"),  # type: ignore[arg-type]
        **{name: float(values[name]) for name in _FLOATS})


class _RedisTransaction:
    """Reads WATCH their key and go to the server; writes wait in Python for the commit."""

    def __init__(self, pipe: Pipeline, prefix: str) -> None:
        self._p = pipe
        self._k = prefix
        self._families: dict[str, RefreshFamily] = {}
        self._tokens: dict[str, TokenRecord] = {}

    def _read(self, key: str) -> dict[bytes, bytes]:
        self._p.watch(key)
        return self._p.hgetall(key)  # type: ignore[return-value]

    def find_token(self, digest: str) -> TokenRecord | None:
        if digest in self._tokens:
            return self._tokens[digest]
        raw = self._read(f"{self._k}t:{digest}")
        return TokenRecord(digest, raw[b"family"].decode(), int(raw[b"generation"])) if raw \
            else None

    def get_family(self, family_id: str) -> RefreshFamily | None:
        if family_id in self._families:
            return RefreshFamily(*astuple(self._families[family_id]))
        raw = self._read(f"{self._k}f:{family_id}")
        return _family(raw) if raw else None

    def put_family(self, family: RefreshFamily) -> None:
        self._families[family.id] = RefreshFamily(*astuple(family))

    def add_token(self, token: TokenRecord) -> None:
        self._tokens[token.digest] = token

    def families(self, user_id: str | None = None) -> list[RefreshFamily]:
        index = f"{self._k}u:{user_id}" if user_id is not None else f"{self._k}all"
        self._p.watch(index)
        ids = [m.decode() for m in self._p.zrange(index, 0, -1)]  # type: ignore[union-attr]
        found = {i: f for i in ids if (f := self.get_family(i)) is not None}
        for family in self._families.values():  # this transaction's own, not yet written
            if family.id not in found and (user_id is None or family.user_id == user_id):
                found[family.id] = RefreshFamily(*astuple(family))
        return sorted(found.values(), key=lambda f: f.created_at)

    def commit(self) -> None:
        """One MULTI/EXEC; WatchError (a watched key changed) becomes StoreConflict."""
        if not self._families and not self._tokens:
            self._p.reset()  # UNWATCH: a read-only transaction read a consistent state
            return
        self._p.multi()
        for f in self._families.values():
            self._p.hset(f"{self._k}f:{f.id}", mapping=_family_hash(f))
            self._p.zadd(f"{self._k}u:{f.user_id}", {f.id: f.created_at})
            self._p.zadd(f"{self._k}all", {f.id: f.created_at})
        for t in self._tokens.values():
            self._p.hset(f"{self._k}t:{t.digest}",
                         mapping={"family": t.family_id, "generation": str(t.generation)})
        try:
            self._p.execute()
        except redis.WatchError:
            raise StoreConflict("a key this transaction read changed before it wrote") \
                from None


class RedisStore:
    """`redis://[:password@]host:port/db` (or `rediss://`, `unix://`). Several backend
    processes may share one server and prefix; each transaction is optimistic (above)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        problem = redis_url_problem(url)
        query = parse_qs(parts.query)
        self.prefix = query.pop("prefix", [DEFAULT_PREFIX])[0]
        self.url = urlunsplit(parts._replace(
            query="&".join(f"{k}={v}" for k, vs in query.items() for v in vs)))
        self._shown = redis_url_shown(url)
        if problem:
            raise ValueError(f"invalid Redis store {self._shown!r}: {problem}")
        try:
            # A transaction holds its connection from its first WATCH to its EXEC; beyond
            # MAX_CONNECTIONS at once, the next one waits for a free connection.
            pool = redis.BlockingConnectionPool.from_url(
                self.url, max_connections=MAX_CONNECTIONS, timeout=_SOCKET_TIMEOUT_S,
                socket_timeout=_SOCKET_TIMEOUT_S, socket_connect_timeout=_SOCKET_TIMEOUT_S)
            self._redis = redis.Redis(connection_pool=pool)
        except ValueError as exc:
            raise ValueError(f"invalid Redis store {self._shown!r}: {exc}") from None
        with self._guard():
            self._redis.ping()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except redis.RedisError as exc:
            raise StoreUnavailable(f"token store {self._shown}: {exc}") from None

    @contextmanager
    def transaction(self, wait: bool = True) -> Iterator[_RedisTransaction]:
        """Raises StoreConflict at the commit when another transaction changed what this one
        read: the caller runs the whole operation again. Every transaction waits on the
        network, so with `wait=False` (a caller on the event loop) it is StoreBusy at once
        and the caller hands it to a worker thread."""
        if not wait:
            raise StoreBusy("redis store: every transaction waits for the server")
        with self._guard(), self._redis.pipeline(transaction=True) as pipe:
            tx = _RedisTransaction(pipe, self.prefix)
            yield tx
            tx.commit()  # not reached when the body raised: nothing written

    def reset(self) -> None:
        with self._guard():
            keys = list(self._redis.scan_iter(match=f"{self.prefix}*", count=1000))
            for i in range(0, len(keys), 1000):
                self._redis.unlink(*keys[i:i + 1000])

    def close(self) -> None:
        self._redis.connection_pool.disconnect()
