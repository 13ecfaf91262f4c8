"""Faults for the next N requests to a path: delay, status, hold-until-released gate, drop."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field


@dataclass
class Fault:
    id: str
    path: str
    method: str | None
    remaining: int
    delay_ms: float = 0
    status: int | None = None
    gate: bool = False
    drop: bool = False
    released: asyncio.Event = field(default_factory=asyncio.Event)
    held: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.remaining <= 0 or path != self.path:
            return False
        # Preflights are the browser's, not the app's: only faulted when asked for by name.
        if self.method is None:
            return method != "OPTIONS"
        return method == self.method

    def describe(self) -> dict:
        return {"id": self.id, "path": self.path, "method": self.method,
                "remaining": self.remaining, "delay_ms": self.delay_ms, "status": self.status,
                "gate": self.gate, "drop": self.drop, "held": self.held,
                "released": self.released.is_set()}


class FaultBook:
    """Used only from the server's event loop, so no locking is needed."""

    def __init__(self) -> None:
        self._faults: dict[str, Fault] = {}
        self._ids = itertools.count(1)

    def add(self, path: str, times: int, method: str | None = None, delay_ms: float = 0,
            status: int | None = None, gate: bool = False, drop: bool = False) -> Fault:
        fault = Fault(id=f"f{next(self._ids)}", path=path, method=method, remaining=times,
                      delay_ms=delay_ms, status=status, gate=gate, drop=drop)
        self._faults[fault.id] = fault
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The first armed fault for this request, with one use consumed."""
        for fault in self._faults.values():
            if fault.matches(method, path):
                fault.remaining -= 1
                return fault
        return None

    def release(self, fault_id: str) -> Fault | None:
        fault = self._faults.get(fault_id)
        if fault is not None:
            fault.released.set()
        return fault

    def clear(self) -> None:
        """Forget every fault; requests held by a gate are let through first."""
        for fault in self._faults.values():
            fault.released.set()
        self._faults.clear()

    def list(self) -> list[dict]:
        return [f.describe() for f in self._faults.values()]
