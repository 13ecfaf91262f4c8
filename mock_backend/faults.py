"""Faults for the next N requests to a path: delay, status, hold-until-released gate, drop.

A fault acts when the request arrives (`at="arrival"`), or, for a refresh, once the
presented token has been checked and before its successor is written (`at="checked"`):
there a gate lines a second refresh of the same token up behind the first.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

from mock_backend.waiters import answer, new_waiter, wake


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
    _held: int = field(default=0, init=False, repr=False)
    # Waits for `held` to reach a count: (count, waiter), woken when it does.
    _waits: list[tuple[int, asyncio.Future[bool]]] = field(default_factory=list, init=False,
                                                           repr=False)

    @property
    def held(self) -> int:
        """Requests its gate holds now."""
        return self._held

    @held.setter
    def held(self, count: int) -> None:
        # A property, so every place that holds a request (on arrival, inside the refresh)
        # wakes the waits by counting, and none can forget to.
        self._held = count
        for wanted, waiter in self._waits:
            if count >= wanted:
                wake(waiter)

    def release(self) -> None:
        """Open the gate for good; waits still short of their count end, since it holds no
        more."""
        self.released.set()
        for _, waiter in self._waits:
            wake(waiter, met=False)

    async def wait_held(self, count: int, timeout: float) -> bool:
        """Whether the gate held at least `count` requests within `timeout` seconds, answered
        the moment it does (or at once, once released). Call on the server's event loop."""
        if self._held >= count:
            return True
        if self.released.is_set():
            return False
        entry = (count, new_waiter())
        self._waits.append(entry)
        try:
            return await answer(entry[1], timeout)
        finally:
            self._waits.remove(entry)

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

    def get(self, fault_id: str) -> Fault | None:
        return self._faults.get(fault_id)

    def release(self, fault_id: str) -> Fault | None:
        fault = self._faults.get(fault_id)
        if fault is not None:
            fault.release()
        return fault

    def clear(self) -> None:
        """Forget every fault; requests held by a gate are let through first."""
        for fault in self._faults.values():
            fault.release()
        self._faults.clear()

    def list(self) -> list[dict]:
        return [f.describe() for f in self._faults.values()]
