"""In-memory store: dictionaries behind one lock; writes are staged and applied on commit."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from mock_backend.store.base import RefreshFamily, StoreBusy, TokenRecord


class _MemoryTransaction:
    def __init__(self, store: MemoryStore) -> None:
        self._s = store
        self._families: dict[str, RefreshFamily] = {}
        self._tokens: dict[str, TokenRecord] = {}

    def find_token(self, digest: str) -> TokenRecord | None:
        return self._tokens.get(digest) or self._s._tokens.get(digest)

    def get_family(self, family_id: str) -> RefreshFamily | None:
        family = self._families.get(family_id) or self._s._families.get(family_id)
        return copy.copy(family) if family else None

    def put_family(self, family: RefreshFamily) -> None:
        self._families[family.id] = copy.copy(family)

    def add_token(self, token: TokenRecord) -> None:
        self._tokens[token.digest] = token

    def families(self, user_id: str | None = None) -> list[RefreshFamily]:
        merged = {**self._s._families, **self._families}
        return [copy.copy(f) for f in merged.values() if user_id is None or f.user_id == user_id]

    def commit(self) -> None:
        self._s._families.update(self._families)
        self._s._tokens.update(self._tokens)


class MemoryStore:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._families: dict[str, RefreshFamily] = {}
        self._tokens: dict[str, TokenRecord] = {}

    @contextmanager
    def transaction(self, wait: bool = True) -> Iterator[_MemoryTransaction]:
        if not self._lock.acquire(blocking=wait):
            raise StoreBusy("memory store: another transaction holds the lock")
        try:
            tx = _MemoryTransaction(self)
            yield tx
            tx.commit()  # not reached when the body raised: nothing half-written
        finally:
            self._lock.release()

    def reset(self) -> None:
        with self._lock:
            self._families.clear()
            self._tokens.clear()

    def close(self) -> None:
        pass
