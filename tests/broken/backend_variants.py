"""Deliberately broken backends: the reference backend wrapped in one mistake each."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_backend import ApiProfile, Settings, create_app
from mock_backend.observe import IssuedTokens

Wrapper = Callable[[ASGIApp], ASGIApp]
Build = Callable[[Settings], ASGIApp]


def refresh_token_in_body(app: ASGIApp) -> ASGIApp:
    """Login also returns the refresh token in its JSON (S1)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/api/login":
            await app(scope, receive, send)
            return
        start: Message = {}
        body = b""

        async def buffering(message: Message) -> None:
            nonlocal start, body
            if message["type"] == "http.response.start":
                start = message
                return
            body += message.get("body", b"")
            if message.get("more_body"):
                return
            cookie = IssuedTokens(ApiProfile(), path="/")  # the cookie alone
            cookie.observe(start)
            if cookie.refresh_token:
                answer = json.loads(body) | {"refreshToken": cookie.refresh_token}
                body = json.dumps(answer).encode()
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await app(scope, receive, buffering)

    return wrapped


def readable_cookie(app: ASGIApp) -> ASGIApp:
    """The refresh cookie without HttpOnly, on Path=/ so every page's script sees it (S2, S3)."""

    def loosen(value: bytes) -> bytes:
        parts = [p for p in value.split(b"; ") if p.lower() != b"httponly"]
        return b"; ".join(b"Path=/" if p.lower().startswith(b"path=") else p for p in parts)

    def rewrite(scope: Scope, headers: list) -> list:
        return [(k, loosen(v) if k.lower() == b"set-cookie" else v) for k, v in headers]

    return _headers_rewritten(app, rewrite_response=rewrite)


def loose_rotated_cookie(app: ASGIApp) -> ASGIApp:
    """Login sets the cookie right; each rotation sets it without HttpOnly and with
    SameSite=Lax (S2 after a refresh)."""

    def loosen(value: bytes) -> bytes:
        parts = [p for p in value.split(b"; ") if p.lower() != b"httponly"]
        return b"; ".join(b"SameSite=lax" if p.lower().startswith(b"samesite=") else p
                          for p in parts)

    def rewrite(scope: Scope, headers: list) -> list:
        if scope["path"] != "/api/refresh-token":
            return headers
        return [(k, loosen(v) if k.lower() == b"set-cookie" else v) for k, v in headers]

    return _headers_rewritten(app, rewrite_response=rewrite)


def hanging_logout(app: ASGIApp) -> ASGIApp:
    """Logout never answers; the request ends only when the client leaves (H2)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/api/logout":
            await app(scope, receive, send)
            return
        while (await receive())["type"] != "http.disconnect":
            pass

    return wrapped


def _headers_rewritten(app: ASGIApp, rewrite_request: Callable[[list], list] | None = None,
                       rewrite_response: Callable[[Scope, list], list] | None = None) -> ASGIApp:
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        if rewrite_request:
            scope = {**scope, "headers": rewrite_request(list(scope["headers"]))}

        async def rewriting(message: Message) -> None:
            if rewrite_response and message["type"] == "http.response.start":
                message = {**message, "headers": rewrite_response(scope, list(message["headers"]))}
            await send(message)

        await app(scope, receive, rewriting)

    return wrapped


def refresh_keeps_cookie(app: ASGIApp) -> ASGIApp:
    """Refresh answers without the rotated cookie, so the browser keeps the old value (T1)."""

    def drop(scope: Scope, headers: list) -> list:
        if scope["path"] != "/api/refresh-token":
            return headers
        return [(k, v) for k, v in headers if k.lower() != b"set-cookie"]

    return _headers_rewritten(app, rewrite_response=drop)


def no_csrf_defence(app: ASGIApp) -> ASGIApp:
    """No SameSite, no Origin check, the custom header taken as given (X1, X2)."""

    def disguise(headers: list) -> list:
        kept = [(k, v) for k, v in headers
                if k.lower() not in (b"origin", b"sec-fetch-site", b"x-requested-with")]
        return [*kept, (b"x-requested-with", b"XMLHttpRequest")]

    def no_samesite(scope: Scope, headers: list) -> list:
        return [(k, v.replace(b"SameSite=strict", b"SameSite=none")
                 .replace(b"SameSite=Strict", b"SameSite=None")) for k, v in headers]

    return _headers_rewritten(app, disguise, no_samesite)


def cors_reflects_any_origin(app: ASGIApp) -> ASGIApp:
    """Every Origin is echoed back as allowed, with credentials (X3)."""

    def reflect(scope: Scope, headers: list) -> list:
        origin = dict(scope["headers"]).get(b"origin")
        if origin is None:
            return headers
        if any(k.lower() == b"access-control-allow-origin" for k, _ in headers):
            return headers
        return [*headers, (b"access-control-allow-origin", origin),
                (b"access-control-allow-credentials", b"true")]

    return _headers_rewritten(app, rewrite_response=reflect)


def _wrapping(wrapper: Wrapper) -> Build:
    return lambda settings: wrapper(create_app(settings))


def _configured(**changes: object) -> Build:
    return lambda settings: create_app(replace(settings, **changes))  # type: ignore[arg-type]


YEARS = 10 * 365 * 86400

BACKENDS: dict[str, Build] = {
    "refresh-token-in-body": _wrapping(refresh_token_in_body),
    "readable-cookie": _wrapping(readable_cookie),
    "loose-rotated-cookie": _wrapping(loose_rotated_cookie),
    "hanging-logout": _wrapping(hanging_logout),
    "refresh-keeps-cookie": _wrapping(refresh_keeps_cookie),
    "no-csrf-defence": _wrapping(no_csrf_defence),
    "cors-reflects-any-origin": _wrapping(cors_reflects_any_origin),
    # Any number of sessions per user (L7).
    "no-session-limit": _configured(max_families_per_user=1000),
    # A family that never reaches an absolute end (L8).
    "endless-family": _configured(refresh_ttl=YEARS),
    # A rotated value stays good: replaying it is not reuse (T2).
    "reuse-tolerated": _configured(reuse_grace=YEARS),
}
