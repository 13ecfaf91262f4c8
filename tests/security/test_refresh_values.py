"""SECURITY-CHECKS case 33: refresh values are long, random, stored as hashes and never logged.

Checked on a real `python -m mock_backend` process with a SQLite store: its log is what an
operator keeps, its database file what a backup holds.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from tests.backend.wire import CSRF, login, parse_set_cookie, refresh
from tests.security import forge
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
