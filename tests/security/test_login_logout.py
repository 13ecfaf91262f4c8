"""SECURITY-CHECKS cases 30-32: logout is idempotent; login tells nothing and refuses junk."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from harness.seam.client import BackendClient
from mock_backend import users
from tests.backend.wire import CSRF, bearer, login, refresh
from tests.security import forge
from tests.security.answers import cookie_cleared, error_answer, no_cookie, unauthorized

ME = "/api/current-user"


def test_case30_logout_twice_is_204_and_the_users_other_sessions_stay_alive(
        http: httpx.Client, backend: BackendClient) -> None:
    ended, other = login(http), login(http)
    for _ in range(2):
        r = http.post("/api/logout", headers={**CSRF, "Cookie": f"refresh_token={ended.refresh}"})
        assert (r.status_code, r.content) == (204, b""), r.text
        cookie_cleared(r)  # same name and path, Max-Age=0
    states = {f.id: (f.state, f.reason) for f in backend.sessions()}
    sid = {name: forge.parts(s.access).claims["sid"] for name, s in (("ended", ended),
                                                                     ("other", other))}
    assert states == {sid["ended"]: ("revoked", "logout"), sid["other"]: ("live", None)}
    unauthorized(http.get(ME, headers=bearer(ended.access)), token_sent=True)
    assert http.get(ME, headers=bearer(other.access)).status_code == 200
    assert refresh(http, other.refresh).status_code == 200


FAILED_LOGINS = {
    "wrong password": {"username": "alice", "password": "not-the-password"},
    "unknown user": {"username": "mallory", "password": "not-the-password"},
    "wrong password by email": {"email": "alice@example.com", "password": "not-the-password"},
    "unknown email": {"email": "mallory@example.com", "password": "not-the-password"},
}


def test_case31_wrong_password_and_unknown_user_get_the_same_answer_in_comparable_time(
        http: httpx.Client, backend: BackendClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # OWASP Authentication Cheat Sheet: the answer must not tell which part was wrong, in
    # its content or its timing. Timing is proven by the work done, not by a stopwatch
    # (which a busy machine makes flaky): every kind costs exactly one scrypt check.
    hashes_checked: list[str] = []
    real_verify = users.verify_password

    def counting_verify(password: str, stored: str) -> bool:
        hashes_checked.append(stored)
        return real_verify(password, stored)

    monkeypatch.setattr(users, "verify_password", counting_verify)
    answers: dict[str, httpx.Response] = {}
    for name, body in FAILED_LOGINS.items():
        before = len(hashes_checked)
        answers[name] = http.post("/api/login", json=body)
        checked = hashes_checked[before:]
        assert len(checked) == 1 and checked[0].startswith("scrypt"), (name, checked)
    reference = answers["wrong password"]
    for name, r in answers.items():
        unauthorized(r, token_sent=False, error="invalid_credentials")
        no_cookie(r)
        assert (r.status_code, r.content) == (reference.status_code, reference.content), name
        assert _headers(r) == _headers(reference), name
    assert backend.sessions() == []


def _headers(r: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in r.headers.items() if k != "date"}


def _chunks(total: int) -> Iterator[bytes]:
    """A body sent chunked, with no Content-Length to refuse it by."""
    yield b'{"username": "alice", "password": "'
    for _ in range(total // 1024):
        yield b"x" * 1024
    yield b'"}'


LIMIT = 64 * 1024


def _login_of_size(size: int) -> bytes:
    """A login body of exactly `size` bytes (its password is long)."""
    frame = forge.json_bytes({"username": "alice", "password": ""})
    return forge.json_bytes({"username": "alice", "password": "x" * (size - len(frame))})

MALFORMED_LOGINS: list[tuple[str, object, int, str]] = [
    # (what, JSON value or raw body, status, error)
    ("username over 320 characters", {"username": "a" * 321, "password": "x"}, 422,
     "invalid_request"),
    ("password over 1024 characters", {"username": "alice", "password": "x" * 1025}, 422,
     "invalid_request"),
    ("empty username", {"username": "", "password": "alice-pass"}, 422, "invalid_request"),
    ("username a number", {"username": 5, "password": "alice-pass"}, 422, "invalid_request"),
    ("username an object", {"username": {"$ne": ""}, "password": "alice-pass"}, 422,
     "invalid_request"),
    ("email a list", {"email": ["alice@example.com"], "password": "alice-pass"}, 422,
     "invalid_request"),
    ("password null", {"username": "alice", "password": None}, 422, "invalid_request"),
    ("password true", {"username": "alice", "password": True}, 422, "invalid_request"),
    ("password a list", {"username": "alice", "password": ["alice-pass"]}, 422,
     "invalid_request"),
    ("missing password", {"username": "alice"}, 422, "invalid_request"),
    ("missing username and email", {"password": "alice-pass"}, 422, "invalid_request"),
    ("empty object", {}, 422, "invalid_request"),
    ("a JSON list", ["alice", "alice-pass"], 422, "invalid_request"),
    ("JSON null", None, 422, "invalid_request"),
    ("not JSON", b'{"username": "alice", "password": "alice-pass"', 422, "invalid_request"),
    ("empty body", b"", 422, "invalid_request"),
    # Bodies the JSON parser cannot even read: FastAPI's own 400 "error parsing the body".
    ("not UTF-8", b'{"username": "\xff", "password": "alice-pass"}', 400, "bad_request"),
    ("nested 10000 deep", b"[" * 10000, 400, "bad_request"),
    ("exactly 64 KiB", _login_of_size(LIMIT), 422, "invalid_request"),  # too long a password
    ("64 KiB and one byte", _login_of_size(LIMIT + 1), 413, "payload_too_large"),
]


def test_case32_malformed_login_gets_a_precise_4xx_and_changes_nothing(
        http: httpx.Client, backend: BackendClient) -> None:
    for what, body, status, error in MALFORMED_LOGINS:
        content = body if isinstance(body, bytes) else forge.json_bytes(body)
        r = http.post("/api/login", content=content, headers={"Content-Type": "application/json"})
        assert r.status_code == status, f"{what}: {r.status_code} {r.text}"
        error_answer(r, status, error)
        no_cookie(r)
        assert "alice-pass" not in r.text, what  # input is not echoed
    r = http.post("/api/login", content=_chunks(LIMIT + 1024),
                  headers={"Content-Type": "application/json"})
    error_answer(r, 413, "payload_too_large")
    for content_type in ("application/x-www-form-urlencoded", "text/plain"):
        r = http.post("/api/login", content=b"username=alice&password=alice-pass",
                      headers={"Content-Type": content_type})
        error_answer(r, 415, "unsupported_media_type")
    assert backend.sessions() == []
