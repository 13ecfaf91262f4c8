"""The race window: the previous refresh value arriving just after a rotation committed.

A browser may still send the old cookie for a few milliseconds after the rotation that
replaced it committed. Within `race_window` seconds (backend clock) that request is refused
like a lost race, without revoking; later, or with an older value, it is a replay.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.fixtures.servers import ServeBackend
from harness.seam.client import BackendClient
from tests.backend.wire import login, parse_set_cookie, refresh

DEFAULT_WINDOW = 2.0
FEW_MS = 0.005


@pytest.fixture(params=["memory", "sqlite"])
def server(request: pytest.FixtureRequest, serve_backend: ServeBackend,
           tmp_path: Path) -> Iterator[tuple[BackendClient, httpx.Client]]:
    """A backend with the default race window, in each store."""
    store = "memory" if request.param == "memory" else f"sqlite:{tmp_path / 'tokens.db'}"
    url = serve_backend(store=store).url
    with BackendClient(url) as control, httpx.Client(base_url=url) as http:
        yield control, http


def _rotate(http: httpx.Client, value: str) -> str:
    r = refresh(http, value)
    assert r.status_code == 200, r.text
    return parse_set_cookie(r).value


def test_previous_value_arriving_just_after_the_commit_is_superseded_not_reuse(
        server: tuple[BackendClient, httpx.Client]) -> None:
    control, http = server
    parent = login(http).refresh
    successor = _rotate(http, parent)
    control.advance_clock(FEW_MS)  # the other tab's refresh lands a few ms after the commit
    r = refresh(http, parent)
    assert r.status_code == 401, r.text
    assert r.json() == {"error": "invalid_refresh_token",
                        "message": "refresh token superseded by a concurrent refresh"}, r.text
    assert "set-cookie" not in r.headers, r.headers
    [family] = control.sessions()
    assert (family.generation, family.state, family.reason) == (1, "live", None), family
    r = refresh(http, successor)
    assert r.status_code == 200, r.text


def test_previous_value_after_the_race_window_revokes_the_family(
        server: tuple[BackendClient, httpx.Client]) -> None:
    control, http = server
    parent = login(http).refresh
    successor = _rotate(http, parent)
    control.advance_clock(DEFAULT_WINDOW + FEW_MS)  # the thief replays after the window
    r = refresh(http, parent)
    assert r.status_code == 401, r.text
    assert r.json()["message"] == "refresh token reused", r.text
    assert parse_set_cookie(r).max_age == 0, r.headers
    [family] = control.sessions()
    assert (family.state, family.reason) == ("revoked", "reuse"), family
    r = refresh(http, successor)
    assert r.status_code == 401, r.text


def test_zero_race_window_revokes_on_the_first_replay(serve_backend: ServeBackend) -> None:
    url = serve_backend(race_window=0).url
    with BackendClient(url) as control, httpx.Client(base_url=url) as http:
        parent = login(http).refresh
        _rotate(http, parent)
        control.advance_clock(FEW_MS)
        r = refresh(http, parent)
        assert r.status_code == 401, r.text
        assert r.json()["message"] == "refresh token reused", r.text
        [family] = control.sessions()
        assert (family.state, family.reason) == ("revoked", "reuse"), family


def test_grandparent_value_inside_the_race_window_revokes_the_family(
        server: tuple[BackendClient, httpx.Client]) -> None:
    control, http = server
    grandparent = login(http).refresh
    _rotate(http, _rotate(http, grandparent))
    control.advance_clock(FEW_MS)  # well inside the window, which covers only the parent
    r = refresh(http, grandparent)
    assert r.status_code == 401, r.text
    assert r.json()["message"] == "refresh token reused", r.text
    [family] = control.sessions()
    assert (family.generation, family.state, family.reason) == (2, "revoked", "reuse"), (
        family)
