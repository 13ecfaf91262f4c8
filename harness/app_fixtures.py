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
from harness.facts import BackendFacts
from harness.live_server import LiveServer
from harness.outsider import Outsider
from harness.page_watch import PageWatch
from harness.server_fixtures import RunningBackend
from harness.time_control import TimeControl
from harness.topology import CROSS_ORIGIN, EXTERNAL, SAME_ORIGIN


@pytest.fixture
def _harness_topology() -> str:
    """Parametrized per test (see `--topology`); same origin where a test is not."""
    return SAME_ORIGIN


@pytest.fixture
def _harness_spa_url(_harness_topology: str, _harness_live_backend: LiveServer | RunningBackend,
                     request: pytest.FixtureRequest) -> str:
    """Where the SPA under test is served in this test's topology."""
    if _harness_topology == EXTERNAL:
        return str(request.config.getoption("spa_url")).rstrip("/")
    if _harness_topology == CROSS_ORIGIN:
        server: LiveServer = request.getfixturevalue("_harness_spa_server")
        return server.url
    return _harness_live_backend.url


@pytest.fixture(scope="session")
def _harness_api_base_url(_harness_live_backend: LiveServer | RunningBackend) -> str:
    """The API base the SPA is pointed at through `window.authHarnessConfig`."""
    return _harness_live_backend.url


@pytest.fixture
def harness_config(_harness_api_base_url: str) -> dict[str, Any]:
    """`window.authHarnessConfig`, injected before any app script runs; override to add
    what your app reads from it."""
    return {"apiBaseUrl": _harness_api_base_url}


@pytest.fixture(scope="session")
def harness_spa_routes() -> list[str]:
    """The app's routes, each visited by the checks that say "on every route" (S3)."""
    return ["/", "/profile", "/admin", "/login"]


@pytest.fixture
def _harness_outsider(_harness_api_base_url: str, _harness_spa_url: str,
                      harness_facts: BackendFacts,
                      _harness_tls_verify: ssl.SSLContext | bool) -> Iterator[Outsider]:
    """An HTTP client outside the browser that replays refresh cookies (a thief, T2)."""
    client = Outsider(_harness_api_base_url, harness_facts, _harness_spa_url,
                      verify=_harness_tls_verify)
    yield client
    client.close()


@pytest.fixture
def _harness_page_watch(context: BrowserContext, _harness_spa_url: str) -> PageWatch:
    """Page errors, requests in flight, console and URLs of every tab of the context."""
    return PageWatch(context, app_origin=_harness_spa_url)


@pytest.fixture
def _harness_config_script(context: BrowserContext, harness_config: dict[str, Any]) -> None:
    """`harness_config` as an init script of the context. Set up before pytest-playwright's
    `page` where nothing asked for that page first, so that it is a setting of the
    context and not also a script Playwright must install into a live page."""
    context.add_init_script(f"window.authHarnessConfig = {json.dumps(harness_config)};")


@pytest.fixture
def harness_spa(harness_backend: BackendClient, harness_facts: BackendFacts,
                context: BrowserContext, _harness_page_watch: PageWatch,
                _harness_config_script: None, page: Page, _harness_spa_url: str,
                request: pytest.FixtureRequest, output_path: str) -> Iterator[SpaDriver]:
    """The SPA under test, driven through `window.authHarness`; not opened yet.

    Every check also holds to H1 (no page errors) and H2 (no request left in flight):
    they are verified when the check ends.
    """
    yield SpaDriver(page, _harness_spa_url, harness_facts)
    if artifacts.failed(request.node):
        if request.config.stash.get(artifacts.OWN_SCREENSHOTS, False):
            artifacts.screenshot_pages(output_path, context)
        return
    marker = request.node.get_closest_marker("conformance")
    check = str(marker.args[0]) if marker else request.node.name
    problems = artifacts.hygiene_problems(_harness_page_watch, page, check)
    if problems:
        artifacts.write_timeline(output_path, harness_backend)
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def harness_clock(harness_backend: BackendClient) -> TimeControl:
    """Moves the backend clock and the installed page clocks together."""
    return TimeControl(harness_backend)
