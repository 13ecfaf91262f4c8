"""Forwarding one request to the upstream and its answer back, as unchanged as a browser at
the edge's origin allows.

Rewrites (docs/your-backend.md lists them):
- hop-by-hop headers (RFC 9110 section 7.6.1) are not forwarded either way;
- a `Set-Cookie` `Domain` attribute is dropped, so the cookie belongs to the edge's host;
- a `Location` on the upstream's origin points at the edge's origin instead;
- an expired token (by the edge's clock) goes out with its signature spoiled (`Edge`).
Everything else, `Host` included, goes through as the browser sent it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from starlette.types import Message, Receive, Send

HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"proxy-authenticate",
                        b"proxy-authorization", b"proxy-connection", b"te", b"trailer",
                        b"transfer-encoding", b"upgrade"})
_DOMAIN = re.compile(r";\s*domain=[^;]*", re.IGNORECASE)


class UpstreamGone(Exception):
    """The upstream refused the connection, or closed it before answering."""


def request_headers(headers: list[tuple[bytes, bytes]],
                    body: bytes | None = None) -> list[tuple[bytes, bytes]]:
    """The headers to send on. A streamed body keeps the browser's Content-Length (a backend
    that reads no chunked body, as WSGI servers often do, still gets it whole); a body the
    edge read and may have rewritten gets its own length."""
    connection = _connection_tokens(headers)
    out = [(k, v) for k, v in headers
           if k.lower() not in HOP_BY_HOP and k.lower() not in connection
           and (body is None or k.lower() != b"content-length")]
    if body is not None and (body or any(k.lower() == b"content-length" for k, _ in headers)):
        out.append((b"content-length", str(len(body)).encode()))
    return out


def response_headers(headers: list[tuple[bytes, bytes]], upstream: str,
                     edge_origin: str) -> list[tuple[bytes, bytes]]:
    connection = _connection_tokens(headers)
    out = []
    for key, value in headers:
        name = key.lower()
        if name in HOP_BY_HOP or name in connection:
            continue
        if name == b"set-cookie":
            value = _DOMAIN.sub("", value.decode("latin-1")).encode("latin-1")
        elif name == b"location" and edge_origin:
            text = value.decode("latin-1")
            if text.startswith(upstream + "/") or text == upstream:
                value = (edge_origin + text[len(upstream):]).encode("latin-1")
        out.append((key, value))
    return out


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _connection_tokens(headers: list[tuple[bytes, bytes]]) -> set[bytes]:
    return {t.strip().lower() for k, v in headers if k.lower() == b"connection"
            for t in v.split(b",") if t.strip()}


async def body_of(receive: Receive) -> tuple[bytes, bool]:
    """The whole request body, and whether the client left while it came."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), True
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), False


async def stream_of(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


# Methods a browser sends again on a fresh connection when a kept-alive one closed under
# it (RFC 9110 section 9.2.2): the edge does the same, once, and for no other method.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})


async def send_upstream(clients: Clients, method: str, url: str,
                        headers: list[tuple[bytes, bytes]],
                        content: bytes | AsyncIterator[bytes]) -> httpx.Response:
    """An idempotent request with a body the edge holds whole goes on a kept-alive
    connection, and once more on a new one if that connection closes before an answer; any
    other request, on a new connection of its own, and never again (a refresh or a POST sent
    twice would be the edge's doing, not the app's)."""
    if method in IDEMPOTENT and isinstance(content, bytes):
        try:
            return await _send(clients.kept_alive, method, url, headers, content)
        except UpstreamGone:
            pass  # a kept-alive connection closed under it: once more, on a new one
    return await _send(clients.fresh, method, url, headers, content)


async def _send(client: httpx.AsyncClient, method: str, url: str,
                headers: list[tuple[bytes, bytes]],
                content: bytes | AsyncIterator[bytes]) -> httpx.Response:
    request = client.build_request(method, url, headers=headers, content=content)
    try:
        return await client.send(request, stream=True)
    except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError,
            httpx.WriteError) as exc:
        raise UpstreamGone(f"{type(exc).__name__}: {exc}" if str(exc)
                           else type(exc).__name__) from exc


@dataclass
class Clients:
    """The edge's two ways to the upstream (`send_upstream`)."""

    kept_alive: httpx.AsyncClient
    fresh: httpx.AsyncClient


async def send_answer(send: Send, status: int, headers: list[tuple[bytes, bytes]],
                      body: bytes | None, response: httpx.Response | None = None) -> None:
    """The answer to the browser: `body` whole, or `response`'s raw bytes as they come."""
    if body is not None:
        headers = [*headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    assert response is not None
    length = response.headers.get("content-length")
    if length is not None:
        headers = [*headers, (b"content-length", length.encode("latin-1"))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    async for chunk in response.aiter_raw():
        message: Message = {"type": "http.response.body", "body": chunk, "more_body": True}
        await send(message)
    await send({"type": "http.response.body", "body": b""})
