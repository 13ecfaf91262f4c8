"""Rotation is a compare-and-set: two rotations of one token, overlapping at any point,
give one success, one "superseded", one live successor and no second branch.

Every store (memory, SQLite, and any store added to STORES) is held to it at every point
of the first rotation (tests/backend/store_races.py), and the same exerciser fails a
rotation split over two transactions in every run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from mock_backend.sessions import RefreshSessions
from mock_backend.store import MemoryStore, SQLiteStore, Store
from tests.backend.store_races import overlaps
from tests.broken.store_variants import SplitRotation


class TwoProcesses:
    """Two SQLite stores on one file, as two backend processes share it: transactions that
    wait run in the first, those that do not in the second. Within one process its own lock
    keeps them apart; across processes only SQLite's write lock (BEGIN IMMEDIATE) does."""

    def __init__(self, path: Path) -> None:
        self.first, self.second = SQLiteStore(path), SQLiteStore(path)

    @contextmanager
    def transaction(self, wait: bool = True) -> Iterator[Any]:
        with (self.first if wait else self.second).transaction(wait=wait) as tx:
            yield tx

    def reset(self) -> None:
        self.first.reset()

    def close(self) -> None:
        self.first.close()
        self.second.close()


def _stores(tmp_path: Path) -> dict[str, Callable[[], Store]]:
    files = iter(range(1_000_000))
    return {"memory": MemoryStore,
            "sqlite": lambda: SQLiteStore(tmp_path / f"tokens-{next(files)}.db"),
            "sqlite-two-processes": lambda: TwoProcesses(tmp_path / f"tokens-{next(files)}.db")}


STORES = ["memory", "sqlite", "sqlite-two-processes"]


@pytest.mark.parametrize("store", STORES)
def test_two_rotations_overlapping_at_every_point_rotate_once(tmp_path: Path,
                                                              store: str) -> None:
    found = list(overlaps(RefreshSessions, _stores(tmp_path)[store]))
    # The points inside the transaction, between its first read and its last write, are
    # all there, and at each of them the store made the second rotation wait.
    inside = [o for o in found if o.point not in ("begin", "committed")]
    assert [o.point for o in inside][:3] == ["entered", "before find_token", "after find_token"]
    assert "before add_token" in [o.point for o in inside], [o.point for o in found]
    assert all(o.second_waited for o in inside), [(o.point, o.second_waited) for o in inside]
    problems = [p for o in found if (p := o.problem())]
    assert problems == [], problems


@pytest.mark.parametrize("store", STORES)
def test_the_race_test_fails_a_rotation_split_over_two_transactions(tmp_path: Path,
                                                                    store: str) -> None:
    # Between the split rotation's check and its write, the second rotation gets through:
    # two successes, two live successors; the exerciser sees it every time it runs.
    found = list(overlaps(SplitRotation, _stores(tmp_path)[store]))
    doubled = [o for o in found if len(o.successes) == 2]
    assert doubled, [o.problem() for o in found]
    assert all("2 successes" in str(o.problem()) for o in doubled)
    assert all(o.live_successors == 2 for o in doubled), [o.live_successors for o in doubled]
