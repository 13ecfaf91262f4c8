"""Burst scaling: N concurrent requests with an expired token in the reference SPA.

Driven through the harness's own pieces: `SpaDriver.burst`, `BackendClient.expire_access_token`
and the refresh count of `Journal.refreshes` (read from the backend journal). Each burst
gets a fresh context, a reset backend and a fresh login; the browsers take turns.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from playwright.sync_api import Browser, sync_playwright

from bench.launch import app_context, harness_backend, launch
from bench.stats import Figure
from harness.backend_client import BackendClient
from harness.driver import SpaDriver

SIZES = (1, 10, 50, 100, 200, 500)
# A burst of 500 in a loaded browser can take seconds; only a broken app reaches this.
SETTLE_TIMEOUT_MS = 120_000


def _one_burst(browser: Browser, url: str, backend: BackendClient, n: int) -> dict[str, Any]:
    backend.reset()
    context = app_context(browser, url)
    try:
        facts = backend.facts()
        spa = SpaDriver(context.new_page(), url, facts)
        spa.open("/")
        spa.login()
        backend.expire_access_token()
        before = backend.mark()
        started = time.perf_counter()
        results = spa.burst(n, facts.list.path).results(timeout_ms=SETTLE_TIMEOUT_MS)
        wall = time.perf_counter() - started
    finally:
        context.close()
    journal = backend.journal()
    entries = [e for e in journal.after(before) if e.method != "OPTIONS"]
    # The backend's view: first request in to last answer out, one clock for both ends.
    span = max(e.end or e.start for e in entries) - min(e.start for e in entries)
    return {"wall_s": wall, "journal_span_s": span,
            "refreshes": len(journal.refreshes()),
            "api_attempts": sum(1 for e in entries if e.path == facts.list.path),
            "ok": sum(1 for r in results if r.status == 200)}


def measure(engines: list[str], rounds: Iterable[int],
            sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    runs: dict[str, dict[int, list[dict[str, Any]]]] = {e: {n: [] for n in sizes}
                                                         for e in engines}
    versions: dict[str, str] = {}
    with harness_backend() as server, BackendClient(server.url) as backend, \
            sync_playwright() as playwright:
        browsers = {e: launch(playwright, e) for e in engines}
        versions = {e: b.version for e, b in browsers.items()}
        for _ in rounds:
            for engine, browser in browsers.items():
                for n in sizes:
                    runs[engine][n].append(_one_burst(browser, server.url, backend, n))
            largest = {e: r[sizes[-1]][-1]["wall_s"] for e, r in runs.items()}
            print("  burst round:", ", ".join(f"{e} N={sizes[-1]} {s:.2f} s"
                                              for e, s in largest.items()), flush=True)
        for browser in browsers.values():
            browser.close()
    return {"sizes": list(sizes), "browser_versions": versions,
            "browsers": {e: {str(n): _summary(n, r) for n, r in by_n.items()}
                         for e, by_n in runs.items()}}


def _summary(n: int, runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "n": n,
        "settled_s": Figure.of([r["wall_s"] for r in runs]).as_dict(),
        "journal_span_s": Figure.of([r["journal_span_s"] for r in runs]).as_dict(),
        # Every run's count, not a median: the promise is exactly one in each.
        "refreshes": [r["refreshes"] for r in runs],
        "api_attempts": [r["api_attempts"] for r in runs],
        "answered_200": [r["ok"] for r in runs],
    }
