"""Time that moves by clocks: the backend's clock and each page's `page.clock`, together.

Token expiry is decided by the backend's clock; when an app refreshes early (inside a skew
window before `exp`) is decided by the page's. Moving both by the same amount keeps them in
step, so fifteen minutes pass in a few milliseconds of wall time.
"""

from __future__ import annotations

from playwright.sync_api import Page

from harness.seam.client import BackendClient


class TimeControl:
    def __init__(self, backend: BackendClient) -> None:
        self._backend = backend
        self._pages: list[Page] = []

    def install(self, page: Page) -> Page:
        """Put `page` under clock control; call before it loads the app."""
        page.clock.install()
        self._pages.append(page)
        return page

    def advance(self, seconds: float) -> None:
        """Move the backend clock and every installed page clock forward by `seconds`.

        Page timers that fall due run once (Playwright's `fast_forward`).
        """
        self._backend.advance_clock(seconds)
        for page in self._pages:
            if not page.is_closed():
                page.clock.fast_forward(int(seconds * 1000))
