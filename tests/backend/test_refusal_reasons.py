"""The journal says why each refused refresh was refused (`refusal`), in one word a timeline
can show: missing, invalid, superseded, reused, revoked (...), expired."""

from __future__ import annotations

import httpx

from harness.seam.client import BackendClient
from mock_backend import Settings
from tests.backend.wire import CSRF, login, parse_set_cookie, refresh

REFRESH = "/api/refresh-token"


def _refusals(backend: BackendClient) -> list[str | None]:
    return [e.refusal for e in backend.journal(path=REFRESH)]


def test_a_refresh_without_a_cookie_or_with_an_unknown_one_is_missing_or_invalid(
        http: httpx.Client, backend: BackendClient) -> None:
    login(http)
    assert refresh(http, None).status_code == 401
    assert refresh(http, "A" * 43).status_code == 401
    assert _refusals(backend) == ["missing", "invalid"]


def test_a_lost_race_is_superseded_and_a_later_replay_reused_then_revoked(
        http: httpx.Client, backend: BackendClient,
        harness_backend_settings: Settings) -> None:
    backend.freeze_clock()
    previous = login(http).refresh
    newest = parse_set_cookie(refresh(http, previous)).value
    # At the same instant as the rotation: a tab that had not stored the new cookie yet.
    assert refresh(http, previous).status_code == 401
    # Past the race window: a replay, which ends the family; its newest value is refused too.
    backend.advance_clock(harness_backend_settings.race_window + 1)
    assert refresh(http, previous).status_code == 401
    assert refresh(http, newest).status_code == 401
    assert _refusals(backend) == [None, "superseded", "reused", "revoked (reuse)"]


def test_a_refresh_after_logout_is_revoked_and_after_the_lifetime_expired(
        http: httpx.Client, backend: BackendClient,
        harness_backend_settings: Settings) -> None:
    ended = login(http)
    r = http.post("/api/logout", headers={**CSRF, "Cookie": f"refresh_token={ended.refresh}"})
    assert r.status_code == 204, r.text  # the reference's logout answers with no body
    assert refresh(http, ended.refresh).status_code == 401
    old = login(http).refresh
    backend.advance_clock(harness_backend_settings.refresh_ttl + 1)
    assert refresh(http, old).status_code == 401
    assert _refusals(backend) == ["revoked (logout)", "expired"]


def test_the_journal_json_carries_the_refusal_of_a_refused_refresh_only(
        http: httpx.Client, backend: BackendClient) -> None:
    session = login(http)
    assert refresh(http, session.refresh).status_code == 200
    assert refresh(http, None).status_code == 401
    answer = http.get("/__harness/journal", params={"path": REFRESH}).json()
    assert [e["refusal"] for e in answer["entries"]] == [None, "missing"], answer
