"""The README's "Writing a check of your own" example runs as written, passes against the
reference SPA, and fails with its own first line against an app that never retries."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.broken import spa_variants

REPO = Path(__file__).resolve().parents[2]
ARGS = ("--browser", "chromium", "--tracing", "off", "--screenshot", "off",
        "-p", "no:cacheprovider", "--topology", "same-origin")


def _readme_example() -> str:
    section = (REPO / "docs" / "harness.md").read_text().split(
        "### Writing a check of your own", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code, "docs/harness.md: no python example under 'Writing a check of your own'"
    return code.group(1)


def test_the_readme_check_passes_against_the_reference_spa(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_own=_readme_example())
    result = pytester.runpytest_subprocess(*ARGS, timeout=120)
    result.assert_outcomes(passed=1)


def test_the_readme_check_fails_with_its_own_line(pytester: pytest.Pytester,
                                                  tmp_path: Path) -> None:
    pytester.makepyfile(test_own=_readme_example())
    app = spa_variants.build("no-retry", tmp_path)
    result = pytester.runpytest_subprocess(*ARGS, "--spa-dir", str(app), timeout=120)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["MY1: the request is retried once and succeeds — the backend "
                                 "saw it 1 time(s), the app got 401*"])
