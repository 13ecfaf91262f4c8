"""Loaded with `-p tests.broken.browser_servers`: the run's checks use browsers that are
already running, served by the test process that started the run (`harness.browser.server`),
through pytest-playwright's `connect_options`, instead of launching browsers of their own.

    --browser-server chromium=ws://127.0.0.1:PORT/harness   (once per --browser)
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--browser-server", action="append", default=[], metavar="ENGINE=ENDPOINT",
                     help="connect to the browser server at ENDPOINT for ENGINE's checks")


def pytest_configure(config: pytest.Config) -> None:
    # Registered now, after pytest-playwright, so this connect_options takes precedence.
    from tests.broken import browser_server_fixture

    config.pluginmanager.register(browser_server_fixture, "broken-browser-server")
