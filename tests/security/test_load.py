"""SECURITY-CHECKS case 36: 1,000 requests, 200 at once, a third of them refreshes.

Fifteen sessions (five per demo user: the per-user limit, so none is evicted) each refresh
in turn, one refresh after another, while 185 other clients call the API with the latest
access token of a session. The first request of every client is held by a gate until all
200 are inside the backend, so "200 at once" is a fact the backend reports, not a hope.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest

from harness.seam.client import BackendClient
from tests.backend.wire import CSRF, Session, bearer, login, parse_set_cookie, refresh
from tests.security import forge
from tests.security.conftest import TLS, ServeTarget, no_cookie_jar

REQUESTS, CONCURRENT = 1000, 200
REFRESHES = REQUESTS // 3
USERS, SESSIONS_PER_USER = ("alice", "bob", "admin"), 5
API_CALLS = [("GET", "/api/current-user"), ("GET", "/api/job-list"), ("POST", "/api/jobs")]


def _shares(total: int, parts: int) -> list[int]:
    return [total // parts + (i < total % parts) for i in range(parts)]


@dataclass
class Burst:
    """The clients' shared view: each session's current refresh value and access token."""

    sessions: list[Session]
    cookies: list[str] = field(init=False)
    tokens: list[str] = field(init=False)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.cookies = [s.refresh for s in self.sessions]
        self.tokens = [s.access for s in self.sessions]

    async def refresher(self, url: str, family: int, times: int) -> None:
        """One session's refreshes, each with the value the previous one handed out."""
        async with _client(url) as client:
            for _ in range(times):
                r = await client.post("/api/refresh-token", headers={
                    **CSRF, "Cookie": f"refresh_token={self.cookies[family]}"})
                self.statuses["refresh", r.status_code] += 1
                if r.status_code == 200:
                    self.cookies[family] = parse_set_cookie(r).value
                    self.tokens[family] = r.json()["accessToken"]

    async def caller(self, url: str, family: int, times: int) -> None:
        """API calls with the session's latest access token, starting with current-user."""
        async with _client(url) as client:
            for i in range(times):
                method, path = API_CALLS[i % len(API_CALLS)]
                r = await client.request(method, path, headers=bearer(self.tokens[family]),
                                         json={"title": "load"} if method == "POST" else None)
                self.statuses[path, r.status_code] += 1

    async def run(self, url: str, control: BackendClient) -> int:
        """Every client at once; returns how many requests the gates held together."""
        callers = CONCURRENT - len(self.sessions)
        # Each refresher's first request is a refresh, each caller's a current-user: each
        # gate holds as many as it has uses.
        gates = [control.fault("/api/refresh-token", times=len(self.sessions), gate=True),
                 control.fault("/api/current-user", times=callers, gate=True)]

        def release_when_all_held() -> int:
            try:
                met = (gates[0].wait_held(len(self.sessions), timeout=30)
                       and gates[1].wait_held(callers, timeout=30))
                held = _held(control)
            finally:
                for gate in gates:
                    gate.release()
            if not met:
                raise TimeoutError(f"{CONCURRENT} requests not held at once ({held} were)")
            return held

        refreshers = [self.refresher(url, f, n)
                      for f, n in enumerate(_shares(REFRESHES, len(self.sessions)))]
        calls = [self.caller(url, c % len(self.sessions), n)
                 for c, n in enumerate(_shares(REQUESTS - REFRESHES, callers))]
        releaser = asyncio.create_task(asyncio.to_thread(release_when_all_held))
        await asyncio.gather(releaser, *refreshers, *calls)
        return releaser.result()


def _client(url: str) -> httpx.AsyncClient:
    """One client, one connection, per simulated browser (a shared pool of 200 connections
    is itself the bottleneck)."""
    return httpx.AsyncClient(base_url=url, timeout=60, verify=TLS, cookies=no_cookie_jar())


def _held(control: BackendClient) -> int:
    return sum(f.held for f in control.faults())


def test_case36_thousand_requests_two_hundred_at_once_lose_and_double_nothing(
        serve_target: ServeTarget, request: pytest.FixtureRequest) -> None:
    t = serve_target()
    http, backend = t.http, t.control
    sessions = [login(http, user) for user in USERS for _ in range(SESSIONS_PER_USER)]
    admin = sessions[-1].access
    jobs_before = http.get("/api/admin/stats", headers=bearer(admin)).json()["jobs"]
    journal_before = len(backend.journal())
    burst = Burst(sessions)
    # In a thread of its own: a browser test that ran earlier in this process leaves
    # Playwright's event loop running in this one, where asyncio.run() is refused.
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(asyncio.run, burst.run(t.url, backend)).result()

    answered = backend.journal().entries[journal_before:]
    requests = len(answered)
    errors = sum(1 for e in answered if e.status not in (200, 201))
    refreshes = sum(n for (kind, status), n in burst.statuses.items()
                    if kind == "refresh" and status == 200)
    families = backend.sessions()
    rotations = sum(f.generation for f in families)
    created = burst.statuses["/api/jobs", 201]
    counts = {"requests": requests, "at_once": held, "refreshes": refreshes,
              "rotations": rotations, "jobs_created": created, "errors": errors}
    request.node.user_properties.extend(counts.items())
    summary = (f"case 36: {requests} requests ({held} at once), {refreshes} refreshes, "
               f"{rotations} rotations, {created} jobs created, errors: {errors}")
    # Shown at the end of every run (the root conftest's terminal summary), and under -s.
    request.node.user_properties.append(("summary_line", summary))
    print(summary)

    assert (requests, held, errors) == (REQUESTS, CONCURRENT, 0), burst.statuses
    assert sum(burst.statuses.values()) == REQUESTS  # every client got its answer
    # Every successful refresh is exactly one rotation of its own family: none lost or doubled.
    assert refreshes == rotations == REFRESHES, (burst.statuses, families)
    shares = _shares(REFRESHES, len(sessions))
    by_sid = {f.id: f for f in families}
    for session, share in zip(sessions, shares, strict=True):
        family = by_sid[_sid(session)]
        assert (family.generation, family.state) == (share, "live"), family
    # Every POST ran exactly once.
    assert http.get("/api/admin/stats", headers=bearer(admin)).json()["jobs"] == (
        jobs_before + created)
    # Each family's last value is its current one: one live branch per family, still usable.
    for cookie in burst.cookies:
        assert refresh(http, cookie).status_code == 200


def _sid(session: Session) -> str:
    return str(forge.parts(session.access).claims["sid"])
