"""Check groups: `--checks` and the markers select them, all run by default, and the summary
and the report give each group's results (docs/checks.md, "Check groups")."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harness.verdicts.groups import GROUPS, group_of, parse_groups

if TYPE_CHECKING:
    from tests.harness.conftest import BrowserServers

QUIET = ("--tracing", "off", "--screenshot", "off", "-p", "no:cacheprovider")


def _collected(pytester: pytest.Pytester, *args: str) -> set[str]:
    result = pytester.runpytest_subprocess("--pyargs", "harness.conformance", "--co", "-q",
                                           *args, *QUIET, timeout=120)
    return {m.group(1) for line in result.stdout.lines
            if (m := re.search(r"::test_([A-Z]\d)_", line))}


def test_the_markers_and_the_option_select_the_same_groups(pytester: pytest.Pytester) -> None:
    everything = _collected(pytester)
    assert len(everything) == 36
    for group in GROUPS:
        mine = {c for c in everything if group_of(c) == group}
        assert mine and _collected(pytester, "--checks", group) == mine, group
        assert _collected(pytester, "-m", group) == mine, group
    assert _collected(pytester, "--checks", "core,backend") == \
        _collected(pytester, "-m", "not recommended")


def test_an_unknown_group_stops_the_run_with_one_line(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--pyargs", "harness.conformance", "--checks",
                                           "core,optional", *QUIET, timeout=120)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "ERROR: --checks core,optional: optional is not a group (the groups: core, " \
           "recommended, backend)" in result.stderr.str()
    with pytest.raises(ValueError):
        parse_groups("")


def test_the_summary_and_the_report_give_each_groups_results(
        pytester: pytest.Pytester, tmp_path: Path, browser_servers: BrowserServers) -> None:
    report = tmp_path / "report.html"
    result = pytester.runpytest_subprocess(
        "--pyargs", "harness.conformance", "-k", "test_S1_ or test_X3_ or test_A1_",
        "--conformance-report", str(report), *browser_servers.args("chromium"), *QUIET,
        timeout=300)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    output = result.stdout.str()
    assert re.search(r"=+ checks by group =+", output), output[-2000:]
    assert "core: 2 passed (every SPA that keeps its tokens in memory must pass it)" in output
    assert "backend: 2 passed (it judges the backend alone: an app cannot fail it)" in output
    assert "recommended:" not in output
    page = report.read_text()
    assert "<tr><th>core</th><td class='passed'>2 passed</td>" in page, page[:3000]
    assert "<tr><th>backend</th><td class='passed'>2 passed</td>" in page
