"""The pytest plugin: live backend, its test-control client, the SPA driver as fixtures.

Registered through the `pytest11` entry point. Options live in one group; fixtures that
read them are small, so a conftest can override any of them.
"""

from __future__ import annotations

import traceback
from collections.abc import Generator
from pathlib import Path

import pytest

from harness import artifacts, verdict

# The fixtures live in two modules; importing them here registers them with the plugin.
from harness.app_fixtures import (  # noqa: F401
    api_base_url,
    harness_config,
    outsider,
    page_watch,
    spa,
    spa_routes,
    spa_url,
    time_control,
    topology,
)
from harness.server_fixtures import (  # noqa: F401
    TEST_SECRET,
    ServeBackend,
    _check_url,
    _other_site_server,
    _spa_dir,
    _third_party_server,
    backend,
    backend_app,
    backend_settings,
    live_backend,
    other_site,
    serve_backend,
    spa_dir,
    spa_server,
    third_party,
    tls,
    tls_verify,
)
from harness.topology import TOPOLOGIES, topologies_for


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("jwt-refresh-harness", "JWT refresh-flow harness")
    group.addoption("--backend-alg", choices=("HS256", "RS256", "EdDSA"), default="HS256",
                    help="signing algorithm of the harness's backend (default HS256)")
    group.addoption("--backend-store", default="memory", metavar="memory|sqlite:PATH",
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
# pytest-playwright's only-on-failure screenshots every page of every test and deletes the
# files of the passed ones; unless `--screenshot` is given, the harness takes them itself,
# of failed checks only.
_ARTIFACT_DEFAULTS = {"tracing": ("--tracing", "retain-on-failure")}


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
    config.stash[artifacts.OWN_SCREENSHOTS] = (
        getattr(config.option, "screenshot", None) == "off" and "--screenshot" not in given)
    if config.getoption("spa_url") and config.getoption("spa_dir"):
        raise pytest.UsageError("--spa-url and --spa-dir exclude each other: the app is "
                                "either running already or served from a folder")
    if config.getoption("spa_url"):
        _check_url("--spa-url", config.getoption("spa_url"))
    _spa_dir(config)  # a wrong --spa-dir stops the run before any browser starts
    port = config.getoption("backend_port")
    if port is not None and not 0 < port < 65536:
        raise pytest.UsageError(f"--backend-port {port}: not a TCP port")
    if port is not None and getattr(config.option, "numprocesses", None):
        raise pytest.UsageError("--backend-port cannot be shared by pytest-xdist workers: "
                                "run one process (-n 0)")
    report_path = config.getoption("conformance_report")
    if report_path and not hasattr(config, "workerinput"):
        from harness.report import ConformanceReport

        config.pluginmanager.register(ConformanceReport(Path(report_path)),
                                      "jwt_refresh_harness.report")
    config.addinivalue_line("markers", "conformance(check_id, cross_origin=False): the "
                                       "docs/checks.md check a test implements; cross_origin "
                                       "runs it in the cross-origin topology too")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "topology" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("conformance")
        chosen = topologies_for(marker, metafunc.config.getoption("topology"),
                                external=bool(metafunc.config.getoption("spa_url")))
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


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, object, object]:
    """A conformance check fails only with its own `<ID>: ` line (harness/verdict.py)."""
    marker = pyfuncitem.get_closest_marker("conformance")
    if marker is None:
        return (yield)
    check = str(marker.args[0])
    try:
        return (yield)
    except pytest.fail.Exception as exc:
        if str(exc.msg).startswith(f"{check}: "):
            raise
        verdict.fail(f"{check}: the check could not finish — {exc.msg}")
    except Exception as exc:  # noqa: BLE001 - whatever stopped the check, it names the check
        tail = "".join(traceback.format_exception(exc)).rstrip().splitlines()[-12:]
        verdict.fail("\n".join([verdict.explain(check, exc), "", *tail]))
