"""Fixtures for the app side of a check: where the SPA is, its driver, what the browser saw."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from harness import artifacts
from harness.backend_client import BackendClient
from harness.driver import SpaDriver
from harness.live_server import LiveServer
from harness.outsider import Outsider
from harness.page_watch import PageWatch
from harness.time_control import TimeControl
from harness.topology import CROSS_ORIGIN, EXTERNAL, SAME_ORIGIN
from mock_backend import Settings


@pytest.fixture
def topology() -> str:
    """Parametrized per test (see `--topology`); same origin where a test is not."""
    return SAME_ORIGIN


@pytest.fixture
def spa_url(topology: str, live_backend: LiveServer, spa_server: LiveServer,
            pytestconfig: pytest.Config) -> str:
    """Where the SPA under test is served in this test's topology."""
    if topology == EXTERNAL:
        return str(pytestconfig.getoption("spa_url")).rstrip("/")
    return spa_server.url if topology == CROSS_ORIGIN else live_backend.url


@pytest.fixture(scope="session")
def api_base_url(live_backend: LiveServer) -> str:
    """The API base the SPA is pointed at through `window.authHarnessConfig`."""
    return live_backend.url


@pytest.fixture
def harness_config(api_base_url: str) -> dict[str, Any]:
    """`window.authHarnessConfig`, injected before any app script runs."""
    return {"apiBaseUrl": api_base_url}


@pytest.fixture(scope="session")
def spa_routes() -> list[str]:
    """The app's routes, each visited by the checks that say "on every route" (S3)."""
    return ["/", "/profile", "/admin", "/login"]


@pytest.fixture
def outsider(api_base_url: str, spa_url: str, backend_settings: Settings,
             tls_verify: ssl.SSLContext | bool) -> Iterator[Outsider]:
    """An HTTP client outside the browser that replays refresh cookies (a thief, T2)."""
    client = Outsider(api_base_url, backend_settings.cookie_name, spa_url, verify=tls_verify)
    yield client
    client.close()


@pytest.fixture
def page_watch(context: BrowserContext, spa_url: str) -> PageWatch:
    """Page errors, requests in flight, console and URLs of every tab of the context."""
    return PageWatch(context, app_origin=spa_url)


@pytest.fixture
def spa(backend: BackendClient, context: BrowserContext, page_watch: PageWatch, page: Page,
        spa_url: str, harness_config: dict[str, Any], request: pytest.FixtureRequest,
        output_path: str) -> Iterator[SpaDriver]:
    """The SPA under test, driven through `window.authHarness`; not opened yet.

    Every check also holds to H1 (no page errors) and H2 (no request left in flight):
    they are verified when the check ends.
    """
    context.add_init_script(f"window.authHarnessConfig = {json.dumps(harness_config)};")
    yield SpaDriver(page, spa_url)
    if artifacts.failed(request.node):
        if request.config.stash.get(artifacts.OWN_SCREENSHOTS, False):
            artifacts.screenshot_pages(output_path, context)
        return
    marker = request.node.get_closest_marker("conformance")
    check = str(marker.args[0]) if marker else request.node.name
    problems = artifacts.hygiene_problems(page_watch, page, check)
    if problems:
        artifacts.write_timeline(output_path, backend)
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def time_control(backend: BackendClient) -> TimeControl:
    """Moves the backend clock and the installed page clocks together."""
    return TimeControl(backend)
