"""What the flow panel says about the backend's journal: one short line per API request.

    12:00:01.234  GET /api/job-list?n=3 401  token 1
    12:00:01.240  ↻ POST /api/refresh-token 200 → token 2
    12:00:01.251  GET /api/job-list?n=3 200  token 2  retry

Access tokens are named by order of issue in the journal (`token 1` is the first login's),
never shown: a line holds a time, a method, a path, a status and labels. A request sent again
in the same session after an attempt that carried a token and was answered 401 is a `retry`
(the app renewed its token, or should have). Times are the backend clock's, so a check that
moves it (an expired token) shows as a jump.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from harness.seam.facts import BackendFacts
from harness.seam.journal import Entry, Issued, Request

# The panel keeps the newest lines only: enough for a burst, its refresh and its retries.
MAX_LINES = 50
# A query longer than this is cut: the panel is a glance, and a long query is no `?n=3`.
MAX_QUERY = 40
# What stands for a token value an app put in a path or a query (S5 forbids it; the panel
# must not copy it into the page either).
HIDDEN = "‹token›"


@dataclass(frozen=True)
class FlowLine:
    """One line of the panel; `kind` picks its colour (ok, failed, pending, refresh, retry)."""

    time: str
    text: str
    kind: str

    def __str__(self) -> str:
        return f"{self.time}  {self.text}"


class TokenNames:
    """`token 1`, `token 2`, …: access tokens by their `jti`, numbered in order of issue."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}

    def issued(self, jti: str) -> None:
        self._numbers.setdefault(jti, len(self._numbers) + 1)

    def label(self, jti: str | None) -> str:
        if jti is None:
            return "no token"
        number = self._numbers.get(jti)
        # Carried but never issued in this journal: forged, or from before the reset.
        return "unknown token" if number is None else f"token {number}"


def api_requests(entries: Iterable[Entry], facts: BackendFacts) -> Iterator[Entry]:
    """The API requests among `entries`: the app's files and the browser's preflights left
    out (what the flow panel and the timeline pictures show)."""
    return (e for e in entries if e.method != "OPTIONS" and facts.is_api(e.path))


def hidden(text: str, secrets: Sequence[str]) -> str:
    """`text` with each of `secrets` (issued token values) replaced by HIDDEN."""
    for value in secrets:
        text = text.replace(value, HIDDEN)
    return text


def flow_lines(entries: Sequence[Entry], facts: BackendFacts) -> list[FlowLine]:
    """The newest MAX_LINES lines for the API requests among `entries` (seq order)."""
    names = TokenNames()
    refused: set[Request] = set()  # requests whose last attempt carried a token, got 401
    secrets = Issued.of(entries).all_values
    lines = []
    for entry in api_requests(entries, facts):
        if entry.issued_access_jti:
            names.issued(entry.issued_access_jti)
        request = Request(entry.method, entry.path, entry.query)
        retry = request in refused
        if entry.status == 401 and entry.access_jti:
            refused.add(request)
        else:
            refused.discard(request)
        lines.append(_line(entry, facts, names, retry, secrets))
        if entry.is_to(facts.login) and entry.status == 200:
            refused.clear()  # a new session: what went before is not retried in it
    return lines[-MAX_LINES:]


def _line(entry: Entry, facts: BackendFacts, names: TokenNames, retry: bool,
          secrets: list[str]) -> FlowLine:
    refresh = entry.is_to(facts.refresh)
    words = [f"{'↻ ' if refresh else ''}{entry.method} {_target(entry, secrets)} "
             f"{_status(entry.status)}"]
    if entry.access_jti or not (refresh or entry.is_to(facts.login)):
        words.append(names.label(entry.access_jti))
    if retry:
        words.append("retry")
    text = "  ".join(words)
    if entry.issued_access_jti:
        text += f" → {names.label(entry.issued_access_jti)}"
    return FlowLine(_clock(entry.start), text, _kind(entry, refresh, retry))


def _target(entry: Entry, secrets: list[str]) -> str:
    """Path and query, each issued value blanked out before a long query is cut."""
    path, query = hidden(entry.path, secrets), hidden(entry.query, secrets)
    if len(query) > MAX_QUERY:
        query = query[:MAX_QUERY] + "…"
    return path + (f"?{query}" if query else "")


def _status(status: int | None) -> str:
    return {None: "…", 0: "dropped"}.get(status, str(status))


def _kind(entry: Entry, refresh: bool, retry: bool) -> str:
    if entry.status is None:
        return "pending"
    if refresh:
        return "refresh"
    if retry:
        return "retry"
    return "failed" if entry.status == 0 or entry.status >= 400 else "ok"


def _clock(epoch: float) -> str:
    """`HH:MM:SS.mmm` of the backend clock, in local time."""
    return datetime.fromtimestamp(epoch).strftime("%H:%M:%S.%f")[:-3]
