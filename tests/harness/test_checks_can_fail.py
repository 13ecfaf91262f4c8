"""Every conformance check can fail: each one, run against an app or backend with one
well-known mistake, fails with its own message.

Each variant runs its checks in a separate pytest process (through `pytester`): a broken
copy of the reference SPA (`tests/broken/spa_variants.py`) or a broken backend
(`tests/broken/backend_variants.py`). To keep the suite quick each variant runs in one
browser, Chromium and Firefox taking turns down the table; `BROKEN_BROWSERS=both` runs
every variant in both. The runs connect to browsers this test process serves
(`browser_servers`, tests/harness/conftest.py) rather than each finding and launching its
own, which took a fifth of their CPU time.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pytest

from tests.broken import spa_variants

if TYPE_CHECKING:
    from tests.harness.conftest import BrowserServers


class Case(NamedTuple):
    """A check, the variant that breaks it, and a word of the property its failure names."""

    check: str
    select: str  # -k expression
    spa: str | None  # SPA variant (tests/broken/spa_variants.py)
    backend: str | None  # backend variant (tests/broken/backend_variants.py)
    says: str  # in the failure's first line, after `<ID>: `


CASES = [
    Case("S1", "test_S1_", None, "refresh-token-in-body", "never carries the refresh token"),
    Case("S2", "test_S2_", None, "readable-cookie", "HttpOnly"),
    Case("S2-rotated", "test_S2_", None, "loose-rotated-cookie", "HttpOnly"),
    Case("S3", "test_S3_", None, "readable-cookie", "document.cookie never shows"),
    Case("S4", "test_S4_", "token-in-localstorage", None, "no token value is kept in browser"),
    Case("S5", "test_S5_", "token-in-global", None, "not reachable from window"),
    Case("A1", "test_A1_", "wrong-auth-scheme", None, "Authorization: Bearer"),
    Case("A2", "test_A2_", "bearer-to-every-origin", None, "another origin never carry"),
    Case("A3", "test_A3_", "skip-marker-sent", None, "marker never reaches the server"),
    Case("R1", "test_R1_", "no-retry", None, "answered 401 and never retried"),
    Case("R2", "test_R2_", "refresh-per-401", None, "share exactly one refresh"),
    Case("R3", "test_R3_", "refresh-per-401", None, "exactly one refresh"),
    Case("R1-lost-401", "test_R1_", "drops-401-during-refresh", None,
         "answered 401 and never retried"),
    Case("R2-lost-401", "test_R2_", "drops-401-during-refresh", None,
         "answered 401 and never retried"),
    Case("R3-lost-401", "test_R3_", "drops-401-during-refresh", None,
         "answered 401 and never retried"),
    Case("R4", "test_R4_", "refresh-again-for-stale-401", None, "no second refresh"),
    Case("R5", "test_R5_", "drops-body-on-retry", None, "retried once and creates its record"),
    Case("R6", "test_R6_", "retry-forever", None, "with no loop"),
    Case("R7", "test_R7_", "refresh-on-403", None, "causes no refresh and no logout"),
    Case("F1", "test_F1_", "keeps-session-on-refused-refresh", None, "ends the session"),
    Case("F2", "test_F2_", "logout-on-failed-refresh", None, "keeps the session"),
    Case("F2-timeout", "test_F2_ and timeout", "no-refresh-timeout", None,
         "fail within 30 s of page time"),
    Case("F3", "test_F3_", "impatient-refresh", None, "is waited for"),
    Case("H1", "test_H1_", "unhandled-rejection", None, "unhandled promise rejection"),
    Case("H2", "test_H2_", "logout-not-awaited", "hanging-logout", "has an answer"),
    Case("L1", "test_L1_", "no-silent-refresh", None, "keeps the user logged in"),
    Case("L2", "test_L2_", "no-silent-refresh", None, "logged in without a login"),
    Case("L3", "test_L3_", "no-proactive-refresh", None, "renews the access token before"),
    Case("L4", "test_L4_", "logout-without-server", None, "logout tells the server"),
    Case("L5", "test_L5_", "no-return-after-login", None, "returns to the guarded route"),
    Case("L6", "test_L6_", "no-current-user-call", None, "asks /api/current-user"),
    Case("L7", "test_L7_", None, "no-session-limit", "evicts"),
    Case("L8", "test_L8_", None, "endless-family", "after the absolute lifetime"),
    Case("T1", "test_T1_", None, "refresh-keeps-cookie", "rotates the refresh cookie"),
    Case("T2", "test_T2_", None, "reuse-tolerated", "replayed, rotated refresh value"),
    Case("T3", "test_T3_", "no-cross-tab-lock", None, "share exactly one refresh"),
    Case("T4", "test_T4_", "no-logout-broadcast", None, "logs out the other tabs"),
    Case("T4-slow", "test_T4_", "slow-logout-broadcast", None, "within 1 s"),
    Case("T5", "test_T5_ and stuck", "lock-without-timeout", None,
         "the session survives a tab whose refresh never answers"),
    Case("X1", "test_X1_", None, "no-csrf-defence", "changes nothing"),
    Case("X2", "test_X2_", None, "no-csrf-defence", "refused with 403"),
    Case("X3", "test_X3_", None, "cors-reflects-any-origin", "CORS admits the app's origin"),
]


BROWSERS = ("chromium", "firefox")

# Checks that share a variant run in one pytest process. All but X3 (cross-origin only) run
# in the same-origin topology: a check that can fail there can fail, and the cross-origin
# runs of the (x) checks are the same assertions with the API on another origin.
GROUPS: dict[tuple[str | None, str | None], list[Case]] = {}
for _case in CASES:
    GROUPS.setdefault((_case.spa, _case.backend), []).append(_case)


def _browsers_for(index: int) -> tuple[str, ...]:
    if os.environ.get("BROKEN_BROWSERS") == "both":
        return BROWSERS
    return (BROWSERS[index % 2],)


def _check_id(case: Case) -> str:
    return case.check.split("-")[0]


@pytest.mark.parametrize(("cases", "browsers"),
                         [(cases, _browsers_for(i)) for i, cases in enumerate(GROUPS.values())],
                         ids=["+".join(c.check for c in cases) for cases in GROUPS.values()])
def test_checks_fail_against_their_broken_variant(
        pytester: pytest.Pytester, browser_servers: BrowserServers, tmp_path: Path,
        cases: list[Case], browsers: tuple[str, ...]) -> None:
    spa_variant, backend_variant = cases[0].spa, cases[0].backend
    select = " or ".join(f"({c.select})" for c in cases)
    topology = "both" if any(c.check == "X3" for c in cases) else "same-origin"
    args = ["--pyargs", "harness.conformance", "-k", select, "-p", "tests.broken.plugin",
            *browser_servers.args(*browsers), "--topology", topology,
            "--tracing", "off", "--screenshot", "off", "-p", "no:cacheprovider"]
    if spa_variant:
        args += ["--spa-dir", str(spa_variants.build(spa_variant, tmp_path))]
    if backend_variant:
        args += ["--broken-backend", backend_variant]
    result = pytester.runpytest_subprocess(*args, timeout=300)
    outcomes = result.parseoutcomes()
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output[-3000:]
    failed = [line for line in result.stdout.lines if line.startswith(("FAILED ", "ERROR "))]
    for case in cases:
        check = _check_id(case)
        test = f"test_{check}_"
        # It fails in each browser. (Not necessarily in every parametrization: two requests
        # far enough apart need no shared refresh, so R2 with N = 2 may pass a variant
        # without one.)
        # A check that needs no browser (L7: the backend's part only) runs once.
        ran_in = [b for b in browsers if any(test in line and b in line for line in failed)]
        assert ran_in == list(browsers) or (
            not ran_in and any(test in line for line in failed)), (
            f"{case.check} did not fail in {' and '.join(browsers)} against its broken "
            f"variant: {outcomes}")
        # The failure's first line: `<ID>: <the property broken> — <what happened instead>`;
        # against a broken backend, `<ID> (backend): …` when the backend's part names it.
        starts = (f"{check}: ", f"{check} (backend): ") if case.backend else (f"{check}: ",)
        named = [line for line in result.stdout.lines
                 if line.startswith(starts) and " — " in line and case.says in line]
        assert named, f"{case.check} failed, but no line reads '{check}: …{case.says}… — …':" \
                      f"\n{output[-3000:]}"
    # No failure of any check starts with anything but a check ID: no bare assert, no bare
    # Playwright message, no "set-up failed" that hides a verdict.
    firsts = _first_lines(result.stdout.lines)
    assert all(re.match(r"[A-Z]\d( \(backend\))?: (?!set-up failed)", line)
               for line in firsts), firsts
    # And it speaks in the app's terms: no Python value, no name of the harness's insides
    # (the evidence lines under it may be technical).
    insides = [line for line in firsts if INSIDES.search(line)]
    assert not insides, insides


# What a failure's first line must not show: Python reprs (a list of tuples, a dict, a quoted
# list item, None, True, False) and the harness's own words for the backend's records.
INSIDES = re.compile(r"\[\(|\{'|\['|\bNone\b|\bTrue\b|\bFalse\b|famil(y|ies)|"
                     r"generation|\bjti\b|\bseq\b|Traceback|Error\(")


def test_the_insides_pattern_catches_what_it_names() -> None:
    for bad in ("L4 (backend): logout revokes — families after logout: [('live', None)]",
                "S2 (backend): attributes — {'httpOnly': True}",
                "A1: Bearer — the Authorization header went out as ['Basic x']"):
        assert INSIDES.search(bad), bad
    assert not INSIDES.search("R2: every request that got a 401 is retried once with the new "
                              "token — 1 of 10 requests was answered 401 and never retried")


def _first_lines(lines: list[str]) -> list[str]:
    """The first line of each failure section (after pytest's `[gwN] linux -- Python` line)."""
    firsts, header = [], False
    for line in lines:
        if re.match(r"_{3,} .* _{3,}$", line):
            header = True
        elif header and line.strip() and not line.startswith("[gw"):
            firsts.append(line)
            header = False
    return firsts


def test_every_check_has_a_broken_variant() -> None:
    groups = (("S", 5), ("A", 3), ("R", 7), ("F", 3), ("H", 2), ("L", 8), ("T", 5), ("X", 3))
    core = {f"{group}{n}" for group, last in groups for n in range(1, last + 1)}
    assert {_check_id(c) for c in CASES} == core


@pytest.mark.parametrize("name", sorted(spa_variants.VARIANTS | spa_variants.CORRECT_VARIANTS))
def test_spa_variant_still_applies_to_the_reference_spa(name: str, tmp_path: Path) -> None:
    # Each substitution matches exactly once, or the variant would silently be the
    # reference SPA.
    built = spa_variants.build(name, tmp_path)
    assert (built / "index.html").is_file()
