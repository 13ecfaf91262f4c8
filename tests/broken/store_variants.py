"""Refresh rotations with a developer's mistake in them, for the store race tests."""

from __future__ import annotations

from collections.abc import Callable

from mock_backend.security import hash_refresh_value, new_refresh_value
from mock_backend.sessions import IssuedRefresh, RefreshRejected, RefreshSessions
from mock_backend.store import TokenRecord


class SplitRotation(RefreshSessions):
    """Checks the presented token in one store transaction and writes its successor in a
    second one: between the two, another request with the same token passes the same
    check, and two successors become live."""

    def rotate(self, value: str | None, now: Callable[[], float],
               arrived_at: float | None = None,
               checked: Callable[[], None] | None = None, *,
               wait: bool = True) -> IssuedRefresh:
        if not value:
            raise RefreshRejected("missing")
        with self.store.transaction() as tx:
            at = now()
            record = tx.find_token(hash_refresh_value(value))
            family = tx.get_family(record.family_id) if record else None
            if record is None or family is None:
                raise RefreshRejected("unknown")
            if family.state == "revoked" or at >= family.expires_at:
                raise RefreshRejected("revoked or expired")
            if record.generation != family.generation:
                raise RefreshRejected("superseded by a concurrent refresh", clear_cookie=False)
        successor = new_refresh_value()
        with self.store.transaction() as tx:  # the mistake: a second transaction
            family.generation += 1
            family.rotated_at = family.last_used_at = at
            tx.put_family(family)
            tx.add_token(TokenRecord(hash_refresh_value(successor), family.id,
                                     family.generation))
        return IssuedRefresh(successor, family)
