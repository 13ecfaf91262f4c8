"""The backend's parts, built once per app from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from mock_backend.clock import Clock
from mock_backend.config import Settings
from mock_backend.faults import FaultBook
from mock_backend.jobs import JobBoard
from mock_backend.journal import Journal
from mock_backend.security import TokenSigner
from mock_backend.sessions import RefreshSessions, SessionPolicy
from mock_backend.store import Store, open_store


@dataclass
class Backend:
    settings: Settings
    clock: Clock
    signer: TokenSigner
    store: Store
    sessions: RefreshSessions
    jobs: JobBoard
    journal: Journal
    faults: FaultBook

    @classmethod
    def build(cls, settings: Settings) -> Backend:
        clock = Clock()
        store = open_store(settings.store)
        policy = SessionPolicy(settings.refresh_ttl, settings.reuse_grace,
                               settings.max_families_per_user, settings.race_window)
        jobs = JobBoard()
        jobs.reset(clock.now())
        return cls(settings=settings, clock=clock,
                   signer=TokenSigner(settings.alg, settings.secret, settings.issuer,
                                      settings.audience, settings.private_key_pem,
                                      settings.key_id),
                   store=store, sessions=RefreshSessions(store, policy), jobs=jobs,
                   journal=Journal(), faults=FaultBook())

    def reset(self) -> None:
        """Back to a fresh start: journal, store, clock, faults, demo data."""
        self.faults.clear()
        self.journal.clear()
        self.clock.reset()
        self.store.reset()
        self.jobs.reset(self.clock.now())
