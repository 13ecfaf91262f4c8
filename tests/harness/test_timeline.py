"""The journal timeline written next to a failed check's trace."""

from __future__ import annotations

from harness.verdicts import timeline


def _entry(seq: int, start: float, path: str, status: int | None, **extra: object) -> dict:
    return {"seq": seq, "start": start, "end": None if status is None else start + 0.004,
            "method": "GET", "path": path, "query": "", "status": status, "access_jti": None,
            "refresh_family": None, "refresh_generation": None, **extra}


def test_timeline_shows_api_requests_in_order_with_offsets_status_and_tokens() -> None:
    text = timeline.render([
        _entry(1, 100.0, "/app.js", 200),
        _entry(2, 100.5, "/api/job-list", 401, access_jti="abcdefghijk", query="n=1"),
        _entry(3, 101.0, "/api/refresh-token", 200, refresh_family="fam123456",
               refresh_generation=0,
               issued_access_jti="x", issued_refresh_token="y"),
        _entry(4, 101.5, "/api/job-list", None),
    ])
    lines = text.splitlines()
    assert "+0.500s" in lines[1] and "/api/job-list?n=1" in lines[1] and "401" in lines[1]
    assert "abcdefgh" in lines[1] and "abcdefghi" not in lines[1]  # jti shortened
    assert "fam123#0" in lines[2] and "access, refresh cookie" in lines[2]
    assert "pending" in lines[3] and "..." in lines[3]
    assert lines[4] == "(1 requests for the app's files not shown)"


def test_empty_journal_says_so() -> None:
    assert "empty" in timeline.render([])


def test_an_api_outside_api_prefix_is_shown_as_api() -> None:
    # An API profile may put its endpoints anywhere (NestJS: /auth/refresh).
    text = timeline.render([_entry(1, 10.0, "/auth/refresh", 200), _entry(2, 10.1, "/app.js", 200)],
                           is_api=lambda path: path.startswith("/auth/"))
    assert "/auth/refresh" in text and "(1 requests for the app's files not shown)" in text


def test_timeline_names_the_tab_of_each_request_and_why_a_refresh_was_refused() -> None:
    text = timeline.render([
        _entry(1, 10.0, "/api/job-list", 401, query="tab=second&n=0"),
        _entry(2, 10.1, "/api/refresh-token", 401, refusal="superseded"),
        _entry(3, 10.2, "/api/refresh-token", 200),
    ], lanes={1: "tab 2", 2: "tab 2", 3: "tab 1"})
    head, first, refused, answered = text.splitlines()
    assert head.split()[2] == "tab" and first.split()[2:4] == ["tab", "2"]
    assert refused.endswith("refused: superseded") and "refused" not in answered
    assert answered.split()[2:4] == ["tab", "1"]
