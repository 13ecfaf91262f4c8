"""Two rotations of one refresh token, forced to overlap at every point of the first.

The first rotation runs in a thread and stops at a chosen point (a pause hook around the
store's transaction and each of its reads and writes). The second runs while it stands
there, with a transaction that does not wait: a store that isolates its transactions
answers StoreBusy (the second then runs to its end after the first), a store that does not
lets it through. Events and joins only: no sleeping, nothing left to luck.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from mock_backend.security import hash_refresh_value
from mock_backend.sessions import IssuedRefresh, RefreshRejected, RefreshSessions, SessionPolicy
from mock_backend.store import Store, StoreBusy

T = 2_000_000_000.0  # the (fixed) time of both rotations
ARRIVED = T - 1  # both arrived before either committed: the loser lost a race
POLICY = SessionPolicy(refresh_ttl=3600, reuse_grace=0, max_families_per_user=5, race_window=2)
WAIT_S = 30  # a bound on waiting for an event; reached only when a rotation hangs

Rotation = type[RefreshSessions]


class _HookedTransaction:
    def __init__(self, tx: Any, hook: Callable[[str], None]) -> None:
        self._tx, self._hook = tx, hook

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._tx, name)

        def call(*args: Any) -> Any:
            self._hook(f"before {name}")
            result = method(*args)
            self._hook(f"after {name}")
            return result

        return call


class HookedStore:
    """`inner`, with `hook(point)` called at every step of every transaction."""

    def __init__(self, inner: Store, hook: Callable[[str], None], wait: bool = True) -> None:
        self.inner, self.hook, self.wait = inner, hook, wait

    @contextmanager
    def transaction(self, wait: bool = True) -> Iterator[Any]:
        self.hook("begin")
        with self.inner.transaction(wait=wait and self.wait) as tx:
            self.hook("entered")
            yield _HookedTransaction(tx, self.hook)
            self.hook("before commit")
        self.hook("committed")

    def reset(self) -> None:
        self.inner.reset()

    def close(self) -> None:
        self.inner.close()


@dataclass
class Overlap:
    """What came of one pair of rotations overlapping at `point`."""

    point: str
    results: list[IssuedRefresh | RefreshRejected]
    second_waited: bool  # the store made the second wait (StoreBusy)
    generation: int
    live_successors: int  # successor values the store takes as the family's current one

    @property
    def successes(self) -> list[IssuedRefresh]:
        return [r for r in self.results if isinstance(r, IssuedRefresh)]

    def problem(self) -> str | None:
        """None when: one success, one "superseded", one live successor, no revocation."""
        reasons = [r.reason for r in self.results if isinstance(r, RefreshRejected)]
        if len(self.successes) != 1 or reasons != ["superseded by a concurrent refresh"]:
            return (f"at {self.point}: {len(self.successes)} successes, rejections {reasons}, "
                    f"family generation {self.generation}")
        if self.generation != 1 or self.live_successors != 1:
            return (f"at {self.point}: family generation {self.generation}, "
                    f"{self.live_successors} live successors")
        return None


def _points(rotation: Rotation, store_factory: Callable[[], Store]) -> list[str]:
    """The points a lone rotation passes, in order."""
    seen: list[str] = []
    store = store_factory()
    sessions = rotation(HookedStore(store, seen.append), POLICY)
    value = sessions.start("u1", T - 10).value
    seen.clear()
    sessions.rotate(value, lambda: T, ARRIVED)
    store.close()
    return seen


def overlap_at(rotation: Rotation, store_factory: Callable[[], Store], index: int,
               point: str) -> Overlap:
    store = store_factory()
    value = rotation(store, POLICY).start("u1", T - 10).value
    reached, resume = threading.Event(), threading.Event()
    count = 0

    def pause(name: str) -> None:
        nonlocal count
        count += 1
        if count == index + 1:
            reached.set()
            if not resume.wait(WAIT_S):
                raise TimeoutError(f"not resumed at {name}")

    first: list[IssuedRefresh | RefreshRejected] = []

    def run_first() -> None:
        try:
            first.append(rotation(HookedStore(store, pause), POLICY)
                         .rotate(value, lambda: T, ARRIVED))
        except RefreshRejected as exc:
            first.append(exc)

    thread = threading.Thread(target=run_first, name=f"first rotation at {point}")
    thread.start()
    try:
        if not reached.wait(WAIT_S):
            raise TimeoutError(f"the first rotation never reached {point}")
        second: list[IssuedRefresh | RefreshRejected] = []
        waited = False
        impatient = rotation(HookedStore(store, lambda _: None, wait=False), POLICY)
        try:
            second.append(impatient.rotate(value, lambda: T, ARRIVED))
        except RefreshRejected as exc:
            second.append(exc)
        except StoreBusy:
            waited = True
    finally:
        resume.set()
        thread.join(WAIT_S)
    if waited:  # now that the first is done, the second goes through as a waiting one would
        try:
            second.append(rotation(store, POLICY).rotate(value, lambda: T, ARRIVED))
        except RefreshRejected as exc:
            second.append(exc)
    results = [*first, *second]
    with store.transaction() as tx:
        [family] = tx.families()
        records = [tx.find_token(hash_refresh_value(r.value)) for r in results
                   if isinstance(r, IssuedRefresh)]
    store.close()
    live = sum(1 for r in records if r is not None and r.generation == family.generation)
    return Overlap(point, results, waited, family.generation, live)


def overlaps(rotation: Rotation, store_factory: Callable[[], Store]) -> Iterator[Overlap]:
    """One overlap at every point of the first rotation."""
    for index, point in enumerate(_points(rotation, store_factory)):
        yield overlap_at(rotation, store_factory, index, point)
