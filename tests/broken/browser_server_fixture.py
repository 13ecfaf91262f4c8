"""pytest-playwright's `connect_options`: the `--browser-server` of the engine being run."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def connect_options(browser_name: str, pytestconfig: pytest.Config) -> dict[str, str]:
    servers = {engine: endpoint for engine, _, endpoint in
               (item.partition("=") for item in pytestconfig.getoption("browser_server"))}
    if browser_name not in servers:
        pytest.exit(f"--browser {browser_name} has no --browser-server", returncode=4)
    return {"endpoint": servers[browser_name]}
