"""Browsers and the backend exactly as the harness starts them, for measurements that
drive Playwright without pytest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Playwright

from harness.browsers import resolve
from harness.live_server import LiveServer
from harness.server_fixtures import TEST_SECRET
from mock_backend import Settings, create_app
from mock_backend.config import default_spa_dir


def launch(playwright: Playwright, engine: str) -> Browser:
    """The launch of harness.browser_fixtures: the resolved binary, headless, same args."""
    choice = resolve(engine)
    options: dict[str, Any] = {**choice.launch_args,
                               "args": list(choice.launch_args.get("args", []))}
    browser: Browser = getattr(playwright, engine).launch(**options)
    return browser


def harness_settings() -> Settings:
    """The harness backend's default settings (server_fixtures.harness_backend_settings)."""
    return Settings(test_control=True, secret=TEST_SECRET, spa_dir=default_spa_dir())


@contextmanager
def harness_backend() -> Iterator[LiveServer]:
    """The backend in a thread of this process on a free port, as the plugin serves it."""
    with LiveServer(create_app(harness_settings())) as server:
        yield server


def app_context(browser: Browser, api_base_url: str) -> BrowserContext:
    """A fresh context with `window.authHarnessConfig` injected before any app script."""
    context = browser.new_context()
    context.add_init_script(config_script(api_base_url))
    return context


def config_script(api_base_url: str) -> str:
    """The init script of the `harness_spa` fixture."""
    return f"window.authHarnessConfig = {json.dumps({'apiBaseUrl': api_base_url})};"
