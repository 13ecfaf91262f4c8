"""POST /api/login: tokens, credentials, malformed input."""

from __future__ import annotations

import httpx
import jwt
import pytest

from harness.seam.client import BackendClient
from tests.backend.wire import login, parse_set_cookie


def test_login_returns_access_token_and_no_refresh_token_in_body(http: httpx.Client) -> None:
    r = http.post("/api/login", json={"username": "alice", "password": "alice-pass"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"accessToken", "tokenType", "expiresIn", "user"}
    assert body["tokenType"] == "Bearer" and body["expiresIn"] == 15 * 60
    assert body["user"]["username"] == "alice" and "password" not in str(body["user"])
    # The refresh value travels only in the cookie (check S1).
    assert parse_set_cookie(r).value not in r.text
    assert r.headers["cache-control"] == "no-store"


def test_access_token_claims_and_header(http: httpx.Client) -> None:
    session = login(http)
    header = jwt.get_unverified_header(session.access)
    claims = jwt.decode(session.access, options={"verify_signature": False})
    assert header["alg"] == "HS256" and header["typ"] == "at+jwt"
    assert {"iss", "aud", "sub", "jti", "iat", "exp", "sid", "role"} <= set(claims)
    assert claims["exp"] - claims["iat"] == 15 * 60 and claims["role"] == "user"


def test_login_by_email(http: httpx.Client) -> None:
    r = http.post("/api/login", json={"email": "bob@example.com", "password": "bob-pass"})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["username"] == "bob"


def test_wrong_password_and_unknown_user_get_the_same_answer(
        http: httpx.Client, backend: BackendClient) -> None:
    wrong = http.post("/api/login", json={"username": "alice", "password": "nope"})
    unknown = http.post("/api/login", json={"username": "mallory", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401, (wrong.text, unknown.text)
    assert wrong.json() == unknown.json() == {"error": "invalid_credentials",
                                              "message": "invalid username or password"}
    assert "set-cookie" not in wrong.headers and "set-cookie" not in unknown.headers
    assert backend.sessions() == []


@pytest.mark.parametrize(("content", "content_type", "status", "error"), [
    (b"{not json", "application/json", 422, "invalid_request"),
    (b'{"username": 5, "password": "x"}', "application/json", 422, "invalid_request"),
    (b'{"username": "alice"}', "application/json", 422, "invalid_request"),
    (b'{"password": "alice-pass"}', "application/json", 422, "invalid_request"),
    (b'["alice", "alice-pass"]', "application/json", 422, "invalid_request"),
    (b'{"username": "alice", "password": null}', "application/json", 422, "invalid_request"),
    (b"username=alice&password=alice-pass", "application/x-www-form-urlencoded", 415,
     "unsupported_media_type"),
    (b"alice alice-pass", "text/plain", 415, "unsupported_media_type"),
])
def test_malformed_login_gets_precise_4xx_and_changes_nothing(
        http: httpx.Client, backend: BackendClient, content: bytes, content_type: str,
        status: int, error: str) -> None:
    r = http.post("/api/login", content=content, headers={"Content-Type": content_type})
    assert r.status_code == status, r.text
    assert r.json()["error"] == error and r.json()["message"]
    assert "alice-pass" not in r.text  # input is not echoed
    assert backend.sessions() == []


def test_oversized_login_body_is_413(http: httpx.Client, backend: BackendClient) -> None:
    r = http.post("/api/login", json={"username": "alice", "password": "x" * (65 * 1024)})
    assert r.status_code == 413, r.text
    assert r.json()["error"] == "payload_too_large"
    assert backend.sessions() == []


def test_login_from_a_foreign_origin_is_refused(http: httpx.Client,
                                                backend: BackendClient) -> None:
    r = http.post("/api/login", json={"username": "alice", "password": "alice-pass"},
                  headers={"Origin": "http://evil.test"})
    assert r.status_code == 403, r.text
    assert backend.sessions() == []
