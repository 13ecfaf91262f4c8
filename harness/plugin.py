"""The pytest plugin: live backend, its test-control client, the SPA driver as fixtures.

Registered through the `pytest11` entry point, so it is active in every pytest run of the
virtualenv it is installed in: it adds options in one group, fixtures whose names start with
`harness_` (public, documented in the README) or `_harness_` (internal), and nothing else
until a test asks for them. Fixtures are small, so a conftest can override any of them.
"""

from __future__ import annotations

import traceback
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from harness.fixtures import options
from harness.servers.topology import topologies_for
from harness.verdicts import artifacts, groups, verdict
from harness.verdicts.verdict import CheckFailure

# Fixture modules, registered as plugins of their own together with this one (so a
# plugin or conftest registered later overrides their fixtures, as it would any plugin's).
pytest_plugins = ("harness.fixtures.servers", "harness.fixtures.app")


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    from harness.fixtures import browsers as browser_fixtures

    # Registered now, after every entry-point plugin, so these fixtures take precedence
    # over pytest-playwright's of the same name.
    if not config.pluginmanager.has_plugin("jwt_refresh_harness.browsers"):
        config.pluginmanager.register(browser_fixtures, "jwt_refresh_harness.browsers")
    # Failure screenshots: pytest-playwright's only-on-failure takes one of every page of
    # every test and deletes those of the passed ones; unless the user chose a --screenshot
    # mode, the harness takes them itself, of failed checks only.
    config.stash[artifacts.OWN_SCREENSHOTS] = (
        getattr(config.option, "screenshot", None) == "off"
        and not options.given(config, "--screenshot"))
    if config.getoption("spa_url") and config.getoption("spa_dir"):
        raise pytest.UsageError("--spa-url and --spa-dir exclude each other: the app is "
                                "either running already or served from a folder")
    if config.getoption("spa_url"):
        options.check_url("--spa-url", config.getoption("spa_url"))
    from harness.fixtures.servers import accounts_of, api_profile_of, spa_dir_of

    spa_dir_of(config)  # a wrong --spa-dir stops the run before any browser starts
    options.check_backend_url(config)
    options.check_upstream(config)
    api_profile_of(config)  # so does a malformed --api-profile
    options.app_config_of(config)  # and a malformed --app-config
    options.driver_script_of(config)  # and an unreadable --driver-script
    accounts_of(config)  # and a malformed --accounts
    port = config.getoption("backend_port")
    if port is not None and not 0 < port < 65536:
        raise pytest.UsageError(f"--backend-port {port}: not a TCP port")
    if port is not None and getattr(config.option, "numprocesses", None):
        raise pytest.UsageError("--backend-port cannot be shared by pytest-xdist workers: "
                                "run one process (-n 0)")
    config.stash[options.HTTPS_CHOICE] = options.choose_https(config)
    report_path = config.getoption("conformance_report")
    if report_path and not hasattr(config, "workerinput"):
        from harness.verdicts.report import ConformanceReport

        config.pluginmanager.register(ConformanceReport(Path(report_path)),
                                      "jwt_refresh_harness.report")
    config.addinivalue_line("markers", "conformance(check_id, cross_origin=False): the "
                                       "docs/checks.md check a test implements; cross_origin "
                                       "runs it in the cross-origin topology too")
    for group in groups.GROUPS:
        config.addinivalue_line("markers", f"{group}: a check of the {group} group "
                                           f"({groups.WHY[group]})")
    if config.getoption("checks") is not None:
        try:
            groups.parse_groups(config.getoption("checks"))
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each check's test carries its group as a marker, before `-m` selects by markers; and
    `--checks` keeps the groups it names."""
    chosen = config.getoption("checks")
    wanted = groups.parse_groups(chosen) if chosen is not None else groups.GROUPS
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        marker = item.get_closest_marker("conformance")
        if marker is None or not marker.args:
            kept.append(item)
            continue
        group = groups.group_of(str(marker.args[0]))
        item.add_marker(group)
        item.user_properties.append((groups.GROUP_PROPERTY, group))  # for the summary
        item.user_properties.append((groups.CHECK_ID_PROPERTY, str(marker.args[0])))
        (kept if group in wanted else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_report_header(config: pytest.Config) -> list[str]:
    choice = config.stash.get(options.HTTPS_CHOICE, None)
    lines = []
    if config.getoption("api_profile"):
        lines.append(f"jwt-refresh-harness: API profile {config.getoption('api_profile')}")
    if config.getoption("backend_url"):
        lines.append(f"jwt-refresh-harness: backend at {config.getoption('backend_url')}")
    if config.getoption("upstream"):
        lines.append(f"jwt-refresh-harness: your backend at {config.getoption('upstream')}, "
                     f"behind the harness's edge (backend findings are reported apart)")
    if choice is not None and choice.on:
        lines.append(f"jwt-refresh-harness: https ({choice.why})")
    return lines


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "_harness_topology" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("conformance")
        chosen = topologies_for(marker, metafunc.config.getoption("topology"),
                                external=bool(metafunc.config.getoption("spa_url")))
        metafunc.parametrize("_harness_topology", chosen, ids=chosen, scope="function")


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if config.getoption("backend_url") and not hasattr(config, "workerinput"):
        _check_running_backend(config)
    if config.getoption("upstream") and not hasattr(config, "workerinput"):
        from harness.fixtures.servers import upstream_problem

        problem = upstream_problem(config)
        if problem:
            raise pytest.UsageError(problem)
    # Under pytest-xdist a worker that cannot launch a browser crashes the whole run, so
    # the controller checks first. A single process finds out at the first launch (which
    # also covers remote browsers through `connect_options`).
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        from harness.browser.launch import NoBrowserError, resolve

        for engine in options.browsers(config):
            try:
                resolve(engine)
            except NoBrowserError as exc:
                raise pytest.UsageError(str(exc)) from None


def _check_running_backend(config: pytest.Config) -> None:
    """`--backend-url`: the backend answers, has its test-control API, and serves the SPA
    when the checks open it there; otherwise the run stops before any browser starts."""
    import httpx

    from harness.seam.client import BackendClient, ControlError
    from harness.seam.facts import FactsError

    url = config.getoption("backend_url")
    try:
        with BackendClient(url, timeout=5) as client:
            facts = client.facts()
    except httpx.HTTPError as exc:
        raise pytest.UsageError(f"--backend-url {url}: no answer ({exc}); start it first, "
                                "e.g. python -m mock_backend --test-control --port 8000") \
            from None
    except ControlError as exc:
        raise pytest.UsageError(f"--backend-url {url}: no test-control API ({exc}); start it "
                                "with --test-control") from None
    except FactsError as exc:
        raise pytest.UsageError(f"--backend-url {url}: {exc}") from None
    if not facts.serves_spa and not config.getoption("spa_url"):
        raise pytest.UsageError(f"--backend-url {url}: that backend serves no SPA at /, where "
                                "the checks open the app; start it with --spa-dir PATH (or "
                                "without --no-spa), or give the app's address with --spa-url")


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, object, object]:
    """A conformance check fails only with a line that starts with its own ID: its verdict
    (`CheckFailure`), or what stopped it, named by the exception's type."""
    marker = pyfuncitem.get_closest_marker("conformance")
    if marker is None:
        return (yield)
    check = str(marker.args[0])
    try:
        return (yield)
    except verdict.BackendFinding as exc:
        pytest.skip(f"{exc.finding.first_line}; the app's part is not judged")
    except CheckFailure as exc:
        verdict.fail(_backend_gone(pyfuncitem, check) or str(exc))
    except pytest.fail.Exception as exc:
        verdict.fail(_backend_gone(pyfuncitem, check)
                     or f"{check}: the check could not finish — {exc.msg}")
    except Exception as exc:  # noqa: BLE001 - whatever stopped the check, it names the check
        tail = "".join(traceback.format_exception(exc)).rstrip().splitlines()[-12:]
        verdict.fail(_backend_gone(pyfuncitem, check)
                     or "\n".join([verdict.explain(check, exc), "", *tail]))


def _backend_gone(item: pytest.Item, check: str) -> str | None:
    """Behind the edge: when the team's backend stopped answering during a check that
    failed, that is what the failure says (the app is not judged), with the edge's reason."""
    checked = item.stash.get(verdict.VERDICT, None)
    backend = getattr(checked, "backend", None)
    if checked is None or backend is None or not checked.backend_is_theirs:
        return None
    try:
        gone = [e for e in backend.journal() if e.upstream_error]
    except Exception:  # noqa: BLE001 - the edge itself is gone: the failure says what it says
        return None
    if not gone:
        return None
    first = gone[0]
    return (f"{check}: your backend went away during the check — {first.upstream_error}; "
            f"the edge answered {len(gone)} request(s) with 502, the first "
            f"{first.method} {first.path}. The app is not judged")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, object, object]:
    """A check's backend findings go with its report (to the xdist controller as well)."""
    report = yield
    checked = item.stash.get(verdict.VERDICT, None)
    if call.when == "call" and checked is not None and checked.findings and \
            isinstance(report, pytest.TestReport):
        found = (verdict.FINDINGS_PROPERTY, [str(f) for f in checked.findings])
        report.user_properties.append(found)
        item.user_properties.append(found)  # the teardown report too (the HTML report's)
    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The results of each check group, then the backend's findings apart from the app's
    failures: what the team's backend does that the checks' backend parts name."""
    _results_by_group(terminalreporter)
    _backend_findings(terminalreporter)


def _results_by_group(terminalreporter: Any) -> None:
    counts: dict[str, dict[str, int]] = {group: {} for group in groups.GROUPS}
    checks: set[str] = set()
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            props = dict(getattr(report, "user_properties", ()))
            group = props.get(groups.GROUP_PROPERTY)
            if props.get(groups.CHECK_ID_PROPERTY):
                checks.add(str(props[groups.CHECK_ID_PROPERTY]))
            if group is None or getattr(report, "when", "call") not in ("call", "setup") \
                    or (outcome == "passed" and report.when != "call"):
                continue
            counts[group][outcome] = counts[group].get(outcome, 0) + 1
    if not any(counts.values()):
        return
    terminalreporter.section("checks by group")
    runs = sum(sum(seen.values()) for seen in counts.values())
    terminalreporter.write_line(
        f"{len(checks)} of the {groups.CHECK_COUNT} checks of docs/checks.md, in {runs} runs: "
        f"each check runs once per browser, in both topologies where it is marked so, and "
        f"once per parameter (R2's burst size, F1's and F2's kinds of failure, T5's tab)")
    for group, seen in counts.items():
        if seen:
            said = ", ".join(f"{n} {outcome}" for outcome, n in seen.items())
            terminalreporter.write_line(f"{group}: {said} ({groups.WHY[group]})")


def _backend_findings(terminalreporter: Any) -> None:
    found = [(report.nodeid, texts) for key in ("passed", "failed", "skipped")
             for report in terminalreporter.stats.get(key, [])
             for name, texts in getattr(report, "user_properties", ()) if
             name == verdict.FINDINGS_PROPERTY]
    if not found:
        return
    terminalreporter.section("backend findings (your backend, not your app)")
    for nodeid, texts in sorted(found):
        for text in texts:
            first, *rest = str(text).splitlines()
            terminalreporter.write_line(first)
            for line in rest:
                terminalreporter.write_line(line)
            terminalreporter.write_line(f"  in {nodeid}")
