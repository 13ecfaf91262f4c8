"""Facts a check asserts on, read from the backend journal (never inferred from the page)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt

from harness.backend_client import BackendClient

REFRESH_PATH = "/api/refresh-token"


@dataclass(frozen=True)
class Attempt:
    """One request as the backend saw it: answer and the access token it carried."""

    status: int | None
    jti: str | None


def jti_of(token: str) -> str | None:
    """The jti of a token the backend issued; read only, never trusted."""
    jti = jwt.decode(token, options={"verify_signature": False}).get("jti")
    return jti if isinstance(jti, str) else None


def _exp_of(token: str) -> float:
    return float(jwt.decode(token, options={"verify_signature": False})["exp"])


@dataclass(frozen=True)
class Issued:
    """Every token value the backend handed out since the last reset, oldest first."""

    access_tokens: list[str]
    access_jtis: list[str]
    refresh_tokens: list[str]

    @property
    def all_values(self) -> list[str]:
        return [*self.access_tokens, *self.refresh_tokens]


def issued(backend: BackendClient) -> Issued:
    entries = backend.journal()
    access = [e for e in entries if e.get("issued_access_token")]
    return Issued([e["issued_access_token"] for e in access],
                  [e["issued_access_jti"] for e in access],
                  [e["issued_refresh_token"] for e in entries if e.get("issued_refresh_token")])


def current_access_token(backend: BackendClient) -> str:
    tokens = issued(backend).access_tokens
    assert tokens, "no access token was issued: did the login reach the backend?"
    return tokens[-1]


def expire_access_token(backend: BackendClient) -> None:
    """Move the backend clock just past the `exp` of the newest access token."""
    now = backend.advance_clock(0)
    backend.advance_clock(max(_exp_of(current_access_token(backend)) - now, 0) + 1)


def _last_login_seq(entries: list[dict[str, Any]]) -> int:
    logins = [e["seq"] for e in entries
              if e["path"] == "/api/login" and e["method"] == "POST" and e["status"] == 200]
    return logins[-1] if logins else 0


def mark(backend: BackendClient) -> int:
    """The journal's last sequence number: `since(backend, mark)` reads what came after."""
    entries = backend.journal()
    return int(entries[-1]["seq"]) if entries else 0


def since(backend: BackendClient, seq: int, path: str | None = None,
          method: str | None = None) -> list[dict[str, Any]]:
    return [e for e in backend.journal(path, method) if e["seq"] > seq]


def token_lifetime_left(backend: BackendClient) -> float:
    """Seconds until the newest access token expires, on the backend clock."""
    return _exp_of(current_access_token(backend)) - backend.advance_clock(0)


def refreshes(backend: BackendClient) -> list[dict[str, Any]]:
    """Refresh attempts since the last login (the silent one on load is not counted).

    Preflights are the browser's and never counted.
    """
    entries = backend.journal()
    since = _last_login_seq(entries)
    return [e for e in entries
            if e["path"] == REFRESH_PATH and e["method"] == "POST" and e["seq"] > since]


def attempts_by_query(backend: BackendClient, path: str,
                      method: str | None = None) -> dict[str, list[Attempt]]:
    """Each distinct request (told apart by its query) and the attempts the backend saw."""
    seen: dict[str, list[Attempt]] = defaultdict(list)
    for e in backend.journal(path, method):
        if e["method"] != "OPTIONS":
            seen[e["query"]].append(Attempt(e["status"], e["access_jti"]))
    return dict(seen)


def tally(statuses: Sequence[int | None]) -> str:
    """`[200, 200, 401]` as `2 x 200, 1 x 401`: short enough for a one-line reason."""
    counts: dict[int | None, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return ", ".join(f"{n} x {'no status' if status is None else status}"
                     for status, n in counts.items()) or "none"


def token_label(jti: str | None, old: str | None, new: str | None,
                old_name: str = "the expired token") -> str:
    if jti is None:
        return "no token"
    if jti == old:
        return old_name
    if jti == new:
        return "the new token"
    return f"token {jti[:8]}…"


def retry_problem(attempts: list[Attempt], old: str | None, new: str | None,
                  ok: int = 200) -> str | None:
    """What went wrong with one request while its token was renewed: None when it got a 401
    with the old token and one retry with the new token was answered `ok`, or when it went
    out only once, with the new token."""
    if attempts in ([Attempt(401, old), Attempt(ok, new)], [Attempt(ok, new)]):
        return None
    if not attempts:
        return "never reached the backend"
    if len(attempts) == 1 and attempts[0].status == 401:
        return "was answered 401 and never retried"
    sequence = ", ".join(f"{a.status} ({token_label(a.jti, old, new)})" for a in attempts)
    return f"was answered {sequence}"


def retry_problems(by_query: dict[str, list[Attempt]], old: str | None,
                   new: str | None) -> dict[str, str]:
    """`retry_problem` of every request (told apart by its query) that has one."""
    found = {q: retry_problem(a, old, new) for q, a in by_query.items()}
    return {q: p for q, p in found.items() if p is not None}


def problems_line(problems: dict[str, str], total: int, what: str = "request") -> str:
    """`3 of 10 requests were answered 401 and never retried (n=1, n=4, n=7)`, commonest first."""
    groups: dict[str, list[str]] = defaultdict(list)
    for query, problem in problems.items():
        groups[problem].append(query or "(no query)")
    parts = []
    for problem, queries in sorted(groups.items(), key=lambda g: -len(g[1])):
        shown = ", ".join(queries[:4]) + (", …" if len(queries) > 4 else "")
        verb = problem if len(queries) == 1 else problem.replace("was ", "were ", 1)
        plural = what if total == 1 else f"{what}s"
        parts.append(f"{len(queries)} of {total} {plural} {verb} ({shown})")
    return "; ".join(parts)
