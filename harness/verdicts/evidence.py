"""How a check words what the journal shows (harness/seam/journal.py reads it): tallies of
statuses, which token a request carried, what went wrong with a retried request."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeVar

from harness.seam.journal import Attempt

K = TypeVar("K", bound=Hashable)


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


def retry_problems(by_request: Mapping[K, list[Attempt]], old: str | None,
                   new: str | None, ok: int = 200) -> dict[K, str]:
    """`retry_problem` of every request that has one."""
    found = {r: retry_problem(a, old, new, ok) for r, a in by_request.items()}
    return {r: p for r, p in found.items() if p is not None}


def problems_line(problems: Mapping[K, str], total: int, what: str = "request",
                  name: Callable[[K], str] = str) -> str:
    """`3 of 10 requests were answered 401 and never retried (n=1, n=4, n=7)`, commonest
    first; `name` says which request is which (by default, as `str` gives it)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for request, problem in problems.items():
        groups[problem].append(name(request) or "(no query)")
    parts = []
    for problem, queries in sorted(groups.items(), key=lambda g: -len(g[1])):
        shown = ", ".join(queries[:4]) + (", …" if len(queries) > 4 else "")
        verb = problem if len(queries) == 1 else problem.replace("was ", "were ", 1)
        plural = what if total == 1 else f"{what}s"
        parts.append(f"{len(queries)} of {total} {plural} {verb} ({shown})")
    return "; ".join(parts)


def sessions(states: Sequence[str | tuple[str, str | None]]) -> str:
    """The backend's sessions in a failure's words: "the session is live", "the session was
    ended (reuse)", "no session", "2 sessions: 1 live, 1 ended (logout)"."""
    said = [_session(s) for s in states]
    if not said:
        return "no session"
    if len(said) == 1:
        return f"the session {'is live' if said[0] == 'live' else 'was ' + said[0]}"
    counts: dict[str, int] = {}
    for one in said:
        counts[one] = counts.get(one, 0) + 1
    return f"{len(said)} sessions: " + ", ".join(f"{n} {what}" for what, n in counts.items())


def _session(state: str | tuple[str, str | None]) -> str:
    name, reason = state if isinstance(state, tuple) else (state, None)
    if name == "live":
        return "live"
    return "ended" + (f" ({reason})" if reason else "")


def session_change(before: Sequence[tuple[str, int, str]],
                   after: Sequence[tuple[str, int, str]]) -> str:
    """What became of the sessions (id, generation, state) between two looks, in words."""
    then = {sid: (generation, state) for sid, generation, state in before}
    changes = []
    for sid, generation, state in after:
        if sid not in then:
            changes.append("a new session began")
        elif then[sid][1] != state:
            changes.append(f"a session was {'ended' if state != 'live' else 'restored'}")
        elif then[sid][0] != generation:
            changes.append("a session was rotated")
    gone = set(then) - {sid for sid, _, _ in after}
    changes += ["a session disappeared"] * len(gone)
    return ", ".join(changes) or "the sessions changed"
