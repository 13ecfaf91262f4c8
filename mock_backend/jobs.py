"""The demo resource: jobs owned by users. POST creates one (not idempotent on purpose)."""

from __future__ import annotations

import itertools
import threading
from dataclasses import asdict, dataclass

_SEED = {
    "u1": ("Replace the bearings on press 4", "Quarterly audit of access logs",
           "Ship the spring catalogue"),
    "u2": ("Calibrate the north sensors", "Review supplier contracts"),
    "u3": ("Rotate the signing keys",),
}


@dataclass(frozen=True)
class Job:
    id: int
    title: str
    owner: str
    createdAt: float


def seed_count(user_id: str) -> int:
    """How many jobs `user_id` has after a reset."""
    return len(_SEED.get(user_id, ()))


class JobBoard:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset(0.0)

    def reset(self, now: float) -> None:
        with self._lock:
            self._ids = itertools.count(1)
            self._jobs = [Job(next(self._ids), title, owner, now)
                          for owner, titles in _SEED.items() for title in titles]

    def for_user(self, user_id: str) -> list[dict]:
        with self._lock:
            return [asdict(j) for j in self._jobs if j.owner == user_id]

    def create(self, user_id: str, title: str, now: float) -> dict:
        with self._lock:
            job = Job(next(self._ids), title, user_id, now)
            self._jobs.append(job)
        return asdict(job)

    def count(self) -> int:
        with self._lock:
            return len(self._jobs)
