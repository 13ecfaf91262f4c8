"""The pytest plugin: live backend and its test-control client as fixtures.

Registered through the `pytest11` entry point. Options live in one group; fixtures that
read them are small, so a conftest can override any of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Protocol

import pytest

from harness.backend_client import BackendClient
from harness.live_server import LiveServer
from mock_backend import Settings, create_app
from mock_backend.config import default_spa_dir

# A fixed test key: tests must not depend on the environment, and a random key would log
# a warning at every start.
TEST_SECRET = b"harness-test-secret-of-at-least-32-bytes!"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("jwt-refresh-harness", "JWT refresh-flow harness")
    group.addoption("--backend-alg", choices=("HS256", "RS256", "EdDSA"), default="HS256",
                    help="signing algorithm of the harness's backend (default HS256)")
    group.addoption("--backend-store", default="memory", metavar="memory|sqlite:PATH",
                    help="refresh-family store of the harness's backend (default memory)")


def pytest_configure(config: pytest.Config) -> None:
    from harness import browser_fixtures

    # Registered now, after every entry-point plugin, so these fixtures take precedence
    # over pytest-playwright's of the same name.
    if not config.pluginmanager.has_plugin("jwt_refresh_harness.browsers"):
        config.pluginmanager.register(browser_fixtures, "jwt_refresh_harness.browsers")


@pytest.fixture(scope="session")
def backend_settings(pytestconfig: pytest.Config) -> Settings:
    """Settings of the harness's backend; override in a conftest to change them."""
    return Settings(test_control=True, secret=TEST_SECRET, spa_dir=default_spa_dir(),
                    alg=pytestconfig.getoption("backend_alg"),
                    store=pytestconfig.getoption("backend_store"))


@pytest.fixture(scope="session")
def live_backend(backend_settings: Settings) -> Iterator[LiveServer]:
    """One backend per session (and per xdist worker), served on a free loopback port."""
    with LiveServer(create_app(backend_settings)) as server:
        yield server


@pytest.fixture
def backend(live_backend: LiveServer) -> Iterator[BackendClient]:
    """Client of the backend's test-control API; the backend is reset before each test."""
    client = BackendClient(live_backend.url)
    client.reset()
    yield client
    client.close()


class ServeBackend(Protocol):
    def __call__(self, settings: Settings | None = None, **changes: object) -> LiveServer: ...


@pytest.fixture
def serve_backend() -> Iterator[ServeBackend]:
    """Start an extra backend with its own settings; stopped when the test ends."""
    with ExitStack() as stack:

        def serve(settings: Settings | None = None, **changes: object) -> LiveServer:
            if settings is None:
                base: dict[str, object] = {"test_control": True, "secret": TEST_SECRET}
                settings = Settings(**{**base, **changes})  # type: ignore[arg-type]
            return stack.enter_context(LiveServer(create_app(settings)))

        yield serve


