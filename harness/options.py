"""The plugin's command-line options, and the choices made from them once per run."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from harness.topology import TOPOLOGIES

GROUP = "jwt-refresh-harness"


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP, "JWT refresh-flow harness")
    group.addoption("--backend-url", metavar="URL", default=None,
                    help="run the checks against a backend already running at URL with its "
                         "test-control API (python -m mock_backend --test-control); one "
                         "process only. Default: the harness serves its own backend")
    group.addoption("--api-profile", metavar="FILE|NAME", default=None,
                    help="make the harness's backend speak your auth API: a TOML profile, or "
                         "a built-in one (reference, seed-cookie-get, simplejwt, "
                         "aspnet-identity, oauth-token-endpoint, nestjs-cookie)")
    group.addoption("--backend-alg", choices=("HS256", "RS256", "EdDSA"), default=None,
                    help="signing algorithm of the harness's backend (default HS256)")
    group.addoption("--backend-store", default=None,
                    metavar="memory|sqlite:PATH|redis://HOST:PORT/DB",
                    help="refresh-family store of the harness's backend (default memory)")
    group.addoption("--spa-dir", metavar="PATH", default=None,
                    help="serve this built SPA folder (history fallback) instead of the "
                         "bundled reference SPA")
    group.addoption("--spa-url", metavar="URL", default=None,
                    help="test an app that is already running at URL (it must read "
                         "window.authHarnessConfig.apiBaseUrl); the backend allows its origin")
    group.addoption("--backend-port", type=int, default=None, metavar="PORT",
                    help="serve the harness's backend on this fixed port (default: a free "
                         "one), for apps that need a known API address")
    group.addoption("--conformance-report", metavar="PATH", default=None,
                    help="write one self-contained HTML page: checks x browsers x "
                         "topologies, failure reasons, each check's request timeline")
    group.addoption("--https", action="store_const", const=True, default=None, dest="https",
                    help="serve the backend, the SPA and the other origins over https with a "
                         "throwaway test CA (Secure and __Host- cookies in every browser); "
                         "the default when WebKit is among the browsers")
    group.addoption("--no-https", action="store_const", const=False, dest="https",
                    help="serve over plain http even for WebKit (whose http://localhost "
                         "stores no Secure cookie, so no refresh cookie)")
    group.addoption("--cookie-name", default=None, metavar="NAME",
                    help="name of the refresh cookie (default refresh_token; a __Host- name "
                         "needs --https and --cookie-path /)")
    group.addoption("--cookie-path", default=None, metavar="PATH",
                    help="path of the refresh cookie (default /api)")
    group.addoption("--topology", choices=("both", *TOPOLOGIES), default="both",
                    help="run the checks marked (x) in the same-origin topology, the "
                         "cross-origin one (SPA on its own port, API by CORS), or both "
                         "(default); other checks always run same-origin")


# Options that configure the harness's own backend: a backend in another process
# (`--backend-url`) was configured by its own command line.
OWN_BACKEND_OPTIONS = ("api_profile", "backend_alg", "backend_store", "backend_port",
                       "cookie_name", "cookie_path")


def given(config: pytest.Config, flag: str) -> bool:
    """Whether the user chose `flag`: on the command line, in `addopts` or in PYTEST_ADDOPTS."""
    args = [*map(str, config.invocation_params.args), *config.getini("addopts"),
            *shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))]
    return any(a == flag or a.startswith(f"{flag}=") for a in args)


def check_url(flag: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise pytest.UsageError(f"{flag} {url}: expected an http(s) URL such as "
                                "http://localhost:4200")


def browsers(config: pytest.Config) -> list[str]:
    """The engines of this run (pytest-playwright's `--browser`, chromium by default)."""
    return list(config.getoption("browser", None) or ["chromium"])


@dataclass(frozen=True)
class HttpsChoice:
    on: bool
    why: str


HTTPS_CHOICE = pytest.StashKey[HttpsChoice]()


def choose_https(config: pytest.Config) -> HttpsChoice:
    """Whether the harness serves its origins over https, and why (shown in the header)."""
    asked = config.getoption("https")
    backend_url = config.getoption("backend_url")
    webkit = "webkit" in browsers(config)
    if asked is not None:
        return HttpsChoice(bool(asked), "--https" if asked else "--no-https")
    if backend_url:
        # The backend's own scheme decides: the harness's servers follow it.
        on = urlsplit(backend_url).scheme == "https"
        if webkit and not on:
            raise pytest.UsageError(
                f"--backend-url {backend_url}: WebKit stores no Secure cookie on http://, so "
                "the refresh cookie would never exist there; serve that backend over https, "
                "or pass --no-https to run anyway")
        return HttpsChoice(on, f"--backend-url is {urlsplit(backend_url).scheme}")
    if webkit:
        return HttpsChoice(True, "WebKit stores no Secure cookie on http://localhost, so "
                                 "everything is served over https with a throwaway test CA "
                                 "(--no-https to keep http)")
    return HttpsChoice(False, "default")


def check_backend_url(config: pytest.Config) -> None:
    url = config.getoption("backend_url")
    if not url:
        return
    check_url("--backend-url", url)
    mixed = [f"--{name.replace('_', '-')}" for name in OWN_BACKEND_OPTIONS
             if config.getoption(name) is not None]
    if mixed:
        raise pytest.UsageError(f"--backend-url and {', '.join(mixed)} exclude each other: "
                                f"{'they configure' if len(mixed) > 1 else 'it configures'} "
                                "the harness's own backend; give them to the backend you run")
    if getattr(config.option, "numprocesses", None):
        raise pytest.UsageError("--backend-url cannot be shared by pytest-xdist workers (each "
                                "check resets its journal): run one process (-n 0)")
