"""What a failed check leaves behind, next to pytest-playwright's trace and screenshot."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from harness.browser.page_watch import PageWatch
from harness.seam.client import BackendClient
from harness.verdicts import drawn, picture, tabs, timeline
from harness.verdicts.verdict import H1_PROPERTY, H2_PROPERTY

TIMELINE_FILE = "journal-timeline.txt"
PICTURE_FILE = "journal-timeline.svg"
# Set when the harness takes the screenshots of failed checks (`--screenshot` not given).
OWN_SCREENSHOTS = pytest.StashKey[bool]()
# A failed check's journal as its timeline drew it, once written (for the report).
DRAWN = pytest.StashKey[list[drawn.Drawn]]()


def failed(item: pytest.Item) -> bool:
    """Whether the test body failed (pytest-playwright keeps each phase's report)."""
    report = getattr(item, "rep_call", None)
    return bool(report is not None and report.failed)


def write_timeline(output_path: str, backend: BackendClient,
                   item: pytest.Item | None = None) -> None:
    """The backend journal as a timeline, in words (`journal-timeline.txt`) and as a picture
    (`journal-timeline.svg`): each request in the lane of the tab that sent it, and marked
    where the failure of `item`'s check is about it; the picture's requests are kept on
    `item` (`DRAWN`), for the report. Best effort: a dead backend must not mask the
    failure."""
    svg = ""
    try:
        journal = backend.journal()
        lanes = tabs.lanes_of(item, journal)
        known = lanes if set(lanes.values()) - {tabs.APP} else None  # no page watch: no tabs
        text = timeline.render([e.as_dict() for e in journal], journal.facts.is_api, known)
        shown = drawn.of_item(item, journal, lanes)
        svg = picture.svg(shown)
        if item is not None:
            item.stash[DRAWN] = shown
    except Exception as exc:  # noqa: BLE001 - the failure being reported matters more
        text = f"(journal unavailable: {exc})\n"
    folder = Path(output_path)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / TIMELINE_FILE).write_text(text)
    if svg:
        (folder / PICTURE_FILE).write_text(svg)


def screenshot_pages(output_path: str, context: BrowserContext) -> None:
    """Every open tab as `test-failed-N.png`, the names pytest-playwright gives them."""
    folder = Path(output_path)
    folder.mkdir(parents=True, exist_ok=True)
    for index, page in enumerate(context.pages, start=1):
        try:
            page.screenshot(path=folder / f"test-failed-{index}.png", timeout=5_000)
        except Exception:  # noqa: BLE001 - a closed or crashed tab must not mask the failure
            continue


def hygiene_problems(watch: PageWatch, page: Page, check: str) -> list[str]:
    """H1 and H2, which every check is held to when it ends (docs/checks.md)."""
    problems = []
    if watch.page_errors:
        problems.append(f"H1: {H1_PROPERTY} — {len(watch.page_errors)} during {check}")
        problems += [f"  {e}" for e in watch.page_errors]
    left = watch.wait_settled(page)
    if left:
        problems.append(f"H2: {H2_PROPERTY} — {len(left)} still without an answer after "
                        f"{check}")
        problems += [f"  {r}" for r in left]
    return problems
