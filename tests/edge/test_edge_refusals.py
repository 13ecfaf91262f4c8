"""Behind the edge, the journal says why a refresh was refused as far as the edge can tell
(`refusal`): what its lineage saw of the value, "refused" where the backend's reason is its
own."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from harness.servers.live_server import LiveServer
from mock_backend import Settings, create_app
from mock_backend.edge.accounts import accounts_from_dict
from mock_backend.edge.app import EdgeSettings, create_edge_app
from mock_backend.edge.lineage import Lineage
from mock_backend.profile import ApiProfile

CSRF = {"X-Requested-With": "XMLHttpRequest"}


@pytest.fixture(scope="module")
def edge() -> Iterator[httpx.Client]:
    # The reference backend as the team's, without a race window: a replay right after a
    # rotation revokes the family at once.
    upstream = Settings(access_ttl=60, spa_dir=None, password_cost=10, race_window=0)
    accounts = accounts_from_dict({"account": [
        {"username": "alice", "password": "alice-pass", "name": "Alice Anders"}]})
    with LiveServer(create_app(upstream), url_host="127.0.0.1") as up, \
            LiveServer(create_edge_app(EdgeSettings(upstream=up.url, api_profile=ApiProfile(),
                                                    accounts=accounts))) as server, \
            httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def _refresh(client: httpx.Client, value: str | None) -> httpx.Response:
    cookie = {"Cookie": f"refresh_token={value}"} if value else {}
    return client.post("/api/refresh-token", headers={**CSRF, **cookie})


def test_the_edge_journals_a_replay_as_reused_and_a_missing_value_as_missing(
        edge: httpx.Client) -> None:
    edge.post("/__harness/reset")
    login = edge.post("/api/login", json={"username": "alice", "password": "alice-pass"},
                      headers=CSRF)
    value = login.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    assert _refresh(edge, value).status_code == 200
    assert _refresh(edge, value).status_code == 401  # sent after its successor was handed out
    assert _refresh(edge, None).status_code == 401
    entries = edge.get("/__harness/journal", params={"path": "/api/refresh-token"}).json()
    assert [e["refusal"] for e in entries["entries"]] == [None, "reused", "missing"]


def test_the_lineage_tells_a_lost_race_from_a_replay_and_names_an_ended_family() -> None:
    lineage = Lineage()
    lineage.logged_in("alice", "v0", None, now=10.0)
    lineage.refreshed("v0", "v1", None, now=11.0)
    # Sent before v1 was handed out (a tab racing the other), then after it (a replay).
    assert lineage.refused("v0", 401, False, now=11.5, sent_at=10.9).reason == "superseded"
    assert lineage.refused("v0", 401, False, now=12.0, sent_at=12.0).reason == "reused"
    # The newest value refused: the edge cannot tell why, unless it saw the family end.
    assert lineage.refused("v1", 401, False, now=13.0).reason == "refused"
    lineage.logged_out("v1", now=14.0)
    assert lineage.refused("v1", 401, False, now=15.0).reason == "revoked (logout)"
    assert lineage.refused("v1", 401, True, now=16.0).reason == "expired"
    assert lineage.refused("never-seen", 401, False, now=17.0).reason == "refused"
