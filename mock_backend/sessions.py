"""Refresh families: login, rotation with reuse detection, logout, eviction.

Follows RFC 9700 section 4.14.2: refresh tokens rotate on every use, and presenting a
rotated one revokes the whole family, since either the client or an attacker holds a
stolen copy. Each operation runs inside one store transaction, so it is atomic.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio.to_thread

from mock_backend.security import hash_refresh_value, new_refresh_value
from mock_backend.store import (
    RefreshFamily,
    Store,
    StoreBusy,
    StoreConflict,
    StoreUnavailable,
    TokenRecord,
)
from mock_backend.store.base import StoreTransaction, iter_live

T = TypeVar("T")
# Commits an optimistic store may refuse in a row before the operation gives up (503). A
# rotation race costs its losers one: their second run reads the successor and writes nothing.
MAX_CONFLICTS = 20


async def on_the_loop_unless_busy(operation: Callable[..., T], *args: Any) -> T:
    """Run a store operation (one taking `wait`) on the event loop when the store is free,
    sparing a worker thread its hand-over; when another transaction holds the store, wait
    for it in a worker thread, since the loop must stay free to let that one finish (a
    refresh held by a fault inside its transaction is released from the loop)."""
    try:
        return operation(*args, wait=False)
    except StoreBusy:  # raised before the transaction began: nothing done yet
        return await anyio.to_thread.run_sync(functools.partial(operation, *args))


class RefreshRejected(Exception):
    """The refresh value is missing, unknown, expired, reused or revoked.

    `reason` words the refusal for the answer's message; `refusal` names it for the journal
    in one of its words: `missing`, `invalid` (a value the store never issued), `expired`,
    `revoked (<why the family ended>)`, `reused` (a rotated value, presented now: the family
    is revoked), `superseded` (a concurrent refresh of the same value won); `refused` where
    the caller gives none.
    """

    def __init__(self, reason: str, refusal: str = "refused", *,
                 clear_cookie: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.refusal = refusal
        # A race loser's browser already holds the winner's new cookie: leave it alone.
        self.clear_cookie = clear_cookie


@dataclass(frozen=True)
class IssuedRefresh:
    value: str  # the raw value: goes into the cookie and nowhere else
    family: RefreshFamily


@dataclass(frozen=True)
class SessionPolicy:
    refresh_ttl: float
    reuse_grace: float
    max_families_per_user: int  # 0: no limit
    race_window: float
    # What a backend other than the reference does (an API profile's `[behaviour]`): a
    # replayed retired value revokes the family (`revoke-family`), is refused alone
    # (`refuse-value`) or still rotates (`accept`); concurrent refreshes of one value leave
    # one winner (`one-wins`) or each get a successor (`fork`); a logout ends the family
    # (`family`) or the value it presented (`value`).
    reuse: str = "revoke-family"
    concurrent: str = "one-wins"
    logout: str = "family"

    @property
    def values_retire_one_by_one(self) -> bool:
        """Whether a family may hold several usable values at once (forks), so that a value
        is retired by its own use rather than by its family's newer generation."""
        return self.concurrent == "fork" or self.reuse == "accept"


# The store keeps, beside a value's own record, a marker record when the value alone is
# retired (a blacklist, as SimpleJWT keeps one): used up by its rotation, or ended by a
# logout that ends only the value it presented.
_USED, _ENDED = "used:", "ended:"


class RefreshSessions:
    def __init__(self, store: Store, policy: SessionPolicy) -> None:
        self.store = store
        self.policy = policy

    def start(self, user_id: str, now: float) -> IssuedRefresh:
        """A new family for a login; evicts the least recently used beyond the limit."""
        family = RefreshFamily(id=secrets.token_urlsafe(12), user_id=user_id, created_at=now,
                               expires_at=now + self.policy.refresh_ttl, last_used_at=now,
                               generation=0, rotated_at=now)
        value = new_refresh_value()

        def body(tx: StoreTransaction) -> None:
            limit = self.policy.max_families_per_user
            live = sorted(iter_live(tx.families(user_id), now), key=lambda f: f.last_used_at)
            excess = len(live) - limit + 1 if limit else 0
            for old in live[:max(excess, 0)]:
                old.state, old.reason = "revoked", "evicted"
                tx.put_family(old)
            tx.put_family(family)
            tx.add_token(TokenRecord(hash_refresh_value(value), family.id, 0))

        self._atomically(body)
        return IssuedRefresh(value, family)

    def _atomically(self, body: Callable[[StoreTransaction], T], wait: bool = True) -> T:
        """`body` inside one store transaction. An optimistic store (Redis) may refuse the
        commit because another transaction changed what this one read: nothing was written,
        and `body` runs again on what is there now (the loser of a rotation race then reads
        the successor and is told it lost)."""
        for _ in range(MAX_CONFLICTS):
            try:
                with self.store.transaction(wait=wait) as tx:
                    return body(tx)
            except StoreConflict:
                continue
        raise StoreUnavailable(f"the token store refused {MAX_CONFLICTS} commits in a row: "
                               "other transactions kept changing what this one read")

    def rotate(self, value: str | None, now: Callable[[], float],
               arrived_at: float | None = None,
               checked: Callable[[], None] | None = None, *,
               wait: bool = True) -> IssuedRefresh:
        """Exchange the current refresh value for its successor, exactly once.

        `now` is read inside the transaction, so `rotated_at` is the commit time.
        `arrived_at` tells a lost race (the request came before that commit, or within
        the race window after it, with the previous value) from a replay: only a replay
        revokes. `checked` runs once the value passed every check, inside the transaction,
        before the successor is written (a test-control fault holds a refresh there).
        With `wait=False`, StoreBusy while another transaction holds the store.
        """
        if not value:
            raise RefreshRejected("missing", "missing")

        def body(tx: StoreTransaction) -> IssuedRefresh | RefreshRejected:
            at = now()
            digest = hash_refresh_value(value)
            record = tx.find_token(digest)
            family = tx.get_family(record.family_id) if record else None
            if record is None or family is None:
                raise RefreshRejected("unknown", "invalid")
            if family.state == "revoked":
                raise RefreshRejected(f"revoked ({family.reason})",
                                      f"revoked ({family.reason})")
            if at >= family.expires_at:
                raise RefreshRejected("expired", "expired")
            if self.policy.logout == "value" and tx.find_token(_ENDED + digest) is not None:
                raise RefreshRejected("revoked (logout)", "revoked (logout)")
            if self.policy.values_retire_one_by_one:
                retired = tx.find_token(_USED + digest) is not None
            else:
                retired = record.generation != family.generation and \
                    not self._in_grace(record, family, at)
            fork = self.policy.concurrent == "fork"
            # A fork lets through a refresh that came before the rotation committed: it gets
            # a successor of its own, a sibling.
            if retired and not (fork and self._overlapped(record, family, arrived_at)):
                if not fork and self._lost_race(record, family, arrived_at):
                    raise RefreshRejected("superseded by a concurrent refresh", "superseded",
                                          clear_cookie=False)
                if self.policy.reuse == "revoke-family":
                    family.state, family.reason = "revoked", "reuse"
                    tx.put_family(family)
                    # Raising here would roll the revocation back: raise after the commit.
                    return RefreshRejected("reused", "reused")
                if self.policy.reuse == "refuse-value":
                    raise RefreshRejected("reused", "reused")
            if checked is not None:
                checked()
                at = now()  # it may have been held: the rotation commits now
            successor = new_refresh_value()
            # One value at a time: the successor is the family's next generation. Values
            # retired one by one: the successor of its parent, and a fork is a sibling.
            generation = record.generation + 1 if self.policy.values_retire_one_by_one \
                else family.generation + 1
            family.generation = max(family.generation, generation)
            family.rotated_at = family.last_used_at = at
            tx.put_family(family)
            if self.policy.values_retire_one_by_one:
                tx.add_token(TokenRecord(_USED + digest, family.id, record.generation))
            tx.add_token(TokenRecord(hash_refresh_value(successor), family.id, generation))
            return IssuedRefresh(successor, family)

        outcome = self._atomically(body, wait)
        if isinstance(outcome, RefreshRejected):
            raise outcome
        return outcome

    def _lost_race(self, record: TokenRecord, family: RefreshFamily,
                   arrived_at: float | None) -> bool:
        """A browser may send the old cookie for a few ms after the rotation committed because
        it had not stored the new Set-Cookie yet; a replay looks the same, so inside the window
        it is refused without revoking, and it gets no token."""
        if arrived_at is None or record.generation != family.generation - 1:
            return False
        late_by = arrived_at - family.rotated_at  # negative: it came before the commit
        window = self.policy.race_window
        return late_by < 0 or (window > 0 and late_by <= window)

    def _overlapped(self, record: TokenRecord, family: RefreshFamily,
                    arrived_at: float | None) -> bool:
        """Whether a refresh of the previous value arrived before the rotation that retired
        it committed: the two overlapped, as concurrent refreshes do (a backend that forks
        lets both through; one sent after the commit is a replay, even a moment later)."""
        return (arrived_at is not None and record.generation == family.generation - 1
                and arrived_at < family.rotated_at)

    def _in_grace(self, record: TokenRecord, family: RefreshFamily, now: float) -> bool:
        """Only the immediately previous value, and only within the grace window."""
        return (self.policy.reuse_grace > 0 and record.generation == family.generation - 1
                and now - family.rotated_at <= self.policy.reuse_grace)

    def revoke(self, value: str | None, reason: str) -> RefreshFamily | None:
        """Revoke the family the value belongs to, whatever its generation; or, for a logout
        under a policy whose logout ends only the value, that value. Idempotent."""
        if not value:
            return None
        digest = hash_refresh_value(value)
        value_alone = reason == "logout" and self.policy.logout == "value"

        def body(tx: StoreTransaction) -> RefreshFamily | None:
            record = tx.find_token(digest)
            if record is None:
                return None
            if value_alone:
                tx.add_token(TokenRecord(_ENDED + digest, record.family_id, record.generation))
                return tx.get_family(record.family_id)
            return self._revoke_in(tx, record.family_id, reason)

        return self._atomically(body)

    def revoke_family(self, family_id: str, reason: str) -> RefreshFamily | None:
        return self._atomically(lambda tx: self._revoke_in(tx, family_id, reason))

    @staticmethod
    def _revoke_in(tx: StoreTransaction, family_id: str, reason: str) -> RefreshFamily | None:
        family = tx.get_family(family_id)
        if family is not None and family.state == "live":
            family.state, family.reason = "revoked", reason
            tx.put_family(family)
        return family

    def lookup(self, value: str, wait: bool = True) -> tuple[str, int] | None:
        """(family id, generation) of a refresh value, changing nothing. With `wait=False`,
        StoreBusy while another transaction holds the store."""
        record = self._atomically(lambda tx: tx.find_token(hash_refresh_value(value)), wait)
        return (record.family_id, record.generation) if record else None

    def is_live(self, family_id: str, wait: bool = True) -> bool:
        """Whether access tokens of this family are still honoured (not revoked). With
        `wait=False`, StoreBusy while another transaction holds the store."""
        family = self._atomically(lambda tx: tx.get_family(family_id), wait)
        return family is not None and family.state == "live"

    def snapshot(self) -> list[RefreshFamily]:
        return self._atomically(lambda tx: tx.families())

    def live_count(self, now: float) -> int:
        return len(list(iter_live(self.snapshot(), now)))
