"""The pytest plugin: live backend, its test-control client, the SPA driver as fixtures.

Registered through the `pytest11` entry point. Options live in one group; fixtures that
read them are small, so a conftest can override any of them.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Protocol

import pytest
from playwright.sync_api import BrowserContext, Page
from starlette.types import ASGIApp

from harness import artifacts
from harness.backend_client import BackendClient
from harness.driver import SpaDriver
from harness.live_server import LiveServer
from harness.outsider import Outsider
from harness.page_watch import PageWatch
from harness.test_ca import TlsFiles, make_test_ca
from harness.third_party import ThirdParty
from harness.time_control import TimeControl
from harness.topology import CROSS_ORIGIN, SAME_ORIGIN, TOPOLOGIES, serve_spa, topologies_for
from mock_backend import Settings, create_app
from mock_backend.config import ConfigError, default_spa_dir

# A fixed test key: tests must not depend on the environment, and a random key would log
# a warning at every start.
TEST_SECRET = b"harness-test-secret-of-at-least-32-bytes!"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("jwt-refresh-harness", "JWT refresh-flow harness")
    group.addoption("--backend-alg", choices=("HS256", "RS256", "EdDSA"), default="HS256",
                    help="signing algorithm of the harness's backend (default HS256)")
    group.addoption("--backend-store", default="memory", metavar="memory|sqlite:PATH",
                    help="refresh-family store of the harness's backend (default memory)")
    group.addoption("--spa-dir", metavar="PATH", default=None,
                    help="serve this built SPA folder (history fallback) instead of the "
                         "bundled reference SPA")
    group.addoption("--https", action="store_true", default=False,
                    help="serve the backend, the SPA and the other origins over https with a "
                         "throwaway test CA (Secure and __Host- cookies in every browser)")
    group.addoption("--cookie-name", default=None, metavar="NAME",
                    help="name of the refresh cookie (default refresh_token; a __Host- name "
                         "needs --https and --cookie-path /)")
    group.addoption("--cookie-path", default=None, metavar="PATH",
                    help="path of the refresh cookie (default /api)")
    group.addoption("--topology", choices=("both", *TOPOLOGIES), default="both",
                    help="run the checks marked (x) in the same-origin topology, the "
                         "cross-origin one (SPA on its own port, API by CORS), or both "
                         "(default); other checks always run same-origin")


# Failure artifacts are on unless asked otherwise: a failed check keeps its trace and
# screenshot (pytest-playwright's options, same names) next to the journal timeline.
_ARTIFACT_DEFAULTS = {"tracing": ("--tracing", "retain-on-failure"),
                      "screenshot": ("--screenshot", "only-on-failure")}


def pytest_configure(config: pytest.Config) -> None:
    from harness import browser_fixtures

    # Registered now, after every entry-point plugin, so these fixtures take precedence
    # over pytest-playwright's of the same name.
    if not config.pluginmanager.has_plugin("jwt_refresh_harness.browsers"):
        config.pluginmanager.register(browser_fixtures, "jwt_refresh_harness.browsers")
    given = " ".join(str(a) for a in config.invocation_params.args)
    for dest, (flag, value) in _ARTIFACT_DEFAULTS.items():
        if getattr(config.option, dest, None) == "off" and flag not in given:
            setattr(config.option, dest, value)
    config.addinivalue_line("markers", "conformance(check_id, cross_origin=False): the "
                                       "CONFORMANCE.md check a test implements; cross_origin "
                                       "runs it in the cross-origin topology too")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "topology" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("conformance")
        chosen = topologies_for(marker, metafunc.config.getoption("topology"))
        metafunc.parametrize("topology", chosen, ids=chosen, scope="function")


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    # Under pytest-xdist a worker that cannot launch a browser crashes the whole run, so
    # the controller checks first. A single process finds out at the first launch (which
    # also covers remote browsers through `connect_options`).
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        from harness.browsers import NoBrowserError, resolve

        for engine in config.getoption("browser", None) or ["chromium"]:
            try:
                resolve(engine)
            except NoBrowserError as exc:
                raise pytest.UsageError(str(exc)) from None


def _spa_dir(config: pytest.Config) -> Path:
    given = config.getoption("spa_dir")
    if given is None:
        return default_spa_dir()
    path = Path(given).expanduser().resolve()
    if not (path / "index.html").is_file():
        raise pytest.UsageError(f"--spa-dir {given}: no index.html in {path}")
    return path


@pytest.fixture(scope="session")
def spa_dir(pytestconfig: pytest.Config) -> Path:
    """The SPA folder under test (`--spa-dir`, else the bundled reference SPA)."""
    return _spa_dir(pytestconfig)


@pytest.fixture(scope="session")
def tls(pytestconfig: pytest.Config,
        tmp_path_factory: pytest.TempPathFactory) -> TlsFiles | None:
    """The test CA's files under `--https`, else None (plain http on localhost)."""
    if not pytestconfig.getoption("https"):
        return None
    return make_test_ca(tmp_path_factory.mktemp("test-ca"))


@pytest.fixture(scope="session")
def tls_verify(tls: TlsFiles | None) -> ssl.SSLContext | bool:
    """What the harness's HTTP clients verify server certificates against."""
    return tls.client_context() if tls else True


@pytest.fixture(scope="session")
def spa_server(spa_dir: Path, tls: TlsFiles | None) -> Iterator[LiveServer]:
    """The SPA on its own origin, for the cross-origin topology."""
    yield from serve_spa(spa_dir, tls)


@pytest.fixture(scope="session")
def backend_settings(pytestconfig: pytest.Config, spa_dir: Path,
                     spa_server: LiveServer) -> Settings:
    """Settings of the harness's backend; override in a conftest to change them."""
    cookie = {k: v for k, v in (("cookie_name", pytestconfig.getoption("cookie_name")),
                                ("cookie_path", pytestconfig.getoption("cookie_path"))) if v}
    try:
        return Settings(test_control=True, secret=TEST_SECRET, spa_dir=spa_dir,
                        allow_origins=[spa_server.url],
                        alg=pytestconfig.getoption("backend_alg"),
                        store=pytestconfig.getoption("backend_store"), **cookie)
    except ConfigError as exc:
        raise pytest.UsageError(f"harness backend: {exc}") from None


@pytest.fixture(scope="session")
def backend_app(backend_settings: Settings) -> ASGIApp:
    """The ASGI app the harness serves as its backend."""
    return create_app(backend_settings)


@pytest.fixture(scope="session")
def live_backend(backend_app: ASGIApp, tls: TlsFiles | None) -> Iterator[LiveServer]:
    """One backend per session (and per xdist worker), served on a free loopback port."""
    with LiveServer(backend_app, tls=tls) as server:
        yield server


@pytest.fixture
def backend(live_backend: LiveServer, request: pytest.FixtureRequest, output_path: str,
            tls_verify: ssl.SSLContext | bool) -> Iterator[BackendClient]:
    """Client of the backend's test-control API; the backend is reset before each test."""
    client = BackendClient(live_backend.url, verify=tls_verify)
    client.reset()
    yield client
    if artifacts.failed(request.node):
        artifacts.write_timeline(output_path, client)
    client.close()


@pytest.fixture
def topology() -> str:
    """Parametrized per test (see `--topology`); same origin where a test is not."""
    return SAME_ORIGIN


@pytest.fixture
def spa_url(topology: str, live_backend: LiveServer, spa_server: LiveServer) -> str:
    """Where the SPA under test is served in this test's topology."""
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
        return
    problems = artifacts.hygiene_problems(page_watch, page)
    if problems:
        artifacts.write_timeline(output_path, backend)
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def time_control(backend: BackendClient) -> TimeControl:
    """Moves the backend clock and the installed page clocks together."""
    return TimeControl(backend)


@pytest.fixture(scope="session")
def _third_party_server(tls: TlsFiles | None) -> Iterator[ThirdParty]:
    party = ThirdParty()
    with LiveServer(party.app, tls=tls) as server:
        party.url = server.url
        yield party


@pytest.fixture
def third_party(_third_party_server: ThirdParty) -> ThirdParty:
    """A server on another origin of the same site (A2) that records what reaches it."""
    _third_party_server.clear()
    return _third_party_server


@pytest.fixture(scope="session")
def _other_site_server(tls: TlsFiles | None) -> Iterator[ThirdParty]:
    party = ThirdParty()
    with LiveServer(party.app, url_host="127.0.0.1", tls=tls) as server:
        party.url = server.url
        yield party


@pytest.fixture
def other_site(_other_site_server: ThirdParty) -> ThirdParty:
    """A server on another site (`127.0.0.1` while the app is on `localhost`): X1's attacker."""
    _other_site_server.clear()
    return _other_site_server


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


