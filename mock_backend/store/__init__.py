"""Refresh-family storage: one interface; in memory, in a SQLite file, or in Redis."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from mock_backend.store.base import (
    FamilyState,
    RefreshFamily,
    Store,
    StoreBusy,
    StoreConflict,
    StoreUnavailable,
    TokenRecord,
)
from mock_backend.store.memory import MemoryStore
from mock_backend.store.sqlite import SQLiteStore

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def redis_url_shown(url: str) -> str:
    """A Redis store URL as errors and logs show it: without its password or query."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2], query=""))


def redis_url_problem(url: str) -> str | None:
    """What is wrong with a Redis store URL, or None: a host for redis:// and rediss://, a
    socket path for unix://, and a database number (`/0`, or `?db=0` for unix://)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return None if parts.path else "unix:// needs the socket's path: unix:///PATH?db=0"
    try:
        parts.port  # noqa: B018 -- raises on a port that is not a number
    except ValueError:
        return "its port is not a number"
    if not parts.hostname:
        return "it names no host: redis://HOST:PORT/DB"
    if parts.path not in ("", "/") and not parts.path[1:].isdigit():
        return f"database {parts.path[1:]!r} is not a number: redis://HOST:PORT/0"
    return None


def open_store(spec: str) -> Store:
    """`memory`, `sqlite:PATH` or `redis://HOST:PORT/DB` (also `rediss://`, `unix://`)."""
    if spec == "memory":
        return MemoryStore()
    if spec.startswith("sqlite:"):
        return SQLiteStore(spec.removeprefix("sqlite:"))
    if spec.startswith(REDIS_SCHEMES):
        from mock_backend.store.redis import RedisStore  # the client is imported only here

        return RedisStore(spec)
    raise ValueError(f"invalid store {spec!r}")


__all__ = ["REDIS_SCHEMES", "FamilyState", "MemoryStore", "RefreshFamily", "SQLiteStore",
           "Store", "StoreBusy", "StoreConflict", "StoreUnavailable", "TokenRecord",
           "open_store", "redis_url_problem", "redis_url_shown"]
