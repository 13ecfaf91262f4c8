"""A time budget for the whole run: repeated measurements stop before it runs out."""

from __future__ import annotations

import time
from collections.abc import Iterator


class Budget:
    def __init__(self, seconds: float) -> None:
        self.started = time.monotonic()
        self.deadline = self.started + seconds

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def share(self, fraction: float) -> float:
        """A deadline `fraction` of the time left from now."""
        return time.monotonic() + max(self.left(), 0.0) * fraction


def rounds(wanted: int, deadline: float, minimum: int = 1) -> Iterator[int]:
    """0, 1, ... up to `wanted` rounds; the first `minimum` always run, a later one only
    when a round of average length still ends before `deadline`."""
    start = time.monotonic()
    for r in range(wanted):
        if r and r >= minimum and time.monotonic() + (time.monotonic() - start) / r > deadline:
            return
        yield r
