"""Fixtures for the servers of a check: the backend, the SPA's own origin, other origins.

The backend is served in-process (this module is the only one of the harness that imports
`mock_backend`), or it is a backend already running elsewhere (`--backend-url`); either
way the harness talks to it over HTTP and learns about it from `/__harness/facts`.
Each fixture is small, so a conftest can override any of them (pytest-playwright's habit).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp

from harness import artifacts
from harness.backend_client import BackendClient
from harness.facts import BackendFacts
from harness.live_server import LiveServer, free_port
from harness.options import HTTPS_CHOICE
from harness.test_ca import TlsFiles, make_test_ca
from harness.third_party import ThirdParty
from mock_backend import (
    ApiProfile,
    ConfigError,
    ProfileError,
    Settings,
    SpaFiles,
    create_app,
    default_spa_dir,
    load_profile,
    server_options,
)

# A fixed test key: tests must not depend on the environment, and a random key would log
# a warning at every start.
TEST_SECRET = b"harness-test-secret-of-at-least-32-bytes!"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def spa_dir_of(config: pytest.Config) -> Path:
    given = config.getoption("spa_dir")
    if given is None:
        return default_spa_dir()
    path = Path(given).expanduser().resolve()
    if not (path / "index.html").is_file():
        raise pytest.UsageError(f"--spa-dir {given}: no index.html in {path}")
    return path


def spa_app(spa_dir: Path) -> Starlette:
    """The SPA folder alone, with history fallback, as the cross-origin topology serves it."""
    return Starlette(routes=[Mount("/", app=SpaFiles(directory=spa_dir, html=True))])


API_PROFILE = pytest.StashKey[ApiProfile]()


def api_profile_of(config: pytest.Config) -> ApiProfile:
    """`--api-profile`, read once; a malformed one stops the run with one line."""
    if API_PROFILE not in config.stash:
        given = config.getoption("api_profile")
        try:
            config.stash[API_PROFILE] = load_profile(given) if given else ApiProfile()
        except ProfileError as exc:
            raise pytest.UsageError(f"--api-profile {exc}") from None
    return config.stash[API_PROFILE]


@dataclass(frozen=True)
class RunningBackend:
    """A backend the harness did not start (`--backend-url`)."""

    url: str


@pytest.fixture(scope="session")
def _harness_spa_dir(pytestconfig: pytest.Config) -> Path:
    """The SPA folder under test (`--spa-dir`, else the bundled reference SPA)."""
    return spa_dir_of(pytestconfig)


@pytest.fixture(scope="session")
def _harness_tls(pytestconfig: pytest.Config,
                 tmp_path_factory: pytest.TempPathFactory) -> TlsFiles | None:
    """The test CA's files when the harness serves https (`--https`, WebKit), else None."""
    if not pytestconfig.stash[HTTPS_CHOICE].on:
        return None
    return make_test_ca(tmp_path_factory.mktemp("test-ca"))


@pytest.fixture(scope="session")
def _harness_tls_verify(_harness_tls: TlsFiles | None) -> ssl.SSLContext | bool:
    """What the harness's HTTP clients verify server certificates against: one context for
    the session (a new client with `verify=True` would load the CA bundle every time)."""
    return _harness_tls.client_context() if _harness_tls else ssl.create_default_context()


@pytest.fixture(scope="session")
def _harness_spa_origin(pytestconfig: pytest.Config, _harness_tls: TlsFiles | None) -> str:
    """Where the cross-origin topology serves the SPA: a free port now, served on first use.
    A backend in another process must already allow it: the first localhost origin it
    allows is taken."""
    url = pytestconfig.getoption("backend_url")
    scheme = "https" if _harness_tls else "http"
    if url:
        with BackendClient(url) as client:
            allowed = client.facts().allow_origins
        ours = [o for o in allowed if urlsplit(o).hostname == "localhost"
                and urlsplit(o).scheme == scheme and urlsplit(o).port]
        return ours[0] if ours else ""
    return f"{scheme}://localhost:{free_port()}"


@pytest.fixture(scope="session")
def _harness_spa_server(_harness_spa_dir: Path, _harness_spa_origin: str,
                        _harness_tls: TlsFiles | None) -> Iterator[LiveServer]:
    """The SPA on its own origin, for the cross-origin topology."""
    if not _harness_spa_origin:
        pytest.skip("cross-origin topology: the backend at --backend-url allows no "
                    "http(s)://localhost:PORT origin for the harness to serve the SPA on; "
                    "start it with --allow-origin http://localhost:PORT")
    port = urlsplit(_harness_spa_origin).port or 0
    with LiveServer(spa_app(_harness_spa_dir), tls=_harness_tls, port=port) as server:
        yield server


@pytest.fixture(scope="session")
def harness_backend_settings(pytestconfig: pytest.Config, _harness_spa_dir: Path,
                             _harness_spa_origin: str) -> Settings:
    """Settings of the backend the harness serves in-process; override in a conftest to
    change them (not used with `--backend-url`)."""
    chosen = {k: v for k, v in (("cookie_name", pytestconfig.getoption("cookie_name")),
                                ("cookie_path", pytestconfig.getoption("cookie_path")),
                                ("alg", pytestconfig.getoption("backend_alg")),
                                ("store", pytestconfig.getoption("backend_store"))) if v}
    origins = [_harness_spa_origin]
    external = pytestconfig.getoption("spa_url")
    if external:
        origins.append(origin_of(external))
    try:
        return Settings(test_control=True, secret=TEST_SECRET, spa_dir=_harness_spa_dir,
                        allow_origins=origins, api_profile=api_profile_of(pytestconfig),
                        **chosen)  # type: ignore[arg-type]
    except ConfigError as exc:
        raise pytest.UsageError(f"harness backend: {exc}") from None


@pytest.fixture(scope="session")
def harness_backend_app(harness_backend_settings: Settings) -> ASGIApp:
    """The ASGI app the harness serves as its backend; override to wrap or replace it."""
    return create_app(harness_backend_settings)


@pytest.fixture(scope="session")
def _harness_live_backend(request: pytest.FixtureRequest, _harness_tls: TlsFiles | None,
                          pytestconfig: pytest.Config) -> Iterator[LiveServer | RunningBackend]:
    """One backend per session (and per xdist worker), on a free loopback port unless
    `--backend-port` fixes one; or the one at `--backend-url`."""
    url = pytestconfig.getoption("backend_url")
    if url:
        yield RunningBackend(url.rstrip("/"))
        return
    app = request.getfixturevalue("harness_backend_app")
    port = pytestconfig.getoption("backend_port") or 0
    with LiveServer(app, tls=_harness_tls, port=port, server_options=server_options()) as server:
        yield server


@pytest.fixture(scope="session")
def harness_facts(_harness_live_backend: LiveServer | RunningBackend,
                  _harness_tls_verify: ssl.SSLContext | bool) -> BackendFacts:
    """What the backend says about itself (`/__harness/facts`): paths, cookie, CSRF header,
    lifetimes, demo users and their seed data."""
    with BackendClient(_harness_live_backend.url, verify=_harness_tls_verify) as client:
        return client.facts()


@pytest.fixture
def harness_backend(_harness_live_backend: LiveServer | RunningBackend,
                    request: pytest.FixtureRequest, output_path: str,
                    _harness_tls_verify: ssl.SSLContext | bool,
                    harness_facts: BackendFacts) -> Iterator[BackendClient]:
    """Client of the backend's test-control API; the backend is reset before each test."""
    client = BackendClient(_harness_live_backend.url, verify=_harness_tls_verify,
                           facts=harness_facts)
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
def _harness_third_party_server(_harness_tls: TlsFiles | None) -> Iterator[ThirdParty]:
    yield from _serve_party(_harness_tls)


@pytest.fixture(scope="session")
def _harness_other_site_server(_harness_tls: TlsFiles | None) -> Iterator[ThirdParty]:
    yield from _serve_party(_harness_tls, url_host="127.0.0.1")


@pytest.fixture
def _harness_third_party(_harness_third_party_server: ThirdParty) -> ThirdParty:
    """A server on another origin of the same site (A2) that records what reaches it."""
    _harness_third_party_server.clear()
    return _harness_third_party_server


@pytest.fixture
def _harness_other_site(_harness_other_site_server: ThirdParty) -> ThirdParty:
    """A server on another site (`127.0.0.1` while the app is on `localhost`): X1's attacker."""
    _harness_other_site_server.clear()
    return _harness_other_site_server


class ServeBackend(Protocol):
    def __call__(self, settings: Settings | None = None, **changes: object) -> LiveServer: ...


@pytest.fixture
def harness_serve_backend() -> Iterator[ServeBackend]:
    """Start an extra in-process backend with its own settings; stopped when the test ends."""
    with ExitStack() as stack:

        def serve(settings: Settings | None = None, **changes: object) -> LiveServer:
            if settings is None:
                base: dict[str, object] = {"test_control": True, "secret": TEST_SECRET}
                settings = Settings(**{**base, **changes})  # type: ignore[arg-type]
            return stack.enter_context(LiveServer(create_app(settings),
                                                  server_options=server_options()))

        yield serve
