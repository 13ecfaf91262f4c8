"""Deliberately broken backends: the reference backend wrapped in one mistake each."""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_backend.observe import IssuedTokens

Wrapper = Callable[[ASGIApp], ASGIApp]


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
            cookie = IssuedTokens("refresh_token", record_body=False)
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

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        async def rewriting(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [
                    (k, loosen(v) if k.lower() == b"set-cookie" else v)
                    for k, v in message["headers"]]}
            await send(message)

        await app(scope, receive, rewriting)

    return wrapped


def hanging_logout(app: ASGIApp) -> ASGIApp:
    """Logout never answers; the request ends only when the client leaves (H2)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/api/logout":
            await app(scope, receive, send)
            return
        while (await receive())["type"] != "http.disconnect":
            pass

    return wrapped


BACKENDS: dict[str, Wrapper] = {
    "refresh-token-in-body": refresh_token_in_body,
    "readable-cookie": readable_cookie,
    "hanging-logout": hanging_logout,
}
