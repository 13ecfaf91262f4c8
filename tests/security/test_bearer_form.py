"""SECURITY-CHECKS cases 1-3: how the access token is presented, and tokens that are not JWTs."""

from __future__ import annotations

import base64

import httpx

from harness.seam.client import BackendClient
from tests.backend.wire import bearer, login
from tests.security import forge
from tests.security.answers import invalid_request, not_echoed, quick, unauthorized
from tests.security.backend_log import logged_backend
from tests.security.conftest import Target, http_client

PROTECTED = [("GET", "/api/current-user"), ("GET", "/api/job-list"), ("POST", "/api/jobs"),
             ("GET", "/api/admin/stats")]


def test_case01_no_authorization_header_is_401_without_error_code(
        http: httpx.Client, backend: BackendClient) -> None:
    session = login(http, "admin")
    jobs = http.get("/api/admin/stats", headers=bearer(session.access)).json()["jobs"]
    for method, path in PROTECTED:
        # No credentials at all, then only the refresh cookie: neither authenticates an API call.
        for headers in ({}, {"Cookie": f"refresh_token={session.refresh}"}):
            r = http.request(method, path, headers=headers,
                             json={"title": "x"} if method == "POST" else None)
            unauthorized(r, token_sent=False)
    # Nothing was created, nothing refreshed.
    assert http.get("/api/admin/stats", headers=bearer(session.access)).json()["jobs"] == jobs
    assert [(f.generation, f.state) for f in backend.sessions()] == [(0, "live")]


def test_case02_malformed_authorization_is_400_invalid_request_or_401(
        http: httpx.Client, backend: BackendClient) -> None:
    token = login(http).access  # a valid token: only the way it is sent is wrong
    # Another scheme, or a token only in the query (RFC 6750 section 2.3), is no bearer token
    # at all: 401 without an error code (RFC 6750 section 3.1).
    basic = "Basic " + base64.b64encode(b"alice:alice-pass").decode()
    unauthorized(http.get("/api/current-user", headers={"Authorization": basic}),
                 token_sent=False)
    unauthorized(http.get("/api/current-user", params={"access_token": token}), token_sent=False)
    # Malformed bearer credentials are 400 invalid_request (RFC 6750 section 3.1).
    for authorization in ["Bearer", f"Bearer {token} {token}", f"Bearer {token},{token}",
                          f"Bearer {token}, Bearer {token}"]:
        r = http.get("/api/current-user", headers={"Authorization": authorization})
        invalid_request(r)
        not_echoed(r, token)
    two_headers = [("Authorization", f"Bearer {token}")] * 2
    invalid_request(http.get("/api/current-user", headers=two_headers))
    both = http.get("/api/current-user", params={"access_token": token}, headers=bearer(token))
    invalid_request(both)
    # Sent once, in the header, the same token is accepted.
    assert http.get("/api/current-user", headers=bearer(token)).status_code == 200


def _not_jwts(target: Target, valid: str) -> dict[str, str]:
    """Tokens broken below the claims: segments, base64, JSON. JSON-level breaks are signed
    with the backend's own key, so the break alone is what is wrong."""
    header, claims, signature = valid.split(".")
    raw = forge.b64url

    def signed(header_segment: str, claims_segment: str) -> str:
        return forge.signed_segments(header_segment, claims_segment, target.key, target.alg)

    jose = forge.segment(target.header())
    return {
        "garbage": "garbage",
        "one segment": header,
        "two segments": f"{header}.{claims}",
        "four segments": f"{valid}.{signature}",
        "empty segments": "..",
        "bad base64 in the header": f"*{header[1:]}.{claims}.{signature}",
        "bad base64 in the claims": f"{header}.{claims}!.{signature}",
        "bad base64 in the signature": f"{header}.{claims}.{signature[:-1]}$",
        "header not JSON": signed(raw(b"not json"), claims),
        "claims not JSON": signed(jose, raw(b'{"sub": ')),
        "header a JSON list": signed(forge.segment([target.header()]), claims),
        "claims a JSON string": signed(jose, forge.segment("alice")),
        "claims JSON null": signed(jose, forge.segment(None)),
        "header not UTF-8": signed(raw(b'{"alg":"\xff\xfe"}'), claims),
        "claims nested 5000 deep": signed(jose, raw(b'{"sub":' + b"[" * 5000 + b"]" * 5000 + b"}")),
        "12 KB of junk claims": signed(jose, raw(b"x" * 9000)),
    }


def test_case03_tokens_that_are_not_jwts_are_401_in_bounded_time(target: Target) -> None:
    session = target.login()
    before = target.control.sessions()
    for name, token in _not_jwts(target, session.access).items():
        r = quick(target.get("/api/current-user", token))
        assert r.status_code == 401, f"{name}: {r.status_code} {r.text}"
        unauthorized(r, token_sent=True)
    assert target.control.sessions() == before
    assert target.get("/api/current-user", session.access).status_code == 200


def test_case03_hundred_kilobyte_token_is_401_every_time() -> None:
    # A token that long arrives in several reads; the backend's server accepts request heads
    # up to 128 KiB, so every one reaches the verifier and gets the same precise 401.
    # One connection, kept alive: the case where the token arrives in pieces.
    with logged_backend("--no-spa") as server, http_client(server.url) as http:
        for _ in range(20):
            r = quick(http.get("/api/current-user", headers=bearer("a" * 100 * 1024)))
            unauthorized(r, token_sent=True)
    assert "Invalid HTTP request" not in server.text
