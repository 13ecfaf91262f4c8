"""The backend's parts, built once per app from the settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

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
    # A fault may act inside a refresh, once its token is checked (`at="checked"`).
    holds_checked_refreshes: ClassVar[bool] = True

    @classmethod
    def build(cls, settings: Settings) -> Backend:
        clock = Clock()
        store = open_store(settings.store)
        behaviour = settings.api_profile.behaviour
        limit = settings.max_families_per_user
        policy = SessionPolicy(settings.refresh_ttl, settings.reuse_grace,
                               behaviour.session_limit if limit is None else limit,
                               settings.race_window, reuse=behaviour.reuse,
                               concurrent=behaviour.concurrent_refresh,
                               logout=behaviour.logout)
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

    def facts(self) -> dict[str, Any]:
        """`GET /__harness/facts`."""
        from mock_backend.facts import facts_payload

        return facts_payload(self)

    def families(self) -> list[dict[str, Any]]:
        """`GET /__harness/sessions`: every refresh family, as its state stands now."""
        from mock_backend.users import user_by_id

        now = self.clock.now()
        families = []
        for f in self.sessions.snapshot():
            user = user_by_id(f.user_id)
            state = f.state if f.state == "revoked" else ("expired" if now >= f.expires_at
                                                          else "live")
            families.append({"id": f.id, "user": user.username if user else f.user_id,
                             "generation": f.generation, "state": state,
                             "reason": f.reason if state == "revoked" else
                             ("absolute lifetime reached" if state == "expired" else None),
                             "created_at": f.created_at, "expires_at": f.expires_at,
                             "last_used_at": f.last_used_at})
        return families
