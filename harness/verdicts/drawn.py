"""What the pictures of a check's run draw: each API request of the backend's journal, in its
tab's lane, with the token it carried, what it was handed, why a refresh was refused, and
whether the failure is about it.

Access tokens are named by order of issue (`token 1` is the first login's), as the flow panel
names them (harness/browser/flow_lines.py); token values never reach a picture. A `Drawn` is
plain data, so that it travels in a report's `user_properties` to the pytest-xdist controller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import pytest

from harness.browser.flow_lines import TokenNames, api_requests, hidden
from harness.seam.journal import Journal, Request
from harness.verdicts import tabs
from harness.verdicts.verdict import VERDICT, Named


@dataclass
class Drawn:
    """One API request as a picture draws it."""

    seq: int
    start: float  # backend clock, seconds
    end: float | None  # None: no answer yet
    lane: str  # `tab 1`, `outside the browser`, `app`
    method: str
    path: str  # token values an app put in it hidden
    query: str
    status: int | None  # 0: the connection was dropped
    token: str | None  # the access token it carried, `token 2` or `no token`; None: not shown
    issued: str | None = None  # the access token its answer handed out
    refresh: bool = False
    refusal: str | None = None  # why a refused refresh was refused (the journal's word)
    highlight: bool = False  # the failure is about it

    @property
    def target(self) -> str:
        return self.path + (f"?{self.query}" if self.query else "")

    @property
    def refused(self) -> bool:
        return self.refresh and self.status is not None and 400 <= self.status < 500

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Drawn:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def drawn_requests(journal: Journal, lanes: Mapping[int, str] | None = None,
                   highlight: Sequence[Named] = ()) -> list[Drawn]:
    """The journal's API requests, seq order; the browser's preflights and the app's files
    left out. `lanes`: each entry's lane by seq (all `app` without); `highlight`: the
    entries (by seq) and requests the failure is about."""
    facts = journal.facts
    names = TokenNames()
    secrets = journal.issued().all_values
    marked_seqs = {n for n in highlight if isinstance(n, int)}
    marked_requests = {n for n in highlight if isinstance(n, Request)}
    drawn = []
    for e in api_requests(journal, facts):
        if e.issued_access_jti:
            names.issued(e.issued_access_jti)
        refresh, login = e.is_to(facts.refresh), e.is_to(facts.login)
        shown = e.access_jti is not None or not (refresh or login)
        drawn.append(Drawn(
            seq=e.seq, start=e.start, end=e.end, lane=(lanes or {}).get(e.seq, tabs.APP),
            method=e.method, path=hidden(e.path, secrets), query=hidden(e.query, secrets),
            status=e.status, token=names.label(e.access_jti) if shown else None,
            issued=names.label(e.issued_access_jti) if e.issued_access_jti else None,
            refresh=refresh, refusal=e.refusal,
            highlight=(e.seq in marked_seqs
                       or Request(e.method, e.path, e.query) in marked_requests)))
    return drawn


def of_item(item: pytest.Item | None, journal: Journal,
            lanes: Mapping[int, str] | None = None) -> list[Drawn]:
    """A test's journal as its pictures draw it: each request in its tab's lane (`lanes`, or
    from the test's page watch), marked where the check's verdict names it (`highlight`)."""
    checked = item.stash.get(VERDICT, None) if item is not None else None
    failure = getattr(checked, "failure", None)
    return drawn_requests(journal, tabs.lanes_of(item, journal) if lanes is None else lanes,
                          failure.highlight if failure is not None else ())
