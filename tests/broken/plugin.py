"""Loaded with `-p tests.broken.plugin`: `--broken-backend NAME` serves a broken backend."""

from __future__ import annotations

import pytest

from tests.broken.backend_variants import BACKENDS


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--broken-backend", choices=sorted(BACKENDS), default=None,
                     help="wrap the harness's backend in this deliberate mistake")


def pytest_configure(config: pytest.Config) -> None:
    name = config.getoption("broken_backend")
    if name:
        # Registered now, after the harness plugin, so this harness_backend_app takes precedence.
        from tests.broken import backend_fixture

        config.pluginmanager.register(backend_fixture, "broken-backend")
