"""The flow panel (`--headed`, `--flow-panel`): the backend's journal, live, over the app,
out of reach of the app's scripts and of the checks (harness/browser/flow_panel.py)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page

from harness.browser import flow_panel
from harness.browser.driver import SpaDriver
from harness.browser.flow_lines import HIDDEN, flow_lines
from harness.browser.flow_panel import FlowPanel
from harness.fixtures.options import flow_panel_on
from harness.seam.facts import BackendFacts
from harness.seam.journal import Entry

if TYPE_CHECKING:
    from tests.harness.conftest import BrowserServers

T0 = 1_800_000_000.0


def _entry(seq: int, method: str, path: str, status: int | None, query: str = "",
           jti: str | None = None, **issued: Any) -> Entry:
    return Entry(seq=seq, start=T0 + seq / 100, end=None, method=method, path=path,
                 query=query, status=status, access_jti=jti, refresh_family=None,
                 refresh_generation=None, origin=None, **issued)


def _texts(entries: list[Entry], facts: BackendFacts) -> list[str]:
    return [line.text for line in flow_lines(entries, facts)]


def test_lines_name_tokens_by_issue_and_mark_the_refresh_and_the_retries(
        harness_facts: BackendFacts) -> None:
    login, refresh, items = harness_facts.login, harness_facts.refresh, harness_facts.list
    entries = [
        _entry(1, "POST", login.path, 200, issued_access_jti="j1", issued_access_token="A1"),
        # Two requests with the expired token, one refresh for both, each retried once.
        _entry(2, "GET", items.path, 401, "n=0", jti="j1"),
        _entry(3, "GET", items.path, 401, "n=1", jti="j1"),
        _entry(4, "POST", refresh.path, 200, issued_access_jti="j2", issued_access_token="A2"),
        _entry(5, "GET", items.path, 200, "n=0", jti="j2"),
        _entry(6, "GET", items.path, None, "n=1", jti="j2"),
    ]
    assert _texts(entries, harness_facts) == [
        f"POST {login.path} 200 → token 1",
        f"GET {items.path}?n=0 401  token 1",
        f"GET {items.path}?n=1 401  token 1",
        f"↻ POST {refresh.path} 200 → token 2",
        f"GET {items.path}?n=0 200  token 2  retry",
        f"GET {items.path}?n=1 …  token 2  retry",
    ]
    assert [line.kind for line in flow_lines(entries, harness_facts)] == [
        "ok", "failed", "failed", "refresh", "retry", "pending"]
    assert str(flow_lines(entries, harness_facts)[0]).endswith(f"  POST {login.path} 200 → "
                                                              "token 1")


def test_a_request_after_a_new_login_is_no_retry(harness_facts: BackendFacts) -> None:
    login, me = harness_facts.login, harness_facts.current_user
    entries = [
        _entry(1, "POST", login.path, 200, issued_access_jti="j1"),
        _entry(2, "GET", me.path, 401, jti="j1"),
        _entry(3, "POST", login.path, 200, issued_access_jti="j2"),
        _entry(4, "GET", me.path, 200, jti="j2"),
        _entry(5, "GET", me.path, 200, jti="forged"),
    ]
    assert _texts(entries, harness_facts)[3:] == [f"GET {me.path} 200  token 2",
                                                 f"GET {me.path} 200  unknown token"]


def test_a_token_value_in_a_path_or_query_never_reaches_the_page(
        harness_facts: BackendFacts) -> None:
    # S5 fails an app that puts its token in a URL; the panel must not copy it anywhere.
    token = "eyJhbGciOiJIUzI1NiJ9.payload-of-the-issued-token.signature"
    entries = [
        _entry(1, "POST", harness_facts.login.path, 200, issued_access_jti="j1",
               issued_access_token=token),
        _entry(2, "GET", f"{harness_facts.list.path}/{token}", 200, f"access_token={token}"),
    ]
    [line] = _texts(entries, harness_facts)[1:]
    assert token not in line and token[:12] not in line
    assert line.count(HIDDEN) == 2, line


def test_the_panel_keeps_the_newest_lines_without_files_or_preflights(
        harness_facts: BackendFacts) -> None:
    items = harness_facts.list.path
    entries = [_entry(1, "GET", "/app.js", 200), _entry(2, "OPTIONS", items, 204),
               *[_entry(n, "GET", items, 200, f"n={n}") for n in range(3, 63)]]
    lines = flow_lines(entries, harness_facts)
    assert len(lines) == 50 and lines[-1].text.startswith(f"GET {items}?n=62 200")


def test_the_page_script_has_no_timers_no_network_and_no_global() -> None:
    # No request the journal would record, nothing a faked page clock stops, nothing
    # on `window` but what it deletes.
    script = flow_panel._PANEL
    for word in ("fetch", "XMLHttpRequest", "WebSocket", "EventSource", "sendBeacon",
                 "setTimeout", "setInterval", "requestAnimationFrame", "localStorage",
                 "sessionStorage", "innerHTML"):
        assert word not in script, word
    assert not re.search(r"\b(window|globalThis|self)(\.\w+|\[\w+\])\s*=[^=]", script)
    assert 'attachShadow({ mode: "closed" })' in script


@pytest.mark.parametrize(("args", "ini", "headed", "on"), [
    ([], None, True, True),
    ([], None, False, False),
    (["--flow-panel"], None, False, True),
    ([], "true", False, True),
    ([], "false", True, False),
    (["--flow-panel"], "false", False, True),
], ids=["headed", "headless", "option", "ini-on", "ini-off-headed", "option-over-ini"])
def test_the_panel_shows_in_headed_runs_or_when_asked(
        pytester: pytest.Pytester, args: list[str], ini: str | None, headed: bool,
        on: bool) -> None:
    if ini is not None:
        pytester.makeini(f"[pytest]\nharness_flow_panel = {ini}\n")
    assert flow_panel_on(pytester.parseconfig(*args), headed=headed) is on


# Run in a pytest process of its own with --flow-panel, headless: a burst against the
# reference SPA, what the panel shows, and that the page shows none of it.
PANEL_CHECK = '''
import struct

from harness.browser.flow_panel import TAG
from harness.browser.page_probes import found_in_document, found_in_globals, found_in_storage

PAGE_TEXTS = """() => [document.body.innerText,
  [...document.querySelectorAll("*")].map((e) => e.textContent).join("\\\\n"),
  document.documentElement.outerHTML]"""
HOST = """(tag) => {
  const host = document.querySelector(tag);
  return { closed: host.shadowRoot === null, text: host.textContent,
           parent: host.parentElement === document.documentElement,
           attributes: host.getAttributeNames(), inBody: document.body.contains(host),
           globals: Object.getOwnPropertyNames(window).filter((n) => n.includes("Flow")) };
}"""


def test_panel_shows_the_burst(harness_spa, harness_backend, harness_facts,
                               _harness_flow_panel, page, request, tmp_path):
    panel = _harness_flow_panel
    items = harness_facts.list.path
    harness_spa.open("/")
    harness_spa.login()
    harness_backend.expire_access_token()
    assert [r.status for r in harness_spa.burst(5, items).results()] == [200] * 5
    shown = panel.wait_shown(page, "200 → token 2", *[f"?n={n} 200  token 2"
                                                     for n in range(5)])
    title, *lines = shown.splitlines()
    assert title == request.node.name
    assert sum("↻ POST" in line and "200 → token 2" in line for line in lines) == 1, shown
    # Each request answered 401 with the expired token went out again, marked.
    refused = sum(f"{items}?n=" in line and "401  token 1" in line for line in lines)
    assert refused >= 1 and shown.count("200  token 2  retry") == refused, shown
    # The element on screen, as a human sees it.
    png = page.locator(TAG).screenshot(path=tmp_path / "panel.png")
    width, height = struct.unpack(">II", png[16:24])
    assert width > 200 and height > 80, (width, height)
    # The app's DOM holds none of it, and the host shows nothing to scripts.
    for text in page.evaluate(PAGE_TEXTS):
        assert not [line for line in shown.splitlines() if line in text]
    host = page.evaluate(HOST, TAG)
    assert host == {"closed": True, "text": "", "parent": True, "attributes": [],
                    "inBody": False, "globals": []}, host
    # S4 and S5 find no token: only labels went into the page.
    issued = harness_backend.journal().issued()
    assert found_in_globals(page, issued.access_tokens) == []
    assert found_in_document(page, issued.access_tokens) == []
    assert found_in_storage(page, issued.all_values) == []
'''

# Loaded into that process: what the panel showed once each check's body ended (R2's
# burst of 10: once it shows all 10 answered with the new token).
PANEL_PROBE = '''
import pytest


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    try:
        return (yield)
    finally:
        panel, page = item.funcargs.get("_harness_flow_panel"), item.funcargs.get("page")
        if panel is not None and page is not None:
            name = item.name.split("[")[0]
            needles = ["→ token 2"]
            if name.startswith("test_R2_"):
                needles += [f"?n={n} 200  token 2" for n in range(10)]
            try:
                shown = panel.wait_shown(page, *needles)
            except TimeoutError as exc:
                shown = str(exc)
            with open(f"shown-{name}.txt", "w", encoding="utf-8") as out:
                out.write(shown)
'''


def test_panel_shows_the_flow_and_checks_still_pass_with_it(
        pytester: pytest.Pytester, browser_servers: BrowserServers) -> None:
    pytester.makepyfile(test_panel=PANEL_CHECK, panel_probe=PANEL_PROBE)
    result = pytester.runpytest_subprocess(
        "test_panel.py", "--pyargs", "harness.conformance", "-p", "panel_probe",
        "-k", "test_panel_shows or test_S5_ or (test_R2_ and 10])", "--flow-panel",
        *browser_servers.args("chromium"), "--topology", "same-origin", "--tracing", "off",
        "--screenshot", "off", "-p", "no:cacheprovider", "-v", timeout=240)
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.OK, output[-3000:]
    result.assert_outcomes(passed=3)
    # The checks ran with the panel on, and it followed them: S5's renewal, R2's burst.
    s5 = (pytester.path / "shown-test_S5_access_token_not_in_globals_url_history_dom_or_"
                          "console.txt").read_text()
    r2 = (pytester.path / "shown-test_R2_burst_of_expired_requests_shares_exactly_one_"
                          "refresh.txt").read_text()
    assert s5.startswith("test_S5_") and "↻ POST" in s5 and "→ token 2" in s5, s5
    # R2's burst: one refresh; the requests sent before it, retried; those queued behind
    # it, sent once with the new token (not marked).
    assert r2.startswith("test_R2_") and r2.count("↻ POST") == 2, r2  # the silent one too
    retried = r2.count("200  token 2  retry")
    assert retried >= 1 and r2.count("401  token 1") == retried, r2
    assert all(f"?n={n} 200  token 2" in r2 for n in range(10)), r2


def test_the_panel_is_there_exactly_when_the_run_asks_for_it(
        harness_spa: SpaDriver, _harness_flow_panel: FlowPanel | None, page: Page,
        request: pytest.FixtureRequest, browser_type_launch_args: dict[str, Any]) -> None:
    # This suite runs headless without --flow-panel: no panel, no element in the page.
    wanted = flow_panel_on(request.config, browser_type_launch_args.get("headless") is False)
    harness_spa.open("/")
    present = page.evaluate("(tag) => document.querySelector(tag) !== null", flow_panel.TAG)
    assert (_harness_flow_panel is not None) is present is wanted
