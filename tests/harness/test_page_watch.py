"""What the page watch says a tab loaded, for a message about a driver that never came: each
tab's own scripts, errors and console, never another tab's."""

from __future__ import annotations

from playwright.sync_api import BrowserContext

from harness.browser.page_watch import PageWatch

BROKEN = """<script>console.error("the app could not start");</script>
<script>throw new Error("boom at start-up");</script>
<script src="data:text/javascript,"></script>"""


def test_what_a_tab_loaded_is_told_by_its_own_events(context: BrowserContext) -> None:
    watch = PageWatch(context)
    broken, quiet = context.new_page(), context.new_page()
    broken.set_content(BROKEN)
    quiet.set_content("<p>nothing to see</p>")
    said = watch.loaded(broken)
    assert said.startswith("its scripts loaded; a script threw: "), said
    # The error's own text, not the page's URL in front of it.
    assert said.split("a script threw: ")[1].split(";")[0].endswith("boom at start-up"), said
    assert said.endswith("; first console error: the app could not start"), said
    assert watch.loaded(quiet) == "its scripts loaded; no console error"
