"""The request journal: every request in order, and the peak in flight per path.

Waits (`Journal.wait`) are answered the moment enough entries match: every change to an
entry (recorded, annotated, answered) is shown to each waiting condition, which keeps its
own tally, so a wait costs nothing while nothing happens and no request re-reads the journal.
"""

from __future__ import annotations

import asyncio
import bisect
import threading
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from mock_backend.waiters import answer, new_waiter, wake

MAX_ENTRIES = 100_000


# Slots: a journal holds up to MAX_ENTRIES of these, and each full garbage collection
# visits every one (and, without slots, its __dict__ as well) while the server waits.
@dataclass(slots=True)
class JournalEntry:
    seq: int
    start: float
    end: float | None
    method: str
    path: str
    query: str
    status: int | None  # 0 when the connection was dropped on purpose
    access_jti: str | None
    refresh_family: str | None
    refresh_generation: int | None
    origin: str | None
    # What the answer handed out, so a test knows the exact values to look for (S4):
    # the access token of a login or refresh body, the refresh cookie's new value.
    issued_access_jti: str | None = None
    issued_access_token: str | None = None
    issued_refresh_token: str | None = None
    # An edge in front of another backend (`mock_backend.edge`): what the request meant for
    # the refresh family it presented, which expired tokens it spoiled on the way, and why
    # the upstream gave no answer. None in the reference backend.
    lineage: str | None = None
    spoiled: str | None = None
    upstream_error: str | None = None
    probe: bool | None = None  # a request a check made on purpose (a replay, a probe)
    issued_access_ends: float | None = None  # the issued access token's end, edge's clock
    # Why a refresh was refused, in one of the words `RefreshRejected.refusal` names
    # (superseded, reused, expired, revoked (...), invalid, missing); behind an edge, what
    # the lineage it observed tells ("refused" when it cannot tell). None otherwise.
    refusal: str | None = None


@dataclass(frozen=True)
class EntryFilter:
    """Which entries a wait counts; a field left None matches every entry."""

    path: str | None = None
    method: str | None = None
    query_contains: str | None = None
    answered: bool | None = None  # True: has a status; False: still in flight
    status: int | None = None

    def matches(self, entry: JournalEntry) -> bool:
        return ((self.path is None or entry.path == self.path)
                and (self.method is None or entry.method == self.method.upper())
                and (self.query_contains is None or self.query_contains in entry.query)
                and (self.answered is None or (entry.status is not None) == self.answered)
                and (self.status is None or entry.status == self.status))


class _Wait:
    """One waiting request's condition: at least `count` entries after `after` match.

    It tallies the matching entries by seq, and an entry is seen again on every change, so a
    condition that stops holding for an entry (`answered=False` once it is answered) drops it.
    """

    __slots__ = ("after", "count", "where", "matching", "waiter")

    def __init__(self, after: int, count: int, where: EntryFilter,
                 waiter: asyncio.Future[bool]) -> None:
        self.after, self.count, self.where, self.waiter = after, count, where, waiter
        self.matching: set[int] = set()

    @property
    def met(self) -> bool:
        return len(self.matching) >= self.count

    def see(self, entry: JournalEntry) -> None:
        """Called with the journal's lock held, from whichever thread changed `entry`."""
        if entry.seq <= self.after or self.waiter.done():
            return
        if self.where.matches(entry):
            self.matching.add(entry.seq)
            if self.met:
                wake(self.waiter)
        else:
            self.matching.discard(entry.seq)


class Journal:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Kept across `clear`: a wait in progress goes on counting the fresh journal.
        self._waits: list[_Wait] = []
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._entries: list[JournalEntry] = []
            self._seq = 0
            self._in_flight: Counter[str] = Counter()
            self._peak: Counter[str] = Counter()
            for wait in self._waits:
                wait.matching.clear()

    def begin(self, entry_fields: dict[str, Any]) -> JournalEntry:
        with self._lock:
            self._seq += 1
            entry = JournalEntry(seq=self._seq, end=None, status=None, **entry_fields)
            if len(self._entries) >= MAX_ENTRIES:
                del self._entries[: MAX_ENTRIES // 10]
            self._entries.append(entry)
            self._in_flight[entry.path] += 1
            self._peak[entry.path] = max(self._peak[entry.path], self._in_flight[entry.path])
            self._changed(entry)
            return entry

    def annotate(self, entry: JournalEntry, **fields: Any) -> None:
        with self._lock:
            for name, value in fields.items():
                setattr(entry, name, value)
            self._changed(entry)

    def finish(self, entry: JournalEntry, status: int, end: float,
               issued: dict[str, str | None] | None = None,
               refusal: str | None = None) -> None:
        with self._lock:
            entry.status, entry.end, entry.refusal = status, end, refusal
            for name, value in (issued or {}).items():
                setattr(entry, f"issued_{name}", value)
            self._in_flight[entry.path] -= 1
            self._changed(entry)

    def _changed(self, entry: JournalEntry) -> None:
        for wait in self._waits:
            wait.see(entry)

    def _after(self, seq: int) -> list[JournalEntry]:
        """The entries after `seq`; called with the lock held. Entries are in seq order."""
        return self._entries[bisect.bisect_right(self._entries, seq, key=_seq_of):]

    def query(self, path: str | None = None, method: str | None = None,
              after: int | None = None, last: int | None = None) -> dict[str, Any]:
        """The entries after seq `after` to `path` with `method`, only the newest `last` of
        them if given; and, whatever the filters, the newest seq given out (`last_seq`, 0
        for a fresh journal): `last=0` asks for that alone, without a copy of the journal."""
        with self._lock:
            chosen = [e for e in ([] if last == 0 else
                                  self._entries if after is None else self._after(after))
                      if (path is None or e.path == path)
                      and (method is None or e.method == method.upper())]
            entries = [asdict(e) for e in (chosen[-last:] if last else chosen)]
            peak = {p: n for p, n in self._peak.items() if path is None or p == path}
            last_seq = self._seq
        return {"entries": entries, "count": len(entries), "peak_in_flight": peak,
                "last_seq": last_seq}

    async def wait(self, after: int, count: int, where: EntryFilter, timeout: float) -> bool:
        """Whether at least `count` entries after `after` matched `where` within `timeout`
        seconds; answered the moment they do. Call on the server's event loop."""
        wait = _Wait(after, count, where, new_waiter())
        with self._lock:  # registered under the lock: no change can slip between the two
            for entry in self._after(after):
                wait.see(entry)
            if wait.met:
                return True
            self._waits.append(wait)
        try:
            return await answer(wait.waiter, timeout)
        finally:
            with self._lock:
                self._waits.remove(wait)


def _seq_of(entry: JournalEntry) -> int:
    return entry.seq
