"""A pytest plugin (`-p bench.probe`) that records where a harness run spends its time.

Start-up: moments relative to `BENCH_T0` (the parent's `time.monotonic()` when it started
pytest; CLOCK_MONOTONIC is system-wide on Linux) and every fixture set up before the first
check. Per test: its wall time, split into phases. With `BENCH_PHASES=1` the harness's and
Playwright's own calls are timed too (see `INSTRUMENTED`), each phase without the phases
nested in it, so the phases of a test add up to its wall time. Results go to the JSON file
named by `BENCH_PROBE_OUT`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from bench.timers import PhaseTimers

IMPORTED = time.monotonic()

# (module, attribute path, phase name): the calls a check makes that cost wall time.
INSTRUMENTED = [
    ("harness.backend_client", "BackendClient.__init__", "harness: control client open"),
    ("harness.backend_client", "BackendClient.close", "harness: control client close"),
    ("harness.backend_client", "BackendClient.reset", "harness: backend reset"),
    ("harness.backend_client", "BackendClient.journal", "harness: journal read"),
    ("harness.page_watch", "PageWatch.__post_init__", "harness: page watch attach"),
    ("harness.page_watch", "PageWatch._on_request", "harness: page watch events"),
    ("harness.page_watch", "PageWatch._on_settled", "harness: page watch events"),
    ("harness.page_watch", "PageWatch._on_navigated", "harness: page watch events"),
    ("harness.page_watch", "PageWatch._on_console", "harness: page watch events"),
    ("harness.page_watch", "PageWatch.wait_settled", "harness: H2 settle wait"),
    ("harness.artifacts", "hygiene_problems", "harness: H1/H2 check"),
    ("harness.driver", "SpaDriver.open", "app: open"),
    ("harness.driver", "SpaDriver.ready", "app: ready"),
    ("harness.driver", "SpaDriver.login", "app: login"),
    ("harness.driver", "SpaDriver.request", "app: request"),
    ("harness.driver", "SpaDriver._require_contract", "harness: driver contract probe"),
    ("playwright.sync_api", "Browser.new_context", "playwright: new context"),
    ("playwright.sync_api", "BrowserContext.add_init_script", "playwright: init script"),
    ("playwright.sync_api", "BrowserContext.new_page", "playwright: new page"),
    ("playwright.sync_api", "BrowserContext.close", "playwright: close context"),
    ("playwright.sync_api", "Page.goto", "playwright: goto"),
    ("playwright.sync_api", "Page.screenshot", "pytest-playwright: screenshot on close"),
    ("playwright.sync_api._generated", "Tracing.stop", "pytest-playwright: tracing stop"),
]


def _install(timers: PhaseTimers) -> None:
    import importlib

    for module_name, path, phase in INSTRUMENTED:
        owner: Any = importlib.import_module(module_name)
        *parents, attribute = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        timers.wrap(owner, attribute, phase)


class Probe:
    def __init__(self, t0: float, out: Path, phases: bool) -> None:
        self.t0 = t0
        self.out = out
        self.marks: dict[str, float] = {"probe_imported": IMPORTED - t0}
        self.first_fixtures: dict[str, float] = {}
        self.tests: list[dict[str, Any]] = []
        self.timers = PhaseTimers()
        if phases:
            _install(self.timers)

    def _mark(self, name: str) -> None:
        self.marks.setdefault(name, time.monotonic() - self.t0)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self) -> None:
        self._mark("collection_start")

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_finish(self) -> None:
        self._mark("collection_finish")

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef[Any]) -> Generator[None, Any, Any]:
        start = time.monotonic()
        try:
            return (yield)
        finally:
            if not self.tests:  # only the first test's set-up: browser launch, servers
                self.first_fixtures[fixturedef.argname] = (
                    self.first_fixtures.get(fixturedef.argname, 0.0) + time.monotonic() - start)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, Any, Any]:
        self._mark("first_test_start")
        self.timers.take()
        start = time.perf_counter()
        try:
            return (yield)
        finally:
            wall = time.perf_counter() - start
            self.tests.append({"nodeid": item.nodeid, "wall_s": wall,
                               "phases_s": self.timers.take()})

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, Any, Any]:
        with self.timers.phase("pytest: setup (rest)"):
            return (yield)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, Any]:
        self._mark("first_call")
        with self.timers.phase("check body (rest)"):
            return (yield)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, Any, Any]:
        with self.timers.phase("pytest: teardown (rest)"):
            return (yield)

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self) -> None:
        self._mark("unconfigure")
        self.timers.unwrap_all()
        self.out.write_text(json.dumps({"marks_s": self.marks,
                                        "first_test_fixtures_s": self.first_fixtures,
                                        "tests": self.tests}, indent=1))


def pytest_configure(config: pytest.Config) -> None:
    out = os.environ.get("BENCH_PROBE_OUT")
    if not out or hasattr(config, "workerinput"):
        return
    t0 = float(os.environ.get("BENCH_T0", IMPORTED))
    probe = Probe(t0, Path(out), os.environ.get("BENCH_PHASES") == "1")
    probe.marks["configure"] = time.monotonic() - t0
    config.pluginmanager.register(probe, "bench_probe")
