"""Decisions no numbered case pinned down: each test fails when its one line is wrong.

docs/security.md, "Which test guards which decision", names the line each test guards.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import threading
from http.client import HTTPResponse

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from harness.fixtures.servers import TEST_PASSWORD_COST, ServeBackend
from harness.seam.client import BackendClient
from mock_backend import users
from mock_backend.request_limits import RequestLimits
from mock_backend.security import TokenSigner, hash_password, verify_password
from tests.backend.wire import CSRF, bearer, login, refresh
from tests.security import forge
from tests.security.answers import error_answer, no_cookie, unauthorized
from tests.security.conftest import Target

ME = "/api/current-user"
COOKIE_ENDPOINTS = ("/api/refresh-token", "/api/logout")
T0 = 2_000_000_000  # a whole second, for a frozen backend clock
LIMIT = 64 * 1024  # the body size limit


def _refused_cross_site(http: httpx.Client, backend: BackendClient,
                        headers: list[tuple[bytes, bytes]], error: str) -> None:
    """Refresh and logout with `headers` (and the session's cookie): 403 `error`, no cookie,
    nothing rotated or revoked; the value still rotates afterwards."""
    session = login(http)
    before = backend.sessions()
    for path in COOKIE_ENDPOINTS:
        r = http.post(path, headers=[*headers,
                                     (b"Cookie", f"refresh_token={session.refresh}".encode())])
        assert r.status_code == 403, f"{path}: {r.status_code} {r.text}"
        error_answer(r, 403, error)
        no_cookie(r)
        assert backend.sessions() == before, path
    assert refresh(http, session.refresh).status_code == 200


def test_an_empty_origin_header_is_refused_like_a_foreign_one(
        http: httpx.Client, backend: BackendClient) -> None:
    # An empty Origin is still an Origin: it is not one of ours.
    _refused_cross_site(http, backend, [(b"Origin", b""), (b"X-Requested-With", b"x")],
                        "forbidden_origin")


def test_sec_fetch_site_cross_site_is_refused_in_any_letter_case(
        http: httpx.Client, backend: BackendClient) -> None:
    for value in (b"Cross-Site", b"CROSS-SITE"):
        _refused_cross_site(http, backend,
                            [(b"Sec-Fetch-Site", value), (b"X-Requested-With", b"x")],
                            "forbidden_origin")


def test_a_custom_header_of_only_whitespace_counts_as_missing(
        http: httpx.Client, backend: BackendClient) -> None:
    # The server strips spaces and tabs itself; a no-break space reaches the check.
    _refused_cross_site(http, backend, [(b"X-Requested-With", b"\xa0")], "csrf_header_missing")


def test_a_host_header_that_names_no_origin_gets_403_not_500(
        http: httpx.Client, backend: BackendClient) -> None:
    # With no own origin to compare with, only the allow-list counts (here empty).
    for host in (b"evil.example/x", b"user@evil.example"):
        _refused_cross_site(http, backend, [(b"Host", host), (b"Origin", b"http://evil.example"),
                                            (b"X-Requested-With", b"x")], "forbidden_origin")


def test_a_host_header_with_a_bad_port_gets_403_not_500(http: httpx.Client,
                                                        backend: BackendClient) -> None:
    for host in (b"localhost:abc", b"localhost:99999", b"[::1"):
        _refused_cross_site(http, backend, [(b"Host", host), (b"Origin", b"http://evil.example"),
                                            (b"X-Requested-With", b"x")], "forbidden_origin")


def test_x5c_header_is_401(target: Target) -> None:
    claims = target.claims(target.login())
    # A certificate chain in the header would choose the key (RFC 8725 section 3.10).
    certificate = forge.b64url(b"0\x82\x01\x0a" + b"\x00" * 266)
    r = target.get(ME, target.sign(claims, target.header(x5c=[certificate])))
    assert r.status_code == 401, f"x5c: {r.status_code} {r.text}"
    unauthorized(r, token_sent=True)
    assert target.get(ME, target.sign(claims)).status_code == 200


def test_a_token_is_good_at_the_instant_it_was_issued_and_its_nbf(target: Target) -> None:
    # On a frozen clock `now` is exactly `iat` (and `nbf`): neither is in the future.
    target.control.freeze_clock(at=T0)
    session = target.login()
    claims = target.claims(session)
    assert claims["iat"] == T0
    r = target.get(ME, session.access)
    assert r.status_code == 200, f"iat = now: {r.status_code} {r.text}"
    r = target.get(ME, target.sign({**claims, "nbf": T0}))
    assert r.status_code == 200, f"nbf = now: {r.status_code} {r.text}"


def test_numeric_dates_that_are_not_integers_are_401(target: Target) -> None:
    target.control.freeze_clock(at=T0)
    claims = target.claims(target.login())
    # Each would be fine as a whole number of seconds.
    for name, value in (("exp", T0 + 900.5), ("iat", T0 - 0.5), ("nbf", T0 - 0.5)):
        r = target.get(ME, target.sign({**claims, name: value}))
        assert r.status_code == 401, f"{name} = {value}: {r.status_code} {r.text}"
        unauthorized(r, token_sent=True)
    assert target.get(ME, target.sign(claims)).status_code == 200


def test_empty_string_claims_are_401(target: Target) -> None:
    claims = target.claims(target.login())
    for name in ("sub", "sid", "role", "jti"):
        r = target.get(ME, target.sign({**claims, name: ""}))
        assert r.status_code == 401, f"{name} empty: {r.status_code} {r.text}"
        unauthorized(r, token_sent=True)
    assert target.get(ME, target.sign(claims)).status_code == 200


def test_expiry_is_judged_by_the_backend_clock_not_the_wall_clock(
        http: httpx.Client, backend: BackendClient) -> None:
    # Years before the wall clock: by the wall clock this token expired long ago.
    backend.freeze_clock(at=1_000_000_000)
    token = login(http).access
    r = http.get(ME, headers=bearer(token))
    assert r.status_code == 200, r.text


def test_a_token_for_a_session_the_store_does_not_know_is_401(target: Target) -> None:
    # Signed with the backend's own key, but its `sid` names no family (a store that was
    # reset or lost): the session is not live.
    claims = target.claims(target.login())
    r = target.get(ME, target.sign({**claims, "sid": "no-such-family"}))
    assert r.status_code == 401, r.text
    unauthorized(r, token_sent=True)
    assert target.get(ME, target.sign(claims)).status_code == 200


@pytest.mark.parametrize("target", ["RS256"], indirect=True)
def test_the_rsa_signing_key_has_2048_bits(target: Target) -> None:
    [jwk] = target.http.get("/.well-known/jwks.json").json()["keys"]
    bits = int.from_bytes(forge.unb64url(jwk["n"]), "big").bit_length()
    assert bits >= 2048, f"RSA modulus of {bits} bits"


def test_the_signer_refuses_hs256_without_a_secret_and_any_other_algorithm() -> None:
    for secret in (None, b""):
        with pytest.raises(ValueError, match="HS256 needs a secret"):
            TokenSigner("HS256", secret, "mock-backend", "spa")
    for alg in ("none", "hs256", "HS512", "PS256", "ES256", "Ed25519"):
        with pytest.raises(ValueError, match="unsupported algorithm"):
            TokenSigner(alg, b"s" * 32, "mock-backend", "spa")


def test_password_hashes_are_scrypt_2_14_8_1_with_a_fresh_16_byte_salt() -> None:
    salt = bytes(range(16))
    digest = hashlib.scrypt(b"alice-pass", salt=salt, n=2**14, r=8, p=1, dklen=32)
    assert hash_password("alice-pass", salt) == f"scrypt$14${salt.hex()}${digest.hex()}"
    first, second = hash_password("alice-pass"), hash_password("alice-pass")
    assert first != second, "the same salt twice"
    for stored in (first, second):
        _, cost, salt_hex, digest_hex = stored.split("$")
        assert (len(bytes.fromhex(salt_hex)), len(bytes.fromhex(digest_hex))) == (16, 32), stored
        assert cost == "14", stored
        assert verify_password("alice-pass", stored)
        assert not verify_password("alice-pasS", stored)


def test_a_password_hash_is_checked_with_the_cost_it_names() -> None:
    salt = bytes(range(16)).hex()
    digest = hashlib.scrypt(b"alice-pass", salt=bytes(range(16)), n=2**4, r=8, p=1,
                            dklen=32).hex()
    assert hash_password("alice-pass", bytes(range(16)), cost=4) == f"scrypt$4${salt}${digest}"
    assert verify_password("alice-pass", f"scrypt$4${salt}${digest}")  # not the default 14
    assert not verify_password("alice-pass", f"scrypt$5${salt}${digest}")
    for cost in ("0", "18", "", "x", "٤", "-4"):  # out of range or not a number: never run
        with pytest.raises(ValueError, match="not a password hash of this backend"):
            verify_password("alice-pass", f"scrypt${cost}${salt}${digest}")
    with pytest.raises(ValueError, match="not a password hash of this backend"):
        verify_password("alice-pass", f"bcrypt$4${salt}${digest}")


def test_login_checks_hashes_of_the_backends_password_cost(
        serve_backend: ServeBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    # The harness's own backend takes a low cost (public demo passwords); a backend left at
    # the default takes 2**14. Either way a login, known user or not, checks one such hash.
    checked: list[str] = []
    real_verify = users.verify_password

    def counting_verify(password: str, stored: str) -> bool:
        checked.append(stored.split("$")[1])
        return real_verify(password, stored)

    monkeypatch.setattr(users, "verify_password", counting_verify)
    for changes, cost in (({}, TEST_PASSWORD_COST), ({"password_cost": 14}, 14),
                          ({"password_cost": 5}, 5)):
        checked.clear()
        with httpx.Client(base_url=serve_backend(None, **changes).url, timeout=10) as http:
            login(http)
            assert http.post("/api/login", json={"username": "mallory",
                                                 "password": "x"}).status_code == 401
        assert checked == [str(cost)] * 2, changes


def test_the_journal_names_no_jti_for_a_token_signed_by_someone_else(
        http: httpx.Client, backend: BackendClient) -> None:
    session = login(http)
    claims = forge.parts(session.access).claims
    attacker = forge.attacker_key("HS256")
    forged = forge.signed({"alg": "HS256", "typ": "at+jwt"}, {**claims, "jti": "forged-jti"},
                          attacker.private)
    unauthorized(http.get(ME, headers=bearer(forged)), token_sent=True)
    assert http.get(ME, headers=bearer(session.access)).status_code == 200
    forged_entry, real_entry = backend.journal(ME)
    assert (forged_entry.access_jti, real_entry.access_jti) == (None, claims["jti"])


def _session_cookie(value: str) -> dict[str, str]:
    return {**CSRF, "Cookie": f"refresh_token={value}"}


def test_a_chunked_form_or_text_body_on_refresh_or_logout_is_415(
        http: httpx.Client, backend: BackendClient) -> None:
    # Sent chunked, with no Content-Length: still a body, still not JSON.
    session = login(http)
    before = backend.sessions()
    for path in COOKIE_ENDPOINTS:
        for content_type in ("application/x-www-form-urlencoded", "text/plain"):
            r = http.post(path, content=iter([b"refresh=1"]),
                          headers={**_session_cookie(session.refresh),
                                   "Content-Type": content_type})
            assert r.status_code == 415, f"{path}, {content_type}: {r.status_code} {r.text}"
            error_answer(r, 415, "unsupported_media_type")
            no_cookie(r)
    assert backend.sessions() == before
    assert refresh(http, session.refresh).status_code == 200


def test_the_json_media_type_is_matched_exactly_but_in_any_letter_case(
        http: httpx.Client, backend: BackendClient) -> None:
    body = b'{"username": "alice", "password": "alice-pass"}'
    for content_type in ("application/jsonx", "application/json-seq", "application/json5"):
        r = http.post("/api/login", content=body, headers={"Content-Type": content_type})
        error_answer(r, 415, "unsupported_media_type")
    assert backend.sessions() == []
    # Media types are case-insensitive (RFC 9110 section 8.3.1), parameters aside.
    r = http.post("/api/login", content=body,
                  headers={"Content-Type": "Application/JSON; charset=UTF-8"})
    assert r.status_code == 200, r.text


def test_an_oversized_body_is_413_even_where_the_endpoint_reads_none(
        http: httpx.Client, backend: BackendClient) -> None:
    # Logout never reads its body; the size is refused from Content-Length before it runs.
    session = login(http)
    before = backend.sessions()
    r = http.post("/api/logout", content=b"{" + b" " * LIMIT + b"}",
                  headers={**_session_cookie(session.refresh),
                           "Content-Type": "application/json"})
    error_answer(r, 413, "payload_too_large")
    no_cookie(r)
    assert backend.sessions() == before


def test_the_test_control_api_takes_no_body_over_the_limit(
        http: httpx.Client, backend: BackendClient) -> None:
    now = backend.freeze_clock(at=T0)
    r = http.post("/__harness/clock", content=b'{"advance": 60' + b" " * LIMIT + b"}",
                  headers={"Content-Type": "application/json"})
    error_answer(r, 413, "payload_too_large")
    assert backend.now() == now


def test_a_refused_body_is_read_only_up_to_the_limit_before_the_answer(
        serve_backend: ServeBackend) -> None:
    # A client announces a megabyte, sends a little more than the limit and waits: the
    # answer comes without the rest (a server reading all of it would wait forever).
    where = httpx.URL(serve_backend().url)  # plain http: the test speaks HTTP/1.1 itself
    with socket.create_connection((where.host, where.port or 80), timeout=10) as raw:
        raw.sendall(f"POST /api/login HTTP/1.1\r\nHost: {where.netloc.decode()}\r\n"
                    "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
                    .encode() + b" " * (LIMIT + 4096))
        answer = HTTPResponse(raw)
        answer.begin()
        body = answer.read()
    assert (answer.status, json.loads(body)["error"]) == (413, "payload_too_large"), body


async def _status_of(headers: list[tuple[bytes, bytes]]) -> int:
    """The status RequestLimits answers for a POST to /api/login with `headers`; the app
    behind it must not be reached."""
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("the request reached the app")

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/login", "headers": headers}
    await RequestLimits(app, LIMIT, ("/api/",))(scope, receive, send)
    return int(sent[0]["status"])


def test_a_content_length_that_is_not_digits_is_413() -> None:
    # The server's HTTP parser refuses these before the app; the check is for any other
    # server the app runs under, so it is tested at the ASGI level.
    for length in (b"-1", b"+5", b"1e3", b"0x10", b" 5"):
        headers = [(b"content-length", length), (b"content-type", b"application/json")]
        assert _run_apart(headers) == 413, f"Content-Length {length!r}"


def _run_apart(headers: list[tuple[bytes, bytes]]) -> int:
    """`_status_of` on an event loop of its own thread: a worker that already drove a
    browser through Playwright's sync API has a loop running in this one."""
    found: list[int] = []
    thread = threading.Thread(target=lambda: found.append(asyncio.run(_status_of(headers))))
    thread.start()
    thread.join(30)
    assert found, "the ASGI call did not finish"
    return found[0]
