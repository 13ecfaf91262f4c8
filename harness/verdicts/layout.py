"""Where a timeline picture puts things (harness/verdicts/picture.py draws them): the time
scale, with the backend clock's idle jumps folded into breaks, and the rows of each lane,
long runs of one kind of request folded into bursts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from harness.verdicts import tabs
from harness.verdicts.drawn import Drawn

BURST = 24  # a run of more requests than this folds
IDLE = 1.0  # seconds with nothing in flight that fold into a break
BREAK = 0.05  # what a break keeps, in drawn seconds


@dataclass
class TimeScale:
    """Backend-clock seconds to drawn seconds, idle gaps folded into breaks."""

    t0: float
    breaks: list[tuple[float, float]] = field(default_factory=list)  # (ends at, skipped)
    span: float = 0.0

    @classmethod
    def of(cls, drawn: Sequence[Drawn]) -> TimeScale:
        ordered = sorted(drawn, key=lambda d: d.start)
        scale = cls(ordered[0].start if ordered else 0.0)
        busy_until = scale.t0
        for d in ordered:
            if d.start - busy_until > IDLE:
                scale.breaks.append((d.start, d.start - busy_until - BREAK))
            busy_until = max(busy_until, d.end if d.end is not None else d.start)
        ends = [scale.at(d.end if d.end is not None else d.start) for d in ordered]
        scale.span = max([*ends, 0.01])
        return scale

    def at(self, t: float) -> float:
        return t - self.t0 - sum(skipped for ends, skipped in self.breaks if t >= ends)


@dataclass
class Row:
    """One row of a lane: a request, or a folded burst of them (`burst` its number)."""

    lane: str
    requests: list[Drawn]
    burst: int = 0

    @property
    def start(self) -> float:
        return self.requests[0].start


def _lane_order(lane: str) -> tuple[int, int]:
    if lane.startswith("tab ") and lane[4:].isdigit():
        return 0, int(lane[4:])
    return (1 if lane == tabs.OUTSIDE else 2), 0


def _kind(d: Drawn) -> tuple[str, str, str]:
    """What the requests of one burst share: method, path, and query but for its numbers
    (`n=3` and `n=97` are of one burst; `tab=first&n=0` and `tab=second&n=0` are not)."""
    return d.method, d.path, re.sub(r"\d+", "#", d.query)


def rows(drawn: Sequence[Drawn], fold: bool = True) -> list[Row]:
    """The rows of every lane, lanes in order, each lane's rows by start; with `fold`, runs
    of more than BURST requests of one lane of one kind (`_kind`; its refreshes aside)
    become bursts, numbered across the lanes."""
    found: list[Row] = []
    number = 0
    for lane in sorted({d.lane for d in drawn}, key=_lane_order):
        mine = sorted((d for d in drawn if d.lane == lane), key=lambda d: d.seq)
        runs: list[list[Drawn]] = []
        for d in mine:
            if d.refresh:
                continue
            if runs and _kind(runs[-1][0]) == _kind(d):
                runs[-1].append(d)
            else:
                runs.append([d])
        lane_rows = [Row(lane, [d]) for d in mine if d.refresh]
        for run in runs:
            if fold and len(run) > BURST:
                lane_rows.append(Row(lane, run, burst=-1))
            else:
                lane_rows += [Row(lane, [d]) for d in run]
        lane_rows.sort(key=lambda r: (r.start, r.requests[0].seq))
        for row in lane_rows:
            if row.burst:
                number += 1
                row.burst = number
        found += lane_rows
    return found
