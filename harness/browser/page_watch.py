"""What the browser saw during a check: page errors, requests in flight, console, URLs.

Attached to a browser context before its first page opens, so it covers every tab. It
is the evidence for the hygiene checks (H1, H2) and for the leak checks that look at
the console and the URLs (S5) or at headers as the browser sent them (A2, A3, R5).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Error,
    Frame,
    Page,
    Request,
    Response,
)


@dataclass(frozen=True)
class SentRequest:
    """A request as the browser put it on the wire (headers in lower case)."""

    method: str
    url: str
    headers: dict[str, str]
    body: str | None


@dataclass
class PageWatch:
    context: BrowserContext
    app_origin: str | None = None
    page_errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    # For a page whose driver never came, each by its page: the scripts that did not load,
    # the errors scripts threw, and the errors the app logged (a request's error status is
    # the browser's note, not the app's).
    failed_scripts: list[tuple[Page | None, str]] = field(default_factory=list)
    thrown: list[tuple[Page, str]] = field(default_factory=list)
    console_errors: list[tuple[Page, str]] = field(default_factory=list)
    _in_flight: dict[int, Request] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.context.on("page", _listener(self._watch_page))
        self.context.on("request", _listener(self._on_request))
        # Settled means answered (headers in) or failed: whether the app then reads the body
        # is its own business, and Chromium reports `requestfinished` only once it does. Not
        # listened to: it follows a `response`, which already settled the request.
        self.context.on("response", _listener(self._on_response))
        self.context.on("requestfailed", _listener(self._on_failed))
        for page in self.context.pages:
            self._watch_page(page)

    def _watch_page(self, page: Page) -> None:
        # Unhandled promise rejections reach `pageerror` too, in Chromium and Firefox.
        page.on("pageerror", _listener(lambda error: self._on_page_error(page, error)))
        page.on("console", _listener(lambda message: self._on_console(page, message)))
        page.on("framenavigated", _listener(self._on_navigated))
        page.on("close", _listener(self._forget))

    def _on_page_error(self, page: Page, error: Error) -> None:
        self.thrown.append((page, str(error)))
        # Only the app's pages count: a check may open another site's page (X1) on purpose.
        if self.app_origin is None or page.url.startswith(self.app_origin):
            self.page_errors.append(f"{page.url}: {error}")

    def _on_console(self, page: Page, message: ConsoleMessage) -> None:
        self.console.append(message.text)
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append((page, message.text))

    def _on_navigated(self, frame: Frame) -> None:
        self.urls.append(frame.url)

    def _on_request(self, request: Request) -> None:
        if request.url.startswith(("data:", "blob:")):
            return
        if request.is_navigation_request() and request.frame.parent_frame is None:
            # A new document replaces the page: what the old one still had in flight is
            # cancelled by the browser, which does not always report it.
            self._forget(request.frame.page)
        self._in_flight[id(request)] = request
        self.requests.append(request)

    def _forget(self, page: Page) -> None:
        """What `page` had in flight: cancelled with its document or the closed tab."""
        for key, pending in list(self._in_flight.items()):
            if page_of(pending) is page:
                del self._in_flight[key]

    def _on_response(self, response: Response) -> None:
        request = response.request
        self._on_settled(request)
        if response.status >= 400 and request.resource_type == "script":
            self.failed_scripts.append((page_of(request), f"{request.url} ({response.status})"))

    def _on_failed(self, request: Request) -> None:
        self._on_settled(request)
        if request.resource_type == "script":
            self.failed_scripts.append((page_of(request),
                                        f"{request.url} ({request.failure or 'failed'})"))

    def _on_settled(self, request: Request) -> None:
        self._in_flight.pop(id(request), None)

    def loaded(self, page: Page) -> str:
        """What `page` loaded, in a sentence: its scripts that failed, an error a script
        threw, the first error the app logged."""
        failed, thrown, logged = ([said for where, said in notes if where is page] for notes in
                                  (self.failed_scripts, self.thrown, self.console_errors))
        return (("its scripts loaded" if not failed
                 else "scripts that failed to load: " + ", ".join(failed[:3]))
                + (f"; a script threw: {_one_line(thrown[0])}" if thrown else "")
                + (f"; first console error: {_one_line(logged[0])}" if logged
                   else "; no console error"))

    def in_flight(self) -> list[str]:
        return [f"{r.method} {r.url}" for r in self._in_flight.values()]

    def wait_settled(self, page: Page, timeout: float = 5.0) -> list[str]:
        """Let the browser deliver the events of requests that just ended; what is left."""
        deadline = time.monotonic() + timeout
        while self._in_flight and time.monotonic() < deadline and not page.is_closed():
            page.evaluate("0")  # a round trip lets Playwright dispatch pending events
        return self.in_flight()

    def sent_to(self, url_part: str) -> list[SentRequest]:
        """Requests whose URL contains `url_part`, with headers as they went out."""
        return [_as_sent(r) for r in self.requests if url_part in r.url]


_ONE_ARGUMENT = inspect.Signature([inspect.Parameter("event", inspect.Parameter.POSITIONAL_ONLY)])


def _listener(handle: Callable[[Any], None]) -> Callable[[Any], None]:
    """`handle` as an event listener whose signature is known in advance. Playwright's sync
    API looks up a listener's signature on every event it delivers (to pass as many
    arguments as the listener takes); for a plain function or a bound method that is an
    `inspect.signature` each time, about 5% of this process's main thread over a suite.
    A set `__signature__` is what `inspect.signature` returns at once."""

    def listener(event: Any, /) -> None:
        handle(event)

    listener.__signature__ = _ONE_ARGUMENT  # type: ignore[attr-defined]
    return listener


def _as_sent(request: Request) -> SentRequest:
    try:
        headers = request.all_headers()  # the raw headers, Cookie and Authorization included
    except Error:  # the page went away before they could be read
        headers = request.headers
    return SentRequest(request.method, request.url, {k.lower(): v for k, v in headers.items()},
                       request.post_data)


def page_of(request: Request) -> Page | None:
    try:
        return request.frame.page
    except Error:  # a service worker's request has no frame
        return None


def _one_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 160 else line[:159] + "…"
