"""How a check fails: one structured exception, worded in one place.

`<ID>: <the property the app broke> — <what happened instead>`, then the evidence, one item a
line. The first line is for a frontend developer who never read the check: its ID (the entry
in docs/checks.md), the property in the app's terms, and what the app did instead.

A check raises `CheckFailure` (through `Verdict.fail` and `Verdict.require`); anything else
that stops it is named by `explain`: a step it needs but does not judge (`set-up failed`), a
driver that is missing or misbehaves outside the check's situation (`broke the driver
contract`), requests the app never settles (the app's hang), or an error of the harness
itself (`the check could not finish`). Nothing here decides by reading a message's text.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, NoReturn, TypeVar

import pytest

from harness.browser.driver import DriverError, RequestsHung, SetupError
from harness.browser.view import first_line
from harness.seam.journal import Request

T = TypeVar("T")

# H1 and H2 hold in every check, and have a check of their own: one wording for both uses.
H1_PROPERTY = "no uncaught error or unhandled promise rejection in the app"
H2_PROPERTY = "every request the app sent has an answer when the check ends"
# A request that never settles, where no check's property names it.
SETTLES_PROPERTY = "every request the app sends through its HTTP client settles, none hangs"

# What a failure is about in the journal, for the pictures of it to mark: an entry by its
# `seq`, or every attempt of a request (its method, path and query).
Named = int | Request


@dataclass
class CheckFailure(AssertionError):
    """A check's verdict: the property broken, what happened instead, and the evidence.

    `kind` is "app" (the app broke the property), "setup" (a step the check needs and does
    not judge failed: `prop` then says which step) or "backend" (the backend broke a
    property of the backend's part: a backend finding). `highlight` names the requests of
    the journal the failure is about (drawn marked in its timeline), never worded.
    """

    check: str
    prop: str
    instead: str
    evidence: tuple[str, ...] = ()
    kind: Literal["app", "setup", "backend"] = "app"
    highlight: tuple[Named, ...] = ()

    def __post_init__(self) -> None:
        super().__init__(self.first_line)

    @property
    def first_line(self) -> str:
        if self.kind == "setup":
            return f"{self.check}: set-up failed: {self.prop} — {self.instead}"
        if self.kind == "backend":
            return f"{self.check} (backend): {self.prop} — {self.instead}"
        return f"{self.check}: {self.prop} — {self.instead}"

    def __str__(self) -> str:
        lines = [self.first_line]
        lines += [f"  {line}" for item in self.evidence for line in str(item).splitlines()
                  if line]
        return "\n".join(lines)


class BackendFinding(Exception):
    """A backend finding that leaves the rest of a check without ground: the app's part is
    not judged (the run shows the check as skipped, with the finding)."""

    def __init__(self, finding: CheckFailure) -> None:
        super().__init__(finding.first_line)
        self.finding = finding


# The verdict of the check a test item runs, so the run can report its backend findings.
VERDICT = pytest.StashKey["Verdict"]()
FINDINGS_PROPERTY = "backend_findings"  # report.user_properties: the findings' texts


def fail(text: str) -> NoReturn:
    """Fails the test with `text` alone: no traceback, no chained exception."""
    raise pytest.fail.Exception(text, pytrace=False) from None


class Verdict:
    """The failures of one check; every one carries the check's ID.

    `backend_is_theirs`: the backend is a team's, behind the harness's edge. A miss in the
    backend's part is then a finding, kept apart from the app's verdict (`findings`).
    With the harness's own backend it fails the check: that backend is the reference.
    """

    def __init__(self, check: str, backend_is_theirs: bool = False) -> None:
        self.check = check
        self.backend_is_theirs = backend_is_theirs
        self.findings: list[CheckFailure] = []
        self.failure: CheckFailure | None = None  # the verdict it failed with, if it did

    def backend_part(self, ok: object, prop: str, instead: str | Callable[[], str],
                     *evidence: str, needed: bool = False) -> None:
        """The backend's part of the check (docs/checks.md): `ok` or a backend finding.
        `needed`: the rest of the check stands on it, so a team's backend that misses it
        stops the check there, with the app's part not judged."""
        if ok:
            return
        finding = CheckFailure(self.check, prop, instead() if callable(instead) else instead,
                               evidence, "backend")
        if not self.backend_is_theirs:
            raise finding
        if all(f.prop != prop for f in self.findings):  # once per property (S2's rounds)
            self.findings.append(finding)
        if needed:
            raise BackendFinding(finding)

    def fail(self, prop: str, instead: str, *evidence: str,
             highlight: Sequence[Named] = ()) -> NoReturn:
        """Fails the check; `highlight`: the journal's requests the failure is about."""
        self.failure = CheckFailure(self.check, prop, instead, evidence,
                                    highlight=tuple(highlight))
        raise self.failure

    def require(self, ok: object, prop: str, instead: str | Callable[[], str],
                *evidence: str, highlight: Sequence[Named] = ()) -> None:
        """Fails unless `ok`; `instead` may be a callable, built only on failure."""
        if not ok:
            self.fail(prop, instead() if callable(instead) else instead, *evidence,
                      highlight=highlight)

    def setup(self, what: str, step: Callable[[], T]) -> T:
        """A step the check needs but does not judge: its failure is a set-up failure."""
        try:
            return step()
        except CheckFailure as exc:  # a verdict inside the step: `what` is its property
            raise CheckFailure(self.check, what, exc.instead, exc.evidence, "setup") from None
        except Exception as exc:  # noqa: BLE001 - whatever broke the step, it is named
            raise CheckFailure(self.check, what, first_line(exc), (), "setup") from None

    def setup_failed(self, what: str, why: str, *evidence: str) -> NoReturn:
        raise CheckFailure(self.check, what, why, evidence, "setup")


def explain(check: str, exc: BaseException) -> str:
    """The first line for an exception that is not a `CheckFailure`, by its type."""
    if isinstance(exc, SetupError):
        return f"{check}: set-up failed: {exc}"
    if isinstance(exc, DriverError):
        return f"{check}: the app broke the driver contract (docs/contract.md) — {exc}"
    if isinstance(exc, RequestsHung):
        return f"{check}: {SETTLES_PROPERTY} — {exc}"
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    at = f" (at {where[0].filename.rsplit('/', 1)[-1]}:{where[0].lineno})" if where else ""
    return (f"{check}: the check could not finish — {type(exc).__name__}: "
            f"{first_line(exc)}{at}")
