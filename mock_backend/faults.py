"""Faults for the next N requests to a path: delay, status, hold-until-released gate, drop.

A fault acts when the request arrives (`at="arrival"`), or, for a refresh, once the
presented token has been checked and before its successor is written (`at="checked"`):
there a gate lines a second refresh of the same token up behind the first.
"""

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
    at: str = "arrival"
    released: asyncio.Event = field(default_factory=asyncio.Event)
    held: int = 0

    def matches(self, method: str, path: str, at: str = "arrival") -> bool:
        if self.remaining <= 0 or path != self.path or at != self.at:
            return False
        # Preflights are the browser's, not the app's: only faulted when asked for by name.
        if self.method is None:
            return method != "OPTIONS"
        return method == self.method

    def describe(self) -> dict:
        return {"id": self.id, "path": self.path, "method": self.method,
                "remaining": self.remaining, "delay_ms": self.delay_ms, "status": self.status,
                "gate": self.gate, "drop": self.drop, "at": self.at, "held": self.held,
                "released": self.released.is_set()}

    async def hold(self) -> None:
        """Where the fault acts inside the backend: its delay, then its gate."""
        if self.delay_ms:
            await asyncio.sleep(self.delay_ms / 1000)
        if self.gate:
            self.held += 1
            try:
                await self.released.wait()
            finally:
                self.held -= 1


class FaultBook:
    """Used only from the server's event loop, so no locking is needed."""

    def __init__(self) -> None:
        self._faults: dict[str, Fault] = {}
        self._ids = itertools.count(1)

    def add(self, path: str, times: int, method: str | None = None, delay_ms: float = 0,
            status: int | None = None, gate: bool = False, drop: bool = False,
            at: str = "arrival") -> Fault:
        fault = Fault(id=f"f{next(self._ids)}", path=path, method=method, remaining=times,
                      delay_ms=delay_ms, status=status, gate=gate, drop=drop, at=at)
        self._faults[fault.id] = fault
        return fault

    def take(self, method: str, path: str, at: str = "arrival") -> Fault | None:
        """The first armed fault for this request at this stage, with one use consumed."""
        for fault in self._faults.values():
            if fault.matches(method, path, at):
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
