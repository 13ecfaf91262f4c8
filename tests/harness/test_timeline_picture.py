"""The request timeline as a picture (harness/verdicts/picture.py): lanes per tab, every
request labelled, refreshes apart with their outcome, a time axis, the failure's requests
marked, bursts folded; and how each journal entry finds its tab (harness/verdicts/tabs.py)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from harness.browser.flow_lines import HIDDEN
from harness.seam.facts import BackendFacts
from harness.seam.journal import Entry, Journal, Request
from harness.verdicts import tabs
from harness.verdicts.drawn import Drawn, drawn_requests
from harness.verdicts.picture import burst_pictures, svg
from harness.verdicts.verdict import CheckFailure, Verdict

SVG = "{http://www.w3.org/2000/svg}"
T0 = 1_800_000_000.0


def _entry(seq: int, at: float, method: str, path: str, status: int | None, query: str = "",
           jti: str | None = None, **more: Any) -> Entry:
    return Entry(seq=seq, start=T0 + at, end=None if status is None else T0 + at + 0.004,
                 method=method, path=path, query=query, status=status, access_jti=jti,
                 refresh_family=None, refresh_generation=None, origin=None, **more)


def _texts(picture: str) -> list[str]:
    return ["".join(t.itertext()) for t in ET.fromstring(picture).iter(f"{SVG}text")]


def _two_tabs(facts: BackendFacts) -> Journal:
    """Two tabs' expired requests, a refresh from each: the second superseded."""
    login, refresh, jobs = facts.login.path, facts.refresh.path, facts.list.path
    return Journal([
        _entry(1, 0.0, "POST", login, 200, issued_access_jti="j1", issued_access_token="A1"),
        # The backend's clock moves 15 minutes: the token expires.
        _entry(2, 900.0, "GET", jobs, 401, "tab=first&n=0", jti="j1"),
        _entry(3, 900.01, "GET", jobs, 401, "tab=second&n=0", jti="j1"),
        _entry(4, 900.02, "POST", refresh, 200, issued_access_jti="j2", issued_access_token="A2"),
        _entry(5, 900.03, "POST", refresh, 401, refusal="superseded"),
        _entry(6, 900.05, "GET", jobs, 200, "tab=first&n=0", jti="j2"),
        _entry(7, 900.06, "GET", jobs, None, "tab=second&n=0", jti="j2"),
        _entry(8, 900.07, "OPTIONS", jobs, 204),  # a preflight: the browser's, never drawn
    ], facts)


def test_each_request_is_labelled_in_its_tabs_lane_and_each_refresh_says_its_outcome(
        harness_facts: BackendFacts) -> None:
    lanes = {1: "tab 1", 2: "tab 1", 3: "tab 2", 4: "tab 1", 5: "tab 2", 6: "tab 1",
             7: "tab 2"}
    drawn = drawn_requests(_two_tabs(harness_facts), lanes, highlight=[4, 5])
    texts = _texts(svg(drawn))
    jobs, refresh = harness_facts.list.path, harness_facts.refresh.path
    # The lanes, named, in order.
    assert [t for t in texts if t.startswith("tab ")] == ["tab 1", "tab 2"]
    # Every request: method, path and query, status, the token it carried or was handed.
    row = texts.index(f"GET {jobs}?tab=second&n=0")
    assert texts[row:row + 3] == [f"GET {jobs}?tab=second&n=0", "401", "token 1"]
    row = texts.index(f"POST {harness_facts.login.path}")
    assert texts[row:row + 3] == [f"POST {harness_facts.login.path}", "200", "→ token 1"]
    # The refreshes apart, with their outcome: the new token, or why it was refused.
    refreshes = [i for i, t in enumerate(texts) if t == f"↻ POST {refresh}"]
    assert [texts[i + 1:i + 3] for i in refreshes] == [["200", "→ token 2"],
                                                       ["401", "refused: superseded"]]
    assert texts.count("…") == 1  # the request still waiting for its answer
    # A time axis with ticks, the clock's jump drawn as a break; the failure's two marked.
    assert texts[texts.index("0") + 1].endswith(" ms") and "+15 min" in texts
    assert texts.count("◆") == 2
    assert not any("OPTIONS" in t for t in texts)


def test_a_burst_folds_into_a_row_that_counts_its_answers_and_opens_to_each_request(
        harness_facts: BackendFacts) -> None:
    jobs = harness_facts.list.path
    entries = [_entry(1, 0.0, "POST", harness_facts.login.path, 200, issued_access_jti="j1")]
    entries += [_entry(2 + i, 900 + i / 1000, "GET", jobs, 401, f"n={i}", jti="j1")
                for i in range(100)]
    entries += [_entry(102 + i, 900.2 + i / 1000, "GET", jobs, 200, f"n={i}", jti="j2")
                for i in range(100)]
    drawn = drawn_requests(Journal(entries, harness_facts))
    picture = svg(drawn)
    texts = _texts(picture)
    assert f"GET {jobs} ×200" in texts and "100 × 401" in texts and "100 × 200" in texts
    assert f"GET {jobs}?n=99" not in texts[:texts.index("(open)")]  # folded on the picture
    # The SVG file opens it on a click (`#burst-1`); the report in a <details>.
    burst = next(g for g in ET.fromstring(picture).iter(f"{SVG}g") if g.get("id") == "burst-1")
    shown = ["".join(t.itertext()) for t in burst.iter(f"{SVG}text")]
    assert shown.count(f"GET {jobs}?n=99") == 2 and 'href="#burst-1"' in picture
    [(said, rows)] = burst_pictures(drawn)
    assert said.startswith(f"burst 1: GET {jobs} ×200 in app") and \
        _texts(rows).count(f"GET {jobs}?n=0") == 2


def test_a_journal_entry_takes_the_tab_that_sent_it_told_apart_by_its_answer() -> None:
    def sent(tab: int, query: str, status: int | None) -> tabs.SentByTab:
        return tabs.SentByTab(tab, "POST" if not query else "GET", "/api/x", query, status)

    entries = [_entry(1, 0, "POST", "/api/x", 401), _entry(2, 0.1, "POST", "/api/x", 200),
               _entry(3, 0.2, "GET", "/api/x", 200, "n=1"),
               _entry(4, 0.3, "GET", "/api/x", 200, "n=2")]
    # Both tabs refreshed at once: the browser saw tab 1's answered 200, tab 2's 401.
    browser = [sent(1, "", 200), sent(2, "", 401), sent(2, "n=1", None)]
    assert tabs.lanes(entries, browser) == {1: "tab 2", 2: "tab 1", 3: "tab 2",
                                            4: tabs.OUTSIDE}
    assert set(tabs.lanes(entries, None).values()) == {tabs.APP}


def test_the_verdicts_requests_are_marked_and_no_token_value_is_drawn(
        harness_facts: BackendFacts) -> None:
    jobs = harness_facts.list.path
    journal = Journal([
        _entry(1, 0, "POST", harness_facts.login.path, 200, issued_access_token="SECRET"),
        _entry(2, 1, "GET", jobs, 401, "n=1"), _entry(3, 1, "GET", jobs, 401, "n=10"),
        _entry(4, 1, "GET", jobs, 200, "token=SECRET"), _entry(5, 2, "GET", jobs, 200, "n=1")],
        harness_facts)
    # A request the verdict names is marked in every attempt; a seq, that entry alone; no
    # other request, whatever a failure's words may say of it.
    drawn = drawn_requests(journal, highlight=[Request("GET", jobs, "n=1"), 4])
    assert [d.seq for d in drawn if d.highlight] == [2, 4, 5]
    assert not any(d.highlight for d in drawn_requests(journal))
    assert drawn[3].query == f"token={HIDDEN}" and "SECRET" not in svg(drawn)
    # What the report carries to the pytest-xdist controller comes back the same.
    assert [Drawn.from_json(json.loads(json.dumps(d.as_json()))) for d in drawn] == drawn


def test_a_verdict_names_the_requests_its_failure_is_about() -> None:
    verdict = Verdict("R2")
    with pytest.raises(CheckFailure) as failed:
        verdict.require(False, "share exactly one refresh", "the journal has 2 refreshes",
                        highlight=[4, Request("GET", "/api/job-list", "n=3")])
    assert failed.value.highlight == (4, Request("GET", "/api/job-list", "n=3"))
    assert verdict.failure is failed.value
    assert "4" not in str(failed.value)  # marks for the pictures, never words
