"""Case 33: refresh values are long, random, stored as hashes and never logged; garbage
refresh cookies are refused like any unknown value.

Checked on a real `python -m mock_backend` process with a SQLite store: its log is what an
operator keeps, its database file what a backup holds.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx

from harness.seam.client import BackendClient
from tests.backend.wire import CSRF, login, parse_set_cookie, refresh
from tests.security import forge
from tests.security.answers import error_answer
from tests.security.backend_log import logged_backend
from tests.security.conftest import http_client


def test_case33_refresh_values_have_256_random_bits_are_stored_hashed_and_never_logged(
        tmp_path: Path) -> None:
    db = tmp_path / "tokens.db"
    with logged_backend("--store", f"sqlite:{db}", "--no-spa") as server, \
            http_client(server.url) as http:
        values = [login(http, user).refresh for user in ("alice", "bob")]
        for _ in range(3):  # rotations
            values.append(parse_set_cookie(refresh(http, values[-1])).value)
        # Failures, revocation and logout must not log the value either.
        assert refresh(http, values[2]).status_code == 401  # reuse: the family is revoked
        assert refresh(http, forge.b64url(b"\x00" * 32)).status_code == 401
        assert http.post("/api/logout", headers={
            **CSRF, "Cookie": f"refresh_token={values[1]}"}).status_code == 204
    # At least 256 bits each (RFC 9700 section 4.14), all different.
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", v) and len(forge.unb64url(v)) >= 32
               for v in values), values
    assert len(set(values)) == len(values)
    # Only their SHA-256 digests are in the store's files (database and write-ahead log).
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("tokens.db*"))
    for value in values:
        assert value.encode() not in stored
        assert hashlib.sha256(value.encode()).hexdigest().encode() in stored
    # The log has a line for every request, and none of the values.
    assert server.text.count('"POST /api/refresh-token HTTP/1.1"') == 5, server.text
    for value in values:
        assert value not in server.text


def _garbage(access_token: str) -> dict[str, bytes]:
    """Refresh cookie values no client of ours would send, each on purpose."""
    return {
        "wrong base64 length": b"abcde",
        "non-ASCII": "r\u00e9fresh-\u2603".encode(),
        "empty": b"",
        "8 KiB": b"A" * 8192,
        "an access token": access_token.encode(),
        "a JSON blob": b'{"refresh":"x","exp":9999999999}',
        "padding and symbols": b"====!!!%%%",
        "a NUL-free control mix": b"\x01\x02\x7f",
    }


def test_garbage_refresh_cookies_get_the_usual_401_never_a_500_and_rotate_nothing(
        http: httpx.Client, backend: BackendClient) -> None:
    session = login(http)
    before = backend.sessions()
    for name, value in _garbage(session.access).items():
        r = http.post("/api/refresh-token",
                      headers=[(b"X-Requested-With", b"XMLHttpRequest"),
                               (b"Cookie", b"refresh_token=" + value)])
        assert r.status_code == 401, f"{name}: {r.status_code} {r.text[:200]}"
        error_answer(r, 401, "invalid_refresh_token")
        assert "Traceback" not in r.text and "File \"" not in r.text, name
        assert backend.sessions() == before, name
    # The real value was never touched.
    assert refresh(http, session.refresh).status_code == 200
