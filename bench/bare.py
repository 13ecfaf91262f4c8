"""Bare Playwright: the browsers and the backend as the harness starts them, driven without
pytest. The per-check baseline and the bursts run here."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from harness import BackendClient, SpaDriver
from harness.browser.launch import resolve
from harness.browser.nodelay import after_launch
from harness.fixtures.servers import TEST_PASSWORD_COST
from mock_backend import Settings, create_app, default_spa_dir, server_options

# Only an app that never settles its burst gets near this.
BURST_TIMEOUT_MS = 120_000


class _Server(uvicorn.Server):
    """uvicorn in a thread; `up` is set once it listens."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.up = threading.Event()

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        self.up.set()


@contextmanager
def backend() -> Iterator[str]:
    """The backend in a thread of this process, as the harness serves it by default: test
    control on, the bundled SPA at /, the harness's password cost (the CLI's default costs
    about 30 ms of CPU per login, which the harness's checks never pay), the same uvicorn
    options. Yields its URL."""
    app = create_app(Settings(test_control=True, spa_dir=default_spa_dir(),
                              secret=secrets.token_bytes(32), password_cost=TEST_PASSWORD_COST))
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on",
                                    log_level="warning", access_log=False, **server_options()))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    if not server.up.wait(30):
        raise RuntimeError("the backend did not start within 30 s")
    try:
        yield f"http://localhost:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def browser(engine: str) -> Iterator[tuple[Browser, float]]:
    """The browser binary and launch options the harness resolves; yields it and the
    seconds its launch took."""
    with sync_playwright() as playwright:
        start = time.perf_counter()
        options = resolve(engine).launch_args
        launched = getattr(playwright, engine).launch(**options)
        after_launch(options)
        try:
            yield launched, time.perf_counter() - start
        finally:
            launched.close()


def app_context(browser: Browser, url: str) -> BrowserContext:
    """A new context with `window.authHarnessConfig` set before any app script runs."""
    context = browser.new_context()
    context.add_init_script(f"window.authHarnessConfig = {json.dumps({'apiBaseUrl': url})};")
    return context


def cycle(browser: Browser, url: str) -> float:
    """The simplest check's work, timed: new context, init script, open the SPA, wait for
    its bootstrap, log in through the app, one authenticated request, close."""
    start = time.perf_counter()
    context = app_context(browser, url)
    page = context.new_page()
    page.goto(url + "/")
    page.evaluate("() => window.authHarness.ready")
    page.evaluate("([u, p]) => window.authHarness.login(u, p)", ["alice", "alice-pass"])
    status = page.evaluate(
        "async () => (await window.authHarness.request('GET', '/api/current-user')).status")
    context.close()
    elapsed = time.perf_counter() - start
    if status != 200:
        raise RuntimeError(f"the bare cycle's request answered {status}")
    return elapsed


def burst(browser: Browser, url: str, client: BackendClient, n: int) -> dict[str, Any]:
    """N concurrent requests with an expired access token through the SPA's own client:
    a reset backend, a fresh context and login, then `SpaDriver.burst` until all settled."""
    client.reset()
    facts = client.facts()
    context = app_context(browser, url)
    try:
        spa = SpaDriver(context.new_page(), url, facts)
        spa.open("/")
        spa.login()
        client.expire_access_token()
        mark = client.mark()
        start = time.perf_counter()
        results = spa.burst(n, facts.list.path).results(timeout_ms=BURST_TIMEOUT_MS)
        settled = time.perf_counter() - start
    finally:
        context.close()
    # The context is closed: the backend has every request of the burst it will get, so
    # once as many entries as it has since the mark are answered, all of them are.
    sent = max(len(client.journal(after=mark)), 1)
    met, burst_journal = client.wait_journal(mark, count=sent, answered=True)
    if not met:
        raise TimeoutError("timed out waiting for every request of the burst answered in "
                           "the journal")
    entries = burst_journal.entries
    span = (max(e.end for e in entries if e.end is not None)
            - min(e.start for e in entries))
    journal = client.journal()
    return {"settled_s": settled, "journal_span_s": span, "refreshes": len(journal.refreshes()),
            "peak_in_flight": journal.peak_in_flight(facts.list.path),
            "answered_200": sum(r.status == 200 for r in results)}
