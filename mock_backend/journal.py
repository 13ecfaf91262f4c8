"""The request journal: every request in order, and the peak in flight per path."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

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


class Journal:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._entries: list[JournalEntry] = []
            self._seq = 0
            self._in_flight: Counter[str] = Counter()
            self._peak: Counter[str] = Counter()

    def begin(self, entry_fields: dict[str, Any]) -> JournalEntry:
        with self._lock:
            self._seq += 1
            entry = JournalEntry(seq=self._seq, end=None, status=None, **entry_fields)
            if len(self._entries) >= MAX_ENTRIES:
                del self._entries[: MAX_ENTRIES // 10]
            self._entries.append(entry)
            self._in_flight[entry.path] += 1
            self._peak[entry.path] = max(self._peak[entry.path], self._in_flight[entry.path])
            return entry

    def annotate(self, entry: JournalEntry, **fields: Any) -> None:
        with self._lock:
            for name, value in fields.items():
                setattr(entry, name, value)

    def finish(self, entry: JournalEntry, status: int, end: float,
               issued: dict[str, str | None] | None = None) -> None:
        with self._lock:
            entry.status, entry.end = status, end
            for name, value in (issued or {}).items():
                setattr(entry, f"issued_{name}", value)
            self._in_flight[entry.path] -= 1

    def query(self, path: str | None = None, method: str | None = None) -> dict[str, Any]:
        with self._lock:
            entries = [asdict(e) for e in self._entries
                       if (path is None or e.path == path)
                       and (method is None or e.method == method.upper())]
            peak = {p: n for p, n in self._peak.items() if path is None or p == path}
        return {"entries": entries, "count": len(entries), "peak_in_flight": peak}
