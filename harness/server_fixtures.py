"""Fixtures for the servers of a check: the backend, the SPA's own origin, other origins.

Each is small, so a conftest can override any of them (pytest-playwright's habit).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import pytest
from starlette.types import ASGIApp

from harness import artifacts
from harness.backend_client import BackendClient
from harness.live_server import LiveServer
from harness.test_ca import TlsFiles, make_test_ca
from harness.third_party import ThirdParty
from harness.topology import serve_spa
from mock_backend import Settings, create_app
from mock_backend.config import ConfigError, default_spa_dir

# A fixed test key: tests must not depend on the environment, and a random key would log
# a warning at every start.
TEST_SECRET = b"harness-test-secret-of-at-least-32-bytes!"


def _check_url(flag: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise pytest.UsageError(f"{flag} {url}: expected an http(s) URL such as "
                                "http://localhost:4200")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


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
    """What the harness's HTTP clients verify server certificates against: one context for
    the session (a new client with `verify=True` would load the CA bundle every time)."""
    return tls.client_context() if tls else ssl.create_default_context()


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
    origins = [spa_server.url]
    external = pytestconfig.getoption("spa_url")
    if external:
        origins.append(_origin(external))
    try:
        return Settings(test_control=True, secret=TEST_SECRET, spa_dir=spa_dir,
                        allow_origins=origins,
                        alg=pytestconfig.getoption("backend_alg"),
                        store=pytestconfig.getoption("backend_store"), **cookie)
    except ConfigError as exc:
        raise pytest.UsageError(f"harness backend: {exc}") from None


@pytest.fixture(scope="session")
def backend_app(backend_settings: Settings) -> ASGIApp:
    """The ASGI app the harness serves as its backend."""
    return create_app(backend_settings)


@pytest.fixture(scope="session")
def live_backend(backend_app: ASGIApp, tls: TlsFiles | None,
                 pytestconfig: pytest.Config) -> Iterator[LiveServer]:
    """One backend per session (and per xdist worker), on a free loopback port unless
    `--backend-port` fixes one."""
    port = pytestconfig.getoption("backend_port") or 0
    with LiveServer(backend_app, tls=tls, port=port) as server:
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
    if request.config.getoption("conformance_report", None):
        from harness import report

        report.record(request.node, client.journal())
    client.close()


def _serve_party(tls: TlsFiles | None, url_host: str = "localhost") -> Iterator[ThirdParty]:
    party = ThirdParty()
    with LiveServer(party.app, url_host=url_host, tls=tls) as server:
        party.url = server.url
        yield party


@pytest.fixture(scope="session")
def _third_party_server(tls: TlsFiles | None) -> Iterator[ThirdParty]:
    yield from _serve_party(tls)


@pytest.fixture(scope="session")
def _other_site_server(tls: TlsFiles | None) -> Iterator[ThirdParty]:
    yield from _serve_party(tls, url_host="127.0.0.1")


@pytest.fixture
def third_party(_third_party_server: ThirdParty) -> ThirdParty:
    """A server on another origin of the same site (A2) that records what reaches it."""
    _third_party_server.clear()
    return _third_party_server


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
