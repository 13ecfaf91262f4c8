"""Root conftest: only what the repository's own test run needs.

The harness plugin itself is registered through the `pytest11` entry point.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Lines a test asked to show in every run (a `summary_line` user property), such as
    the counts security case 36 verified; reports carry them across xdist workers."""
    for report in terminalreporter.getreports("passed") + terminalreporter.getreports("failed"):
        for name, value in report.user_properties:
            if name == "summary_line" and report.when == "call":
                terminalreporter.write_line(str(value))
