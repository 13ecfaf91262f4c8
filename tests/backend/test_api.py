"""The demo API: bearer authentication (RFC 6750), ownership, roles, expiry."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from harness.fixtures.servers import ServeBackend
from harness.seam.client import BackendClient
from mock_backend.config import default_spa_dir
from mock_backend.spa_files import CACHED_FILE_BYTES
from tests.backend.wire import bearer, login


def test_current_user_without_token_is_401_without_error_code(http: httpx.Client) -> None:
    r = http.get("/api/current-user")
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == 'Bearer realm="api"'
    assert r.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("token", ["garbage", "a.b", "a.b.c", "x" * 5000])
def test_bad_token_is_401_invalid_token(http: httpx.Client, token: str) -> None:
    r = http.get("/api/current-user", headers=bearer(token))
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == 'Bearer realm="api", error="invalid_token"'
    assert "Traceback" not in r.text


@pytest.mark.parametrize("authorization", ["Bearer", "Bearer a b", "Bearer a,b"])
def test_malformed_authorization_is_400_invalid_request(http: httpx.Client,
                                                        authorization: str) -> None:
    r = http.get("/api/current-user", headers={"Authorization": authorization})
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_request"


def test_current_user_and_own_jobs_only(http: httpx.Client) -> None:
    alice = login(http, "alice")
    assert http.get("/api/current-user", headers=bearer(alice.access)).json()["username"] == "alice"
    # A userId parameter is ignored: the token decides whose jobs are listed.
    r = http.get("/api/job-list", params={"userId": "u2"}, headers=bearer(alice.access))
    assert r.status_code == 200, r.text
    jobs = r.json()["jobs"]
    assert jobs and {j["owner"] for j in jobs} == {"u1"}
    assert http.get("/api/job-list").status_code == 401


def test_create_job_is_executed_once_per_request(http: httpx.Client) -> None:
    bob = login(http, "bob")
    before = len(http.get("/api/job-list", headers=bearer(bob.access)).json()["jobs"])
    r = http.post("/api/jobs", json={"title": "Inspect valves"}, headers=bearer(bob.access))
    assert r.status_code == 201, r.text
    assert r.json()["title"] == "Inspect valves" and r.json()["owner"] == "u2"
    after = http.get("/api/job-list", headers=bearer(bob.access)).json()["jobs"]
    assert len(after) == before + 1


@pytest.mark.parametrize("body", [{}, {"title": ""}, {"title": 7}, {"title": "x" * 201},
                                  {"title": "ok", "owner": "u1"}])
def test_create_job_rejects_bad_input_and_creates_nothing(http: httpx.Client, body: dict) -> None:
    bob = login(http, "bob")
    before = http.get("/api/job-list", headers=bearer(bob.access)).json()["jobs"]
    r = http.post("/api/jobs", json=body, headers=bearer(bob.access))
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_request" and r.json()["message"]
    assert http.get("/api/job-list", headers=bearer(bob.access)).json()["jobs"] == before


def test_create_job_needs_a_token(http: httpx.Client) -> None:
    assert http.post("/api/jobs", json={"title": "x"}).status_code == 401


def test_admin_stats_for_admin_only(http: httpx.Client) -> None:
    alice, admin = login(http, "alice"), login(http, "admin")
    r = http.get("/api/admin/stats", headers=bearer(alice.access))
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in r.headers["www-authenticate"]
    r = http.get("/api/admin/stats", headers=bearer(admin.access))
    assert r.status_code == 200, r.text
    assert r.json()["liveSessions"] == 2
    assert http.get("/api/admin/stats").status_code == 401


def test_access_token_expires_when_the_backend_clock_passes_15_minutes(
        http: httpx.Client, backend: BackendClient) -> None:
    # A frozen clock on a whole second: iat is whole seconds, so the instants are exact.
    backend.freeze_clock(at=2_000_000_000)
    session = login(http)
    backend.advance_clock(15 * 60 - 1)
    assert http.get("/api/current-user", headers=bearer(session.access)).status_code == 200
    backend.advance_clock(1)  # exp itself is already too late (no leeway)
    r = http.get("/api/current-user", headers=bearer(session.access))
    assert r.status_code == 401, r.text
    assert 'error="invalid_token"' in r.headers["www-authenticate"]


def test_unknown_api_path_is_json_404(http: httpx.Client) -> None:
    r = http.get("/api/nothing-here")
    assert r.status_code == 404, r.text
    assert r.json()["error"] == "not_found"


def test_spa_is_served_with_history_fallback_but_not_its_python_files(
        serve_backend: ServeBackend) -> None:
    server = serve_backend(spa_dir=default_spa_dir())
    with httpx.Client(base_url=server.url) as http:
        index = http.get("/")
        assert index.status_code == 200 and "<html" in index.text
        assert http.get("/profile").text == index.text  # a route of the SPA
        assert http.get("/missing.js").status_code == 404  # a missing asset
        assert http.get("/__init__.py").status_code == 404
        assert http.get("/api/unknown").json()["error"] == "not_found"
        assert http.get("/api/refresh-token").status_code == 405


def test_spa_files_held_in_memory_follow_edits_and_large_ones_stream(
        serve_backend: ServeBackend, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<html>app</html>")
    module = tmp_path / "app.js"
    module.write_text("export const v = 1;")
    big = tmp_path / "big.js"
    big.write_bytes(b"x" * (CACHED_FILE_BYTES + 1))
    server = serve_backend(spa_dir=tmp_path)
    with httpx.Client(base_url=server.url) as http:
        first = http.get("/app.js")
        assert first.text == "export const v = 1;"
        assert first.headers["content-type"].startswith("text/javascript")
        assert "etag" in first.headers and "last-modified" in first.headers
        assert http.get("/app.js", headers={"If-None-Match": first.headers["etag"]}
                        ).status_code == 304
        module.write_text("export const v = 22;")  # another size
        assert http.get("/app.js").text == "export const v = 22;"
        module.write_text("export const v = 33;")  # the same size, a later mtime
        later = module.stat().st_mtime_ns + 1_000_000_000
        os.utime(module, ns=(later, later))
        assert http.get("/app.js").text == "export const v = 33;"
        streamed = http.get("/big.js")
        assert len(streamed.content) == CACHED_FILE_BYTES + 1
        assert streamed.headers["accept-ranges"] == "bytes"
        assert http.get("/big.js", headers={"Range": "bytes=0-9"}).content == b"x" * 10
        head = http.head("/app.js")
        assert head.status_code == 200 and head.content == b""
