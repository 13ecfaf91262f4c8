"""The records a store keeps and the transaction interface both stores implement."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Literal, Protocol

FamilyState = Literal["live", "revoked"]


class StoreUnavailable(Exception):
    """The store cannot be read or written right now (file missing, locked, unreadable)."""


class StoreBusy(Exception):
    """Another transaction holds the store's write lock, and the caller chose not to wait
    (`transaction(wait=False)`: how a test proves the lock is held at a given point)."""


class StoreConflict(Exception):
    """An optimistic transaction (the Redis store's) found, at its commit, that another one
    changed what it read: nothing was written, and the operation runs again from the start."""


@dataclass
class RefreshFamily:
    """All refresh tokens descended from one login. Only `generation` is current."""

    id: str
    user_id: str
    created_at: float
    expires_at: float  # absolute lifetime from login; rotation never moves it
    last_used_at: float
    generation: int
    rotated_at: float
    state: FamilyState = "live"
    reason: str | None = None


@dataclass(frozen=True)
class TokenRecord:
    """One refresh value, known only by its SHA-256 digest."""

    digest: str
    family_id: str
    generation: int


class StoreTransaction(Protocol):
    """Reads and writes inside one atomic unit (a lock, or a SQLite write transaction)."""

    def find_token(self, digest: str) -> TokenRecord | None: ...
    def get_family(self, family_id: str) -> RefreshFamily | None: ...
    def put_family(self, family: RefreshFamily) -> None: ...
    def add_token(self, token: TokenRecord) -> None: ...
    def families(self, user_id: str | None = None) -> list[RefreshFamily]: ...


class Store(Protocol):
    def transaction(self, wait: bool = True) -> AbstractContextManager[StoreTransaction]:
        """One atomic unit: every read and write inside it is isolated from other
        transactions. With `wait=False`, StoreBusy instead of waiting for another one.
        An optimistic store raises StoreConflict from its commit instead of waiting."""
        ...
    def reset(self) -> None: ...
    def close(self) -> None: ...


def iter_live(families: list[RefreshFamily], now: float) -> Iterator[RefreshFamily]:
    return (f for f in families if f.state == "live" and now < f.expires_at)
