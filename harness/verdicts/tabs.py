"""Which tab sent each request of the backend's journal.

The journal cannot know: the backend sees requests, not tabs, and the harness adds nothing to
the app's traffic to tell them apart. The browser knows, and the page watch
(harness/browser/page_watch.py) hears every tab's requests: a journal entry takes the tab of
the first browser request not yet matched with the same method, path and query, and the
same status where the browser saw the answer (two tabs that send the same request at once
are then still told apart by what each was answered). Tabs are numbered in the order of
their first request. An entry no tab sent is the check's own, from outside the browser (a
replayed cookie, a probe); without a page watch every entry is in one lane, the app's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import Page

from harness.browser.page_watch import PageWatch, page_of
from harness.seam.journal import Entry

APP = "app"  # the one lane when the tabs are unknown
OUTSIDE = "outside the browser"  # the check's own requests (a replay, a probe)

# The page watch of a test's browser context, for the pictures of its failure.
PAGE_WATCH = pytest.StashKey[PageWatch]()


@dataclass(frozen=True)
class SentByTab:
    """A request as one tab of the browser sent it."""

    tab: int  # 1 for the tab whose first request came first
    method: str
    path: str  # as the backend reads it: percent-decoded
    query: str
    status: int | None  # the answer's, where the browser saw one


def tab_name(number: int) -> str:
    return f"tab {number}"


def sent_by_tab(watch: PageWatch) -> list[SentByTab]:
    """Every request the watch heard, with its tab. Reads only what the browser's events
    already brought, so it works after the context closed."""
    numbers: dict[Page, int] = {}
    sent = []
    for request in list(watch.requests):
        page = page_of(request)
        if page is None:  # a service worker's request: no tab of its own
            continue
        number = numbers.setdefault(page, len(numbers) + 1)
        url = urlsplit(request.url)
        answer = request.existing_response
        sent.append(SentByTab(number, request.method, unquote(url.path), url.query,
                              answer.status if answer is not None else None))
    return sent


def lanes(entries: Iterable[Entry], sent: Sequence[SentByTab] | None) -> dict[int, str]:
    """Each entry's lane by its seq: `tab N`, `outside the browser`, or `app` for every
    entry when the tabs are unknown (`sent` None)."""
    entries = sorted(entries, key=lambda e: e.seq)
    if sent is None:
        return {e.seq: APP for e in entries}
    waiting: dict[tuple[str, str, str], list[SentByTab]] = defaultdict(list)
    for request in sent:
        waiting[(request.method, request.path, request.query)].append(request)
    found = {}
    for entry in entries:
        candidates = waiting.get((entry.method, entry.path, entry.query))
        if not candidates:
            found[entry.seq] = OUTSIDE
            continue
        chosen = next((c for c in candidates if c.status == entry.status), None) or next(
            (c for c in candidates if c.status is None), candidates[0])
        candidates.remove(chosen)
        found[entry.seq] = tab_name(chosen.tab)
    return found


def lanes_of(item: pytest.Item | None, entries: Iterable[Entry]) -> dict[int, str]:
    """The lanes of a test's journal entries, from its page watch when it had one."""
    watch = item.stash.get(PAGE_WATCH, None) if item is not None else None
    return lanes(entries, sent_by_tab(watch) if watch is not None else None)
