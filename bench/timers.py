"""Phase timers: where the wall time of a block goes, each phase counted without the
phases nested in it, so the phases of one iteration add up to its wall time."""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class PhaseTimers:
    def __init__(self) -> None:
        self.totals: defaultdict[str, float] = defaultdict(float)
        self.calls: defaultdict[str, int] = defaultdict(int)
        self._nested: list[float] = []  # time spent in inner phases, per open phase
        self._restore: list[tuple[Any, str, Any]] = []

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        self._nested.append(0.0)
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            inner = self._nested.pop()
            self.totals[name] += elapsed - inner
            self.calls[name] += 1
            if self._nested:
                self._nested[-1] += elapsed

    def wrap(self, owner: Any, attribute: str, name: str | None = None) -> None:
        """Time every call of `owner.attribute` (a method or function) as phase `name`."""
        original = getattr(owner, attribute)
        label = name or f"{getattr(owner, '__name__', owner)}.{attribute}"

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.phase(label):
                return original(*args, **kwargs)

        self._restore.append((owner, attribute, original))
        setattr(owner, attribute, timed)

    def unwrap_all(self) -> None:
        while self._restore:
            owner, attribute, original = self._restore.pop()
            setattr(owner, attribute, original)

    def take(self) -> dict[str, float]:
        """Seconds per phase since the last `take`, and start afresh."""
        taken = dict(self.totals)
        self.totals.clear()
        self.calls.clear()
        return taken


def timed_call(timers: PhaseTimers, name: str, call: Callable[[], Any]) -> Any:
    with timers.phase(name):
        return call()
