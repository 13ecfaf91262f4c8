"""The overhead baseline: the simplest check's work in bare Playwright, no harness.

Same browser launch, same backend (in a thread of this process, as the plugin serves it),
same app: new context with the config script, open the SPA and wait for its bootstrap,
log in through the app, one authenticated request, close the context. Each step is
timed under the phase name the probe gives the harness's equivalent call.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable
from typing import Any

from playwright.sync_api import Browser, sync_playwright

from bench.launch import config_script, harness_backend, launch
from bench.timers import PhaseTimers
from harness.driver import POLL_MS

MECHANICS_PAGES = 4


def _iteration(browser: Browser, url: str, timers: PhaseTimers) -> None:
    with timers.phase("playwright: new context"):
        context = browser.new_context()
    with timers.phase("playwright: init script"):
        context.add_init_script(config_script(url))
    with timers.phase("playwright: new page"):
        page = context.new_page()
    with timers.phase("playwright: goto"):
        page.goto(url + "/")
    with timers.phase("app: ready"):
        page.evaluate("() => window.authHarness.ready")
    with timers.phase("app: login"):
        page.evaluate("([u, p]) => window.authHarness.login(u, p)", ["alice", "alice-pass"])
    with timers.phase("app: request"):
        res = page.evaluate("() => window.authHarness.request('GET', '/api/current-user')")
    with timers.phase("playwright: close context"):
        context.close()
    if res["status"] != 200:
        raise RuntimeError(f"baseline request answered {res}")


def _driver_mechanics(browser: Browser, url: str, pages: int) -> dict[str, float]:
    """What the harness driver's way of awaiting costs by itself, on an opened app page:
    `wait_for_function` on a value that is already true, first and second time in the
    page, and a plain `page.evaluate` for comparison (medians, ms)."""
    samples: dict[str, list[float]] = {"first_wait_ms": [], "later_wait_ms": [],
                                       "evaluate_ms": []}
    for _ in range(pages):
        context = browser.new_context()
        context.add_init_script(config_script(url))
        page = context.new_page()
        page.goto(url + "/")
        page.evaluate("() => window.authHarness.ready")
        handle = page.evaluate_handle("() => ({ done: true })")
        for name in ("first_wait_ms", "later_wait_ms", "evaluate_ms"):
            start = time.perf_counter()
            if name == "evaluate_ms":
                page.evaluate("() => 1")
            else:
                page.wait_for_function("s => s.done", arg=handle, polling=POLL_MS)
            samples[name].append((time.perf_counter() - start) * 1000)
        context.close()
    return {name: statistics.median(values) for name, values in samples.items()}


def measure(engine: str, rounds: Iterable[int],
            warmup: int = 1) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Per iteration: wall seconds and its phases (the warm-up iterations come first and
    are not counted); then the driver mechanics on the same browser."""
    runs: list[dict[str, Any]] = []
    timers = PhaseTimers()
    with harness_backend() as server, sync_playwright() as playwright:
        browser = launch(playwright, engine)
        for _ in range(warmup):
            _iteration(browser, server.url, timers)
        for _ in rounds:
            timers.take()
            start = time.perf_counter()
            _iteration(browser, server.url, timers)
            wall = time.perf_counter() - start
            runs.append({"wall_s": wall, "phases_s": timers.take()})
        mechanics = _driver_mechanics(browser, server.url, MECHANICS_PAGES)
        browser.close()
    return runs, mechanics
