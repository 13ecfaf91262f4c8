"""Summaries of repeated measurements: median with min and max, percentiles, ratios."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Figure:
    """The median of `n` runs with the smallest and largest; n=1 gives min = max = median."""

    median: float
    min: float
    max: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Figure:
        if not values:
            raise ValueError("a figure needs at least one measurement")
        return cls(statistics.median(values), min(values), max(values), len(values))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Figure:
        return cls(float(data["median"]), float(data["min"]), float(data["max"]),
                   int(data["n"]))

    def as_dict(self) -> dict[str, Any]:
        return {"median": self.median, "min": self.min, "max": self.max, "n": self.n}

    def scaled(self, factor: float) -> Figure:
        return Figure(self.median * factor, self.min * factor, self.max * factor, self.n)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): always one of the measured values."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.inf
