"""The backend's request journal as typed data, and the questions the checks ask of it.

`BackendClient.journal()` takes one snapshot (one round trip); every question a check
asks (refreshes since the login, attempts per request, tokens issued) is a method of that
snapshot, answered in terms of the backend's own facts (which path is the refresh).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

import jwt

from harness.seam.facts import BackendFacts, Endpoint
from harness.seam.wire import record


@dataclass(frozen=True)
class Entry:
    """One request as the backend saw it."""

    seq: int
    start: float
    end: float | None
    method: str
    path: str
    query: str
    status: int | None  # None while in flight; 0 when the connection was dropped on purpose
    access_jti: str | None  # the access token it carried
    refresh_family: str | None  # the refresh family its cookie belongs to
    refresh_generation: int | None
    origin: str | None
    # What the answer handed out: a login's or refresh's access token, a new refresh value.
    issued_access_jti: str | None = None
    issued_access_token: str | None = None
    issued_refresh_token: str | None = None
    # Behind the harness's edge: the issued access token's end on the edge's clock.
    issued_access_ends: float | None = None
    probe: bool | None = None  # a request the check made on purpose, marked by the edge
    upstream_error: str | None = None  # why the team's backend gave the edge no answer
    # Why a refresh was refused: superseded, reused, expired, revoked (...), invalid,
    # missing; behind the edge "refused" when it cannot tell. None for any other answer.
    refusal: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        return record(cls, data)

    def is_to(self, endpoint: Endpoint) -> bool:
        return self.path == endpoint.path and self.method == endpoint.method

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Attempt:
    """One attempt of a request: its answer and the access token it carried."""

    status: int | None
    jti: str | None


class Request(NamedTuple):
    """A request as the app sent it, told apart from the others by method, path and query."""

    method: str
    path: str
    query: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}" + (f"?{self.query}" if self.query else "")


@dataclass(frozen=True)
class Issued:
    """Every token value the backend handed out in a journal, oldest first."""

    access_tokens: list[str]
    access_jtis: list[str]
    refresh_tokens: list[str]

    @property
    def all_values(self) -> list[str]:
        return [*self.access_tokens, *self.refresh_tokens]

    @classmethod
    def of(cls, entries: Iterable[Entry]) -> Issued:
        """What the answers among `entries` handed out."""
        entries = list(entries)
        access = [e for e in entries if e.issued_access_token]
        return cls([str(e.issued_access_token) for e in access],
                   [str(e.issued_access_jti) for e in access],
                   [str(e.issued_refresh_token) for e in entries if e.issued_refresh_token])


def exp_of(token: str) -> float:
    return float(jwt.decode(token, options={"verify_signature": False})["exp"])


class Journal:
    """A snapshot of the journal: entries oldest first, with the peak in flight per path."""

    def __init__(self, entries: list[Entry], facts: BackendFacts,
                 peak_in_flight: dict[str, int] | None = None) -> None:
        self.entries = entries
        self.facts = facts
        self._peak = peak_in_flight or {}

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def last_seq(self) -> int:
        """The newest sequence number: `after(mark)` later reads what came since."""
        return self.entries[-1].seq if self.entries else 0

    def after(self, seq: int) -> Journal:
        return Journal([e for e in self.entries if e.seq > seq], self.facts, self._peak)

    def to(self, path: str | Endpoint | None = None, method: str | None = None) -> list[Entry]:
        """Requests to `path` (an endpoint names its method too), all methods by default."""
        if isinstance(path, Endpoint):
            return self.to(path.path, method or path.method)
        return [e for e in self.entries
                if (path is None or e.path == path) and (method is None or e.method == method)]

    def statuses(self, path: str | Endpoint | None = None,
                 method: str | None = None) -> list[int | None]:
        return [e.status for e in self.to(path, method)]

    def count(self, path: str | Endpoint, method: str | None = None,
              status: int | None = None) -> int:
        return sum(1 for e in self.to(path, method) if status is None or e.status == status)

    def last_login_seq(self) -> int:
        logins = [e.seq for e in self.to(self.facts.login) if e.status == 200]
        return logins[-1] if logins else 0

    def refreshes(self, since: int | None = None) -> list[Entry]:
        """Refresh requests after `since`, by default after the last successful login (the
        silent one on load is not counted). Preflights are the browser's and never counted."""
        start = self.last_login_seq() if since is None else since
        return [e for e in self.to(self.facts.refresh) if e.seq > start]

    def refresh_statuses(self, since: int | None = None) -> list[int | None]:
        return [e.status for e in self.refreshes(since)]

    def attempts(self, path: str | Endpoint,
                 method: str | None = None) -> dict[Request, list[Attempt]]:
        """Each distinct request to `path` (an endpoint names its method too), told apart by
        method and query, and the attempts the backend saw of it. Preflights are the
        browser's and never counted."""
        seen: dict[Request, list[Attempt]] = defaultdict(list)
        for e in self.to(path, method):
            if e.method != "OPTIONS":
                seen[Request(e.method, e.path, e.query)].append(Attempt(e.status, e.access_jti))
        return dict(seen)

    def attempts_of(self, endpoint: Endpoint, query: str) -> list[Attempt]:
        """The attempts of the one request to `endpoint` with `query`."""
        return self.attempts(endpoint).get(Request(endpoint.method, endpoint.path, query), [])

    def issued(self) -> Issued:
        return Issued.of(self.entries)

    def current_access_token_ends(self) -> float:
        """When the newest access token expires on the backend's clock (an edge says so; for
        the harness's own backend it is the token's `exp`)."""
        for entry in reversed(self.entries):
            if entry.issued_access_token:
                return entry.issued_access_ends or exp_of(entry.issued_access_token)
        raise LookupError("no access token was issued: did the login reach the backend?")

    def current_access_token(self) -> str:
        tokens = self.issued().access_tokens
        if not tokens:
            raise LookupError("no access token was issued: did the login reach the backend?")
        return tokens[-1]

    def peak_in_flight(self, path: str) -> int:
        return int(self._peak.get(path, 0))
