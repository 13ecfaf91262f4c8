"""Refresh families as the edge observed them on the wire.

The edge cannot read a backend's store. It sees values go out and come back: a login that
hands out a refresh value starts a family; a refresh that succeeds with a value continues
that value's family; a value presented after it already has a successor is a replay; two
successes from one value are a fork. A family ends, as far as the edge can tell, when a
logout with its value succeeds or when the backend refuses its newest value.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass
class ObservedFamily:
    """A family as far as the edge can tell: `revoked` only after a logout that succeeded;
    `expired` when the edge's clock passed its end."""

    id: str
    user: str | None
    created_at: float
    last_used_at: float
    expires_at: float | None
    generation: int = 0  # of its newest value; the login's value is generation 0
    state: str = "live"  # live | revoked | expired (an edge clock past expires_at: expired)
    reason: str | None = None
    forks: int = 0  # successes from a value that already had a successor
    replays: int = 0  # refusals of a value that already had a successor
    refusals: int = 0  # refusals of its newest value (the family may or may not have ended)

    def describe(self, now: float) -> dict[str, object]:
        state, reason = self.state, self.reason
        if state == "live" and self.expires_at is not None and now >= self.expires_at:
            state, reason = "expired", "absolute lifetime reached"
        return {"id": self.id, "user": self.user, "generation": self.generation,
                "state": state, "reason": reason, "created_at": self.created_at,
                "expires_at": self.expires_at, "last_used_at": self.last_used_at,
                "forks": self.forks, "replays": self.replays, "refusals": self.refusals,
                "observed": True}


class Refused(NamedTuple):
    """A refused refresh as the edge tells it: what it means for the lineage (the journal's
    `lineage`), and why, in the journal's words for a refusal (its `refusal`): `expired` (the
    edge's clock ended the value), `superseded` (sent before its family's successor was
    handed out: a lost race), `reused` (sent after), `revoked (logout)`, `missing`; `refused`
    where the edge cannot tell (the backend's own reason is its own)."""

    said: str
    reason: str


@dataclass
class _Value:
    family: ObservedFamily
    generation: int
    successors: int = 0
    expires_at: float | None = None  # the value's own `exp`, when it is a JWT
    succeeded_at: float | None = None  # when its first successor was handed out


@dataclass
class Lineage:
    """Every refresh value the edge saw handed out, by its id (`tokens.view(v).id`)."""

    refresh_lifetime: float | None = None  # the accounts file's, for opaque values
    _values: dict[str, _Value] = field(default_factory=dict)
    _families: list[ObservedFamily] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._families.clear()
            self._ids = itertools.count(1)

    def lookup(self, value_id: str) -> tuple[str, int] | None:
        with self._lock:
            found = self._values.get(value_id)
            return (found.family.id, found.generation) if found else None

    def user_of(self, value_id: str) -> str | None:
        """Whose session a value belongs to, as its family's login said."""
        with self._lock:
            found = self._values.get(value_id)
            return found.family.user if found else None

    def expires_at(self, value_id: str) -> float | None:
        """When a value may no longer be used: its own `exp`, else its family's lifetime."""
        with self._lock:
            found = self._values.get(value_id)
            if found is None:
                return None
            return found.expires_at if found.expires_at is not None else found.family.expires_at

    def logged_in(self, user: str | None, issued: str, exp: float | None,
                  now: float) -> str:
        with self._lock:
            family = self._new_family(user, exp, now)
            self._values[issued] = _Value(family, 0, expires_at=exp)
            return f"login: family {family.id} starts"

    def refreshed(self, presented: str | None, issued: str | None, exp: float | None,
                  now: float) -> str:
        """A refresh answered 2xx; what it means for the lineage, in a few words."""
        with self._lock:
            found = self._values.get(presented) if presented else None
            if found is None:
                seen = ("without a refresh value" if presented is None
                        else "with a value the edge never saw handed out")
                if issued is None:
                    return f"refreshed {seen}, handed out none"
                family = self._new_family(None, exp, now)
                self._values[issued] = _Value(family, 0, expires_at=exp)
                return f"refreshed {seen}: family {family.id}"
            family = found.family
            family.last_used_at = now
            after_end = f" (after it ended: {family.reason})" if family.state != "live" else ""
            if issued is None or issued == presented:
                return f"refreshed family {family.id} without rotating{after_end}"
            forked = found.successors > 0
            found.successors += 1
            if found.succeeded_at is None:
                found.succeeded_at = now
            generation = found.generation + 1
            self._values[issued] = _Value(family, generation, expires_at=exp)
            family.generation = max(family.generation, generation)
            if self.refresh_lifetime is None and exp is not None:
                family.expires_at = exp  # the newest value's own end (a sliding lifetime)
            if forked:
                family.forks += 1
                return (f"fork: a second success from generation {found.generation} of family "
                        f"{family.id}{after_end}")
            return f"rotated family {family.id} to generation {generation}{after_end}"

    def refused(self, presented: str | None, status: int, spoiled: bool, now: float,
                sent_at: float | None = None) -> Refused:
        """A refresh answered 4xx; `sent_at`, when it reached the edge."""
        with self._lock:
            found, unknown = self._presented(presented, "refused")
            if found is None:
                return Refused(unknown, "missing" if presented is None else "refused")
            family = found.family
            if spoiled:
                if family.state == "live":
                    family.state, family.reason = "expired", "lifetime reached at the edge"
                return Refused(f"refused: family {family.id}'s value expired at the edge",
                               "expired")
            if found.successors > 0:
                family.replays += 1
                raced = (sent_at is not None and found.succeeded_at is not None
                         and sent_at < found.succeeded_at)
                return Refused(f"replay: generation {found.generation} of family {family.id} "
                               f"already had a successor", "superseded" if raced else "reused")
            # Whether the family ended, the edge cannot tell from a refusal (a CSRF refusal
            # ends nothing): only a later success or refusal of this value shows it.
            family.refusals += 1
            ended = family.reason if family.state == "revoked" else None
            return Refused(f"refused family {family.id}'s newest value ({status})",
                           f"revoked ({ended})" if ended else "refused")

    def logged_out(self, presented: str | None, now: float) -> str:
        """A logout answered 2xx with `presented` (None: no value was sent)."""
        with self._lock:
            found, unknown = self._presented(presented, "logout")
            if found is None:
                return unknown
            family = found.family
            family.last_used_at = now
            if family.state == "live":
                family.state, family.reason = "revoked", "logout"
            return f"logout: family {family.id} ends"

    def snapshot(self, now: float) -> list[dict[str, object]]:
        with self._lock:
            return [f.describe(now) for f in self._families]

    def _presented(self, presented: str | None, what: str) -> tuple[_Value | None, str]:
        """The value presented, or why there is none to follow (`what`: the request)."""
        if presented is None:
            return None, f"{what}: no refresh value was presented"
        found = self._values.get(presented)
        return found, f"{what}: a value the edge never saw handed out"

    def _new_family(self, user: str | None, exp: float | None, now: float) -> ObservedFamily:
        lifetime_end = now + self.refresh_lifetime if self.refresh_lifetime else exp
        family = ObservedFamily(id=f"e{next(self._ids)}", user=user, created_at=now,
                                last_used_at=now, expires_at=lifetime_end)
        self._families.append(family)
        return family
