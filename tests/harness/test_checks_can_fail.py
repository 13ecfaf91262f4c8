"""Every conformance check can fail: each one, run against an app or backend with one
well-known mistake, fails with its own message.

Each variant runs its checks in a separate pytest process (through `pytester`): a broken
copy of the reference SPA (`tests/broken/spa_variants.py`) or a broken backend
(`tests/broken/backend_variants.py`). To keep the suite quick each variant runs in one
browser, Chromium and Firefox taking turns down the table; `BROKEN_BROWSERS=both` runs
every variant in both.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.broken import spa_variants

REPO = Path(__file__).resolve().parents[2]

# check, -k selection, SPA variant, backend variant, what the failure must say
CASES = [
    ("S1", "test_S1_", None, "refresh-token-in-body", "S1: login JSON carries the refresh token"),
    ("S2", "test_S2_", None, "readable-cookie", "S2: refresh cookie attributes"),
    ("S3", "test_S3_", None, "readable-cookie",
     "S3: document.cookie shows the refresh token"),
    ("S4", "test_S4_", "token-in-localstorage", None, "S4: token value in storage"),
    ("S5", "test_S5_", "token-in-global", None, "S5: access token reachable from window"),
    ("A1", "test_A1_", "wrong-auth-scheme", None, "A1: an authenticated request"),
    ("A2", "test_A2_", "bearer-to-every-origin", None, "A2: Authorization sent to another origin"),
    ("A3", "test_A3_", "skip-marker-sent", None, "A3: the skip-auth marker reached the server"),
    ("R1", "test_R1_", "no-retry", None, "R1: "),
    ("R2", "test_R2_", "refresh-per-401", None, "R2: expected exactly one refresh"),
    ("R3", "test_R3_", "refresh-per-401", None, "R3: expected exactly one refresh"),
    ("R4", "test_R4_", "refresh-again-for-stale-401", None, "R4 (after the late 401)"),
    ("R5", "test_R5_", "drops-body-on-retry", None, "R5: create answered"),
    ("R6", "test_R6_", "retry-forever", None, "R6: "),
    ("R7", "test_R7_", "refresh-on-403", None, "R7: a 403 started a refresh"),
    ("F1", "test_F1_", "keeps-session-on-refused-refresh", None,
     "F1: the access token is still in memory"),
    ("F2", "test_F2_", "logout-on-failed-refresh", None, "refresh ended the session"),
    ("F2-timeout", "test_F2_ and timeout", "no-refresh-timeout", None, "did not settle"),
    ("F3", "test_F3_", "impatient-refresh", None, "F3: answers after a slow refresh"),
    ("H1", "test_H1_", "unhandled-rejection", None, "H1: "),
    ("H2", "test_H2_", "logout-not-awaited", "hanging-logout", "H2: requests still in flight"),
    ("L1", "test_L1_", "no-silent-refresh", None, "L1: not logged in after a reload"),
    ("L2", "test_L2_", "no-silent-refresh", None, "L2: the new tab is not logged in"),
    ("L3", "test_L3_", "no-proactive-refresh", None, "L3: expected a refresh"),
    ("L4", "test_L4_", "logout-without-server", None, "L4: the app did not call the server"),
    ("L5", "test_L5_", "no-return-after-login", None, "L5: after login the app is not back"),
    ("L6", "test_L6_", "no-current-user-call", None, "L6: the page does not show the user"),
    ("L7", "test_L7_", None, "no-session-limit", "L7: families"),
    ("L8", "test_L8_", None, "endless-family", "L8: after the absolute lifetime"),
    ("T1", "test_T1_", None, "refresh-keeps-cookie", "T1: the request that needed refresh 2"),
    ("T2", "test_T2_", None, "reuse-tolerated", "T2: replay answered"),
    ("T3", "test_T3_", "no-cross-tab-lock", None, "T3: refreshes across both tabs"),
    ("T4", "test_T4_", "no-logout-broadcast", None, "T4: a tab still shows the app"),
    ("X1", "test_X1_", None, "no-csrf-defence", "X1: families changed"),
    ("X2", "test_X2_", None, "no-csrf-defence", "X2: /api/"),
    ("X3", "test_X3_", None, "cors-reflects-any-origin", "X3: a foreign origin got"),
]


BROWSERS = ("chromium", "firefox")

# Checks that share a variant run in one pytest process. All but X3 (cross-origin only) run
# in the same-origin topology: a check that can fail there can fail, and the cross-origin
# runs of the (x) checks are the same assertions with the API on another origin.
Case = tuple[str, str, str | None, str | None, str]
GROUPS: dict[tuple[str | None, str | None], list[Case]] = {}
for _case in CASES:
    GROUPS.setdefault((_case[2], _case[3]), []).append(_case)


def _browsers_for(index: int) -> tuple[str, ...]:
    if os.environ.get("BROKEN_BROWSERS") == "both":
        return BROWSERS
    return (BROWSERS[index % 2],)


@pytest.mark.parametrize(("cases", "browsers"),
                         [(cases, _browsers_for(i)) for i, cases in enumerate(GROUPS.values())],
                         ids=["+".join(c[0] for c in cases) for cases in GROUPS.values()])
def test_checks_fail_against_their_broken_variant(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        cases: list[Case], browsers: tuple[str, ...]) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    _, _, spa_variant, backend_variant, _ = cases[0]
    select = " or ".join(f"({c[1]})" for c in cases)
    topology = "both" if any(c[0] == "X3" for c in cases) else "same-origin"
    args = ["--pyargs", "harness.conformance", "-k", select, "-p", "tests.broken.plugin",
            *[arg for browser in browsers for arg in ("--browser", browser)],
            "--topology", topology,
            "--tracing", "off", "--screenshot", "off", "-p", "no:cacheprovider"]
    if spa_variant:
        args += ["--spa-dir", str(spa_variants.build(spa_variant, tmp_path))]
    if backend_variant:
        args += ["--broken-backend", backend_variant]
    result = pytester.runpytest_subprocess(*args, timeout=300)
    outcomes = result.parseoutcomes()
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output[-3000:]
    failed = [line for line in result.stdout.lines if line.startswith("FAILED ")]
    for check, _, _, _, says in cases:
        test = f"test_{check.split('-')[0]}_"
        # It fails in each browser. (Not necessarily in every parametrization: two requests
        # far enough apart need no shared refresh, so R2 with N = 2 may pass a variant
        # without one.)
        assert all(any(test in line and browser in line for line in failed)
                   for browser in browsers), (
            f"{check} did not fail in {' and '.join(browsers)} against its broken variant: "
            f"{outcomes}")
        assert says in output, f"{check} failed, but not with {says!r}:\n{output[-3000:]}"


def test_every_check_has_a_broken_variant() -> None:
    groups = (("S", 5), ("A", 3), ("R", 7), ("F", 3), ("H", 2), ("L", 8), ("T", 4), ("X", 3))
    core = {f"{group}{n}" for group, last in groups for n in range(1, last + 1)}
    assert {c[0].split("-")[0] for c in CASES} == core


@pytest.mark.parametrize("name", sorted(spa_variants.VARIANTS))
def test_spa_variant_still_applies_to_the_reference_spa(name: str, tmp_path: Path) -> None:
    # Each substitution matches exactly once, or the variant would silently be the
    # reference SPA.
    built = spa_variants.build(name, tmp_path)
    assert (built / "index.html").is_file()
