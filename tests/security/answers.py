"""What the backend must answer to bad input: RFC 6750 401s and precise JSON errors.

Every helper asserts the whole answer the list promises: status, error code and message,
`Cache-Control: no-store`, no stack trace, and the `WWW-Authenticate` challenge where one
belongs. So no case can pass on a 500, a timeout or a bare status.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.backend.wire import SetCookie, parse_set_cookie

REALM = 'Bearer realm="api"'
# A precise answer comes in milliseconds; one that takes this long means the input hurt the
# server (a hang, a runaway parse). Generous, so a busy CI machine cannot make it flaky.
QUICK_SECONDS = 5.0


def error_answer(r: httpx.Response, status: int, error: str) -> dict[str, Any]:
    """A JSON error `{"error", "message"}` with `status`, never cached, without a stack trace."""
    assert r.status_code == status, f"expected {status}, got {r.status_code}: {r.text}"
    assert r.headers.get("cache-control") == "no-store", dict(r.headers)
    assert r.headers.get("content-type", "").startswith("application/json"), dict(r.headers)
    body: dict[str, Any] = r.json()
    assert body.get("error") == error, body
    assert isinstance(body.get("message"), str) and body["message"], body
    assert "Traceback" not in r.text and 'File "' not in r.text, r.text
    return body


def unauthorized(r: httpx.Response, *, token_sent: bool,
                 error: str | None = None) -> dict[str, Any]:
    """401 in RFC 6750 section 3 form: `error="invalid_token"` only when a token was sent."""
    code = error or ("invalid_token" if token_sent else "unauthorized")
    body = error_answer(r, 401, code)
    challenge = REALM + (', error="invalid_token"' if token_sent else "")
    assert r.headers.get("www-authenticate") == challenge, dict(r.headers)
    return body


def invalid_request(r: httpx.Response) -> dict[str, Any]:
    """400 `invalid_request` (RFC 6750 section 3.1) for a malformed Authorization."""
    body = error_answer(r, 400, "invalid_request")
    assert r.headers.get("www-authenticate") == REALM + ', error="invalid_request"', r.headers
    return body


def quick(r: httpx.Response) -> httpx.Response:
    assert r.elapsed.total_seconds() < QUICK_SECONDS, f"took {r.elapsed}: {r.text}"
    return r


def not_echoed(r: httpx.Response, *values: object) -> None:
    """None of `values` comes back in the body or a header."""
    answer = r.text + "\n" + "\n".join(f"{k}: {v}" for k, v in r.headers.items())
    for value in values:
        assert str(value) not in answer, f"{value!r} echoed in {answer}"


def cookie_cleared(r: httpx.Response, name: str = "refresh_token",
                   path: str = "/api") -> SetCookie:
    """The refresh cookie deleted: same name and path, empty, `Max-Age=0`."""
    cleared = parse_set_cookie(r, name)
    assert (cleared.value, cleared.max_age, cleared.attributes.get("path")) == ("", 0, path), (
        cleared)
    return cleared


def no_cookie(r: httpx.Response) -> None:
    assert "set-cookie" not in r.headers, r.headers.get_list("set-cookie")
