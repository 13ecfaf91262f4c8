"""Refresh-family storage: one interface, an in-memory and a SQLite implementation."""

from __future__ import annotations

from mock_backend.store.base import (
    FamilyState,
    RefreshFamily,
    Store,
    StoreBusy,
    StoreUnavailable,
    TokenRecord,
)
from mock_backend.store.memory import MemoryStore
from mock_backend.store.sqlite import SQLiteStore


def open_store(spec: str) -> Store:
    """`memory` or `sqlite:PATH`."""
    if spec == "memory":
        return MemoryStore()
    if spec.startswith("sqlite:"):
        return SQLiteStore(spec.removeprefix("sqlite:"))
    raise ValueError(f"invalid store {spec!r}")


__all__ = ["FamilyState", "MemoryStore", "RefreshFamily", "SQLiteStore", "Store", "StoreBusy",
           "StoreUnavailable", "TokenRecord", "open_store"]
