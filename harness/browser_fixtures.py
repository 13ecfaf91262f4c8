"""Overrides of pytest-playwright's browser launch, registered after pytest-playwright.

They keep every pytest-playwright option (`--headed`, `--slowmo`, `--browser-channel`,
`connect_options`) and add one thing: when Playwright's own browser is not installed, the
system browser is launched instead, and with neither the run stops with one line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserType

from harness.browsers import NoBrowserError, camel_case_options, resolve
from harness.options import HTTPS_CHOICE


@pytest.fixture(scope="session")
def launch_browser(browser_type_launch_args: dict[str, Any], browser_type: BrowserType,
                   connect_options: dict[str, Any] | None,
                   browser_name: str) -> Callable[..., Browser]:
    def launch(**kwargs: Any) -> Browser:
        options = {**browser_type_launch_args, **kwargs}
        if connect_options:
            # The browser server launches the browser itself, with these options; it reads
            # them in its own (camelCase) spelling.
            launch_options = json.dumps(camel_case_options(options))
            return browser_type.connect(**{**connect_options, "headers": {
                "x-playwright-launch-options": launch_options,
                **(connect_options.get("headers") or {})}})
        if "channel" not in options and "executable_path" not in options:
            try:
                choice = resolve(browser_name)
            except NoBrowserError as exc:
                pytest.exit(str(exc), returncode=4)
            extra_args = choice.launch_args.get("args", [])
            options = {**choice.launch_args, **options,
                       "args": [*extra_args, *options.get("args", [])]}
        return browser_type.launch(**options)

    return launch


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any],
                         pytestconfig: pytest.Config) -> dict[str, Any]:
    """pytest-playwright's context arguments; when the harness serves https (`--https`,
    WebKit) the test CA's certificate is accepted."""
    choice = pytestconfig.stash.get(HTTPS_CHOICE, None)
    if choice is not None and choice.on:
        return {**browser_context_args, "ignore_https_errors": True}
    return browser_context_args
