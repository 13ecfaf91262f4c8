"""The example apps pass every conformance check, served by the harness through --spa-dir."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_fetch_example_passes_every_check_in_both_browsers(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        "--pyargs", "harness.conformance", "--spa-dir", str(REPO / "examples" / "fetch"),
        "--browser", "chromium", "--browser", "firefox", "-n", "2",
        "--tracing", "off", "--screenshot", "off", "-p", "no:cacheprovider", timeout=900)
    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    assert outcomes.get("passed", 0) >= 100 and not outcomes.get("failed"), outcomes
