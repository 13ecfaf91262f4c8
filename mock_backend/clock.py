"""The backend's own time source: wall time plus an offset that tests move."""

from __future__ import annotations

import math
import threading
import time


class Clock:
    """Every token is issued and checked against `now()`; tests advance or set it, and may
    freeze it to stand at an exact instant (a running clock moves on between two requests)."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._frozen_at: float | None = None
        self._lock = threading.Lock()

    def now(self) -> float:
        frozen = self._frozen_at
        return frozen if frozen is not None else time.time() + self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def advance(self, seconds: float) -> float:
        _require_finite(seconds)
        with self._lock:
            self._offset += seconds
            if self._frozen_at is not None:
                self._frozen_at += seconds
        return self.now()

    def set(self, epoch: float) -> float:
        _require_finite(epoch)
        with self._lock:
            self._offset = epoch - time.time()
            if self._frozen_at is not None:
                self._frozen_at = float(epoch)
        return self.now()

    def freeze(self, frozen: bool) -> float:
        """Stop the clock where it is (it then moves only by `advance` and `set`), or let it
        run on from where it stands."""
        with self._lock:
            if frozen and self._frozen_at is None:
                self._frozen_at = time.time() + self._offset
            elif not frozen and self._frozen_at is not None:
                self._offset = self._frozen_at - time.time()
                self._frozen_at = None
        return self.now()

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
            self._frozen_at = None


def _require_finite(value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError("clock values must be finite numbers")
