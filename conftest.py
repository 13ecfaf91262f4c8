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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "long: a test that runs a whole pytest session of its own; runs first")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long runs start first, so that under xdist the short tests fill in around them
    instead of one long run finishing alone at the end (with `--maxschedchunk 1`, as
    `make test` runs it, so that they go to every worker rather than all to the first)."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)
