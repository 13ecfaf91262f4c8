"""Fixtures of the security suite: the live backend in each signing mode, reset per test.

The backends run in this process (uvicorn in a thread), so a test can sign a token with
the backend's own key: a forged token that is perfect except for the one thing a case
changes proves that this one thing is what gets it refused.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any, Protocol, cast

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import ASGIApp

from harness.fixtures.servers import TEST_PASSWORD_COST, TEST_SECRET, ServeBackend
from harness.seam.client import BackendClient
from harness.servers.live_server import LiveServer
from harness.verdicts import artifacts
from mock_backend import Settings, create_app
from mock_backend.security import TokenSigner
from tests.backend.wire import Session, bearer, login
from tests.security import forge

MODES = ("HS256", "RS256", "EdDSA")
# One TLS context for every client here: building one per client costs ~0.1 s on this
# machine, and the backends are plain http on loopback anyway.
TLS = ssl.create_default_context()


def no_cookie_jar() -> CookieJar:
    """A jar that keeps nothing: every cookie a test sends is one it wrote itself (over
    https a normal jar would add the refresh cookie to every request)."""
    return CookieJar(DefaultCookiePolicy(allowed_domains=[]))


def http_client(url: str, verify: ssl.SSLContext | bool = TLS) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=10, verify=verify, cookies=no_cookie_jar())


def _verify(request: pytest.FixtureRequest, url: str) -> ssl.SSLContext | bool:
    """The harness's own certificate check when it serves https (its test CA), else ours."""
    if url.startswith("https:"):
        verify: ssl.SSLContext | bool = request.getfixturevalue("_harness_tls_verify")
        return verify
    return TLS


@dataclass(frozen=True)
class Target:
    """One live backend in one signing mode, freshly reset, with its key for forging."""

    alg: str
    http: httpx.Client
    control: BackendClient
    signer: TokenSigner

    @property
    def url(self) -> str:
        return str(self.http.base_url).rstrip("/")

    def login(self, username: str = "alice") -> Session:
        return login(self.http, username)

    def get(self, path: str, token: str) -> httpx.Response:
        return self.http.get(path, headers=bearer(token))

    def header(self, **changes: Any) -> dict[str, Any]:
        """The JOSE header the backend itself writes, with `changes`."""
        return {"alg": self.alg, "typ": "at+jwt", "kid": self.signer.kid, **changes}

    @property
    def key(self) -> Any:
        """The backend's signing key: it runs in this process (see the module doc)."""
        return self.signer._signing_key

    def sign(self, claims: Any, header: Any = None, alg: str | None = None,
             key: Any = None) -> str:
        """`claims` signed by `alg` (default the backend's own) with `key` (default the
        backend's own), under `header` (default the one the backend writes)."""
        return forge.signed(self.header() if header is None else header, claims,
                            self.key if key is None else key, alg or self.alg)

    def claims(self, session: Session) -> dict[str, Any]:
        """The claims the backend wrote into the session's access token."""
        return forge.parts(session.access).claims


def _signer(app: ASGIApp) -> TokenSigner:
    signer: TokenSigner = cast(FastAPI, app).state.backend.signer
    return signer


class _ModeBackends:
    """A backend per signing mode other than the live one's, started on first use."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._started: dict[str, tuple[LiveServer, BackendClient]] = {}

    def get(self, alg: str) -> tuple[LiveServer, BackendClient]:
        if alg not in self._started:
            settings = Settings(test_control=True, alg=alg, password_cost=TEST_PASSWORD_COST,
                                secret=TEST_SECRET if alg == "HS256" else None)
            server = self._stack.enter_context(LiveServer(create_app(settings)))
            self._started[alg] = (server, self._stack.enter_context(BackendClient(server.url)))
        return self._started[alg]


@pytest.fixture(scope="session")
def _mode_backends() -> Iterator[_ModeBackends]:
    with ExitStack() as stack:
        yield _ModeBackends(stack)


@pytest.fixture(params=MODES)
def target(request: pytest.FixtureRequest, harness_backend_settings: Settings,
           live_backend: LiveServer,
           harness_backend_app: ASGIApp, _mode_backends: _ModeBackends,
           output_path: str) -> Iterator[Target]:
    """The backend in each signing mode (the live one for its own), reset before the test."""
    alg: str = request.param
    if alg == harness_backend_settings.alg:
        control: BackendClient = request.getfixturevalue("backend")  # resets it
        url, signer = live_backend.url, _signer(harness_backend_app)
    else:
        server, control = _mode_backends.get(alg)
        control.reset()
        url, signer = server.url, _signer(server.app)
    with http_client(url, _verify(request, url)) as http:
        yield Target(alg, http, control, signer)
    if alg != harness_backend_settings.alg and artifacts.failed(request.node):
        artifacts.write_timeline(output_path, control)


@pytest.fixture
def http(live_backend: LiveServer, backend: BackendClient,
         request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    """A plain HTTP client against the freshly reset live backend."""
    with http_client(live_backend.url, _verify(request, live_backend.url)) as client:
        yield client


class ServeTarget(Protocol):
    def __call__(self, **changes: object) -> Target: ...


@pytest.fixture
def serve_target(serve_backend: ServeBackend) -> Iterator[ServeTarget]:
    """An extra backend with its own settings (`serve_backend`), as a `Target`."""
    with ExitStack() as stack:

        def serve(**changes: object) -> Target:
            server = serve_backend(None, **changes)
            signer = _signer(server.app)
            return Target(signer.alg, stack.enter_context(http_client(server.url)),
                          stack.enter_context(BackendClient(server.url)), signer)

        yield serve
