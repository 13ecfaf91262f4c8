"""ASGI middleware for the API: body size cap, JSON-only bodies (form bodies where the API
profile takes them), and `Cache-Control: no-store`."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_backend.errors import error_body

_JSON_TYPES = ("application/json",)
_FORM_TYPES = ("application/x-www-form-urlencoded",)
# Request line and headers up to this size reach the app, so an oversized token gets its
# precise 401 rather than the HTTP parser's bare 400 (h11's own limit is 16 KiB).
MAX_REQUEST_HEAD_BYTES = 128 * 1024


class BodyTooLarge(HTTPException):
    """A body without Content-Length (chunked) grew past the limit while being read.

    An HTTPException, so FastAPI's body parsing passes it on as the same 413 instead of
    turning it into a 400 "error parsing the body".
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over {limit} bytes")


def _error(status: int, code: str, message: str,
           shape: str = "reference") -> tuple[Message, Message]:
    body = json.dumps(error_body(shape, code, message)).encode()
    start = {"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json"), (b"cache-control", b"no-store"),
                         (b"content-length", str(len(body)).encode())]}
    return start, {"type": "http.response.body", "body": body}


class RequestLimits:
    def __init__(self, app: ASGIApp, max_body_bytes: int, prefixes: tuple[str, ...],
                 paths: frozenset[str] = frozenset(),
                 form_paths: frozenset[str] = frozenset(),
                 any_paths: frozenset[str] = frozenset(),
                 error_shape: str = "reference") -> None:
        self.app = app
        self.shape = error_shape  # the API profile's behaviour.error_body
        self.any_paths = any_paths  # JSON or form, by the Content-Type
        self.max_body = max_body_bytes
        self.prefixes = prefixes
        self.paths = paths
        self.form_paths = form_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not (scope["path"].startswith(self.prefixes)
                                           or scope["path"] in self.paths):
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope["headers"]}
        length = headers.get(b"content-length")
        has_body = (length not in (None, b"0")) or b"transfer-encoding" in headers
        rejection = None
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            rejection = _error(413, "payload_too_large",
                               f"request body over {self.max_body} bytes", self.shape)
        elif has_body and scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
            media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            form = scope["path"] in self.form_paths
            allowed: tuple[str, ...] = _FORM_TYPES if form else _JSON_TYPES
            if scope["path"] in self.any_paths:
                allowed = _JSON_TYPES + _FORM_TYPES
            if media.decode("latin-1") not in allowed:
                wanted = " or ".join(allowed)
                rejection = _error(415, "unsupported_media_type",
                                   f"request bodies must be {wanted}", self.shape)
        if rejection:
            await _drain(receive, self.max_body)
            for message in rejection:
                await send(message)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_no_store)
        except BodyTooLarge:
            for message in _error(413, "payload_too_large",
                                  f"request body over {self.max_body} bytes", self.shape):
                await send(message)


async def _drain(receive: Receive, limit: int) -> None:
    """Read a bounded part of the rejected body so the client is not reset mid-upload."""
    seen = 0
    while seen <= limit:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            return
        seen += len(message.get("body", b""))
