"""The backend's own time source: wall time plus an offset that tests move."""

from __future__ import annotations

import math
import threading
import time


class Clock:
    """Every token is issued and checked against `now()`; tests advance or set it."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        _require_finite(seconds)
        with self._lock:
            self._offset += seconds
        return self.now()

    def set(self, epoch: float) -> float:
        _require_finite(epoch)
        with self._lock:
            self._offset = epoch - time.time()
        return self.now()

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0


def _require_finite(value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError("clock values must be finite numbers")
