"""The flow panel: the backend's journal, live, over any app under test (`--headed`,
`--flow-panel`). Each API request with its status and the token it carried, the refresh
marked, retries marked (the lines are harness/browser/flow_lines.py's).

How the lines get into the page, and why this way:

- **The harness reads the journal, not the page.** A thread of the test process (`FlowFeed`)
  long-polls `POST /__harness/journal/wait` with a client of its own: one request per change,
  answered by the backend the moment a request begins or is answered. The page sends
  nothing the journal or the page's network could record.
- **The page asks, the harness answers when there is news.** Playwright's sync API belongs to
  the test's thread, so the feed thread never touches it. The panel calls a binding,
  `pull(version)`: a message over Playwright's own connection, not a network request. The
  binding answers with a coroutine, which Playwright awaits on its event loop; the feed wakes
  it with `call_soon_threadsafe`, the one thread-safe way into an asyncio loop. So a page
  holds one pending call and never polls. Answers travel while the test's thread is inside
  a Playwright call, which is whenever a check waits on the page. If the check waits only on
  the backend, the panel catches up at its next call.
- **The app cannot see inside it.** The panel is a `<harness-flow-panel>` element with no
  attributes, a child of `<html>` rather than of `<body>`, so `document.body.innerText` and
  `data-testid` lookups never meet it. Its lines sit in a *closed* shadow root:
  `host.shadowRoot` is null, no selector or locator reaches inside, and the document's
  `textContent` and `outerHTML` leave them out. The init script keeps its state in a closure.
  It deletes the binding's global before any app script runs; Playwright's own
  `__playwright__binding__*` objects stay, as they do for any binding. It uses no timers,
  so a page clock that a check installs cannot stop it. Only labels (`token 2`) reach the
  page, never a token value (checks S4 and S5).
- **A test reads what the page shows without a way in.** Each `pull` carries the text that
  the panel showed for the previous answer. The script that owns the root reads it there, so
  the harness knows what the page displays (`FlowPanel.shown`, `wait_shown`). The element
  itself can be screenshotted through `page.locator(TAG)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import ssl
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import BrowserContext, Page

from harness.browser.flow_lines import FlowLine, flow_lines
from harness.seam.client import BackendClient
from harness.seam.facts import BackendFacts
from harness.seam.journal import Entry

# The panel's element, the one thing of it in the app's DOM (a child of <html>).
TAG = "harness-flow-panel"
# How long one long-poll of the journal may wait. A closed feed's thread ends with its last
# wait, and a backend shutting down waits for that wait too, so this stays short.
WAIT_S = 2.0
# How long `wait_shown` waits for the panel to show lines by default.
SHOWN_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class View:
    """What the panel shows: a title (the check's name) and the newest lines."""

    version: int
    title: str
    lines: tuple[FlowLine, ...]

    def as_json(self) -> dict[str, Any]:
        return {"version": self.version, "title": self.title,
                "lines": [{"time": x.time, "text": x.text, "kind": x.kind} for x in self.lines]}


class FlowFeed:
    """The panel's view, kept current by a thread that follows the backend's journal."""

    def __init__(self, backend_url: str, verify: ssl.SSLContext | bool, facts: BackendFacts,
                 title: str) -> None:
        self._backend_url, self._verify, self._facts = backend_url, verify, facts
        self._lock = threading.Lock()
        self._view = View(1, title, ())
        self._waiters: list[asyncio.Future[View | None]] = []
        self._closed = False
        self._thread = threading.Thread(target=self._follow, name=f"flow panel: {title}",
                                        daemon=True)

    @property
    def view(self) -> View:
        with self._lock:
            return self._view

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Every pending `newer_than` answers None; the thread ends with its current wait."""
        with self._lock:
            self._closed = True
            waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            _wake(waiter, None)

    async def newer_than(self, version: int) -> View | None:
        """The view once it is newer than `version` (at once if it is); None once closed.
        Awaited on Playwright's event loop."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._closed:
                return None
            if self._view.version > version:
                return self._view
            waiter: asyncio.Future[View | None] = loop.create_future()
            self._waiters.append(waiter)
        return await waiter

    def _publish(self, lines: tuple[FlowLine, ...]) -> None:
        with self._lock:
            if lines == self._view.lines:
                return
            self._view = View(self._view.version + 1, self._view.title, lines)
            view, (waiters, self._waiters) = self._view, (self._waiters, [])
        for waiter in waiters:
            _wake(waiter, view)

    def _follow(self) -> None:
        seen: dict[int, Entry] = {}
        try:
            with BackendClient(self._backend_url, verify=self._verify,
                               facts=self._facts) as client:
                while not self._closed:
                    after, count, answered = _next_wait(seen)
                    met, journal = client.wait_journal(after, count=count, answered=answered,
                                                       timeout=WAIT_S)
                    if not met and seen and client.mark() < max(seen):
                        seen.clear()  # the journal was reset: follow the new one
                        continue
                    seen.update((e.seq, e) for e in journal)
                    self._publish(tuple(flow_lines([seen[s] for s in sorted(seen)],
                                                   self._facts)))
        except Exception as exc:  # noqa: BLE001 - a thread that raises would fail the test
            if not self._closed:  # the backend went away mid-test: say so, once
                gone = FlowLine("--:--:--.---", f"(journal unavailable: {exc})", "failed")
                self._publish((*self.view.lines, gone))


def _next_wait(seen: dict[int, Entry]) -> tuple[int, int, bool | None]:
    """The next long-poll, as (after, count, answered). With requests in flight: the next
    answer after the oldest of them (a new request shows with it). Otherwise the next
    request to begin, so that one held in flight (a gated refresh) shows as pending."""
    pending = [seq for seq, e in seen.items() if e.status is None]
    if not pending:
        return max(seen, default=0), 1, None
    after = min(pending) - 1
    answered = sum(1 for seq, e in seen.items() if seq > after and e.status is not None)
    return after, answered + 1, True


def _wake(waiter: asyncio.Future[View | None], view: View | None) -> None:
    # A closed loop refuses the call: nobody is waiting any more.
    with contextlib.suppress(RuntimeError):
        waiter.get_loop().call_soon_threadsafe(_resolve, waiter, view)


def _resolve(waiter: asyncio.Future[View | None], view: View | None) -> None:
    if not waiter.done():
        waiter.set_result(view)


class FlowPanel:
    """The panel in every page of one browser context, fed by a `FlowFeed`."""

    def __init__(self, context: BrowserContext, feed: FlowFeed) -> None:
        self.feed = feed
        self._shown: dict[Page, str] = {}
        # A name no app script can guess; the init script deletes its global at once.
        binding = f"__harnessFlow{secrets.token_hex(8)}"
        context.expose_binding(binding, self._pull)
        context.add_init_script(f"({_PANEL})({json.dumps([binding, TAG, _CSS])})")

    def _pull(self, source: dict[str, Any], version: object,
              shown: object) -> Coroutine[Any, Any, dict[str, Any] | None]:
        """The binding: note what the page's panel showed, answer with the next view."""
        page = source.get("page")
        if isinstance(page, Page) and isinstance(shown, str):
            self._shown[page] = shown
        return self._answer(int(version) if isinstance(version, int | float) else 0)

    async def _answer(self, version: int) -> dict[str, Any] | None:
        view = await self.feed.newer_than(version)
        return None if view is None else view.as_json()

    def shown(self, page: Page) -> str | None:
        """The text the panel on `page` reported showing last: its title, then its lines."""
        return self._shown.get(page)

    def wait_shown(self, page: Page, *needles: str,
                   timeout: float = SHOWN_TIMEOUT_S) -> str:
        """What the panel on `page` shows once it shows every one of `needles`;
        `TimeoutError` after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.shown(page) or ""
            if all(needle in text for needle in needles):
                return text
            if time.monotonic() > deadline:
                missing = [n for n in needles if n not in text]
                raise TimeoutError(f"the flow panel did not show {missing} within "
                                   f"{timeout:.0f} s; it shows:\n{text}")
            page.evaluate("0")  # a round trip lets Playwright deliver the panel's reports


@contextlib.contextmanager
def flow_panel(context: BrowserContext, backend_url: str, verify: ssl.SSLContext | bool,
               facts: BackendFacts, title: str) -> Iterator[FlowPanel]:
    """The panel over every page `context` opens from now on, titled `title`, following the
    journal of the backend at `backend_url`."""
    feed = FlowFeed(backend_url, verify, facts, title)
    panel = FlowPanel(context, feed)
    feed.start()
    try:
        yield panel
    finally:
        feed.close()


_CSS = """
:host { all: initial !important; display: block !important; position: fixed !important;
        right: 8px !important; bottom: 8px !important; z-index: 2147483647 !important;
        pointer-events: none !important; }
section { font: 11px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
          color: #e8e8e8; background: rgba(18, 18, 24, 0.84); border-radius: 6px;
          padding: 4px 8px; max-width: min(620px, 92vw);
          box-shadow: 0 2px 10px rgba(0, 0, 0, 0.35); }
header { display: flex; gap: 8px; align-items: center; }
header span { flex: 1; font-weight: bold; overflow: hidden; text-overflow: ellipsis;
              white-space: nowrap; }
button { pointer-events: auto; font: inherit; color: inherit; cursor: pointer; border: 0;
         border-radius: 3px; padding: 0 6px; background: rgba(255, 255, 255, 0.16); }
ol { list-style: none; margin: 4px 0 0; padding: 0; max-height: 40vh; overflow: hidden;
     display: flex; flex-direction: column; justify-content: flex-end; }
ol[hidden] { display: none; }
li { white-space: pre; overflow: hidden; text-overflow: ellipsis; }
.refresh { color: #ffd166; }
.retry { color: #8ecae6; }
.failed { color: #ff8c8c; }
.pending { color: #9a9a9a; }
"""

# The init script: the panel in the top document of each page, its state in this closure.
# Every text goes in through `textContent`. No timers: a faked page clock cannot stop it.
_PANEL = """([binding, tag, css]) => {
  const pull = globalThis[binding];
  delete globalThis[binding];
  if (typeof pull !== "function" || window !== window.top) return;
  const make = Document.prototype.createElement.bind(document);
  const host = make(tag);
  const root = host.attachShadow({ mode: "closed" });
  const [style, panel, head, title, toggle, list] =
    ["style", "section", "header", "span", "button", "ol"].map((name) => make(name));
  style.textContent = css;
  toggle.type = "button";
  toggle.textContent = "\u2013";
  toggle.addEventListener("click", (event) => {
    event.stopPropagation();
    list.hidden = !list.hidden;
    toggle.textContent = list.hidden ? "+" : "\u2013";
  });
  head.append(title, toggle);
  panel.append(head, list);
  root.append(style, panel);
  // Once the document is parsed, after <body>; again if the app ever removes it.
  const attach = () => {
    const html = document.documentElement;
    if (html && !host.isConnected && document.readyState !== "loading") html.append(host);
  };
  const render = (view) => {
    title.textContent = view.title;
    list.replaceChildren(...view.lines.map((line) => {
      const item = make("li");
      item.className = line.kind;
      item.textContent = `${line.time}  ${line.text}`;
      return item;
    }));
    attach();
    return [title, ...list.children].map((element) => element.textContent).join("\\n");
  };
  let version = 0;
  let shown = null;
  const follow = () => pull(version, shown).then((view) => {
    if (!view) return;  // the harness closed the panel: it keeps its last lines
    shown = render(view);
    version = view.version;
    follow();
  }).catch(() => {});  // the page or its context is closing: nothing more to show
  document.addEventListener("readystatechange", attach);
  follow();
}"""
