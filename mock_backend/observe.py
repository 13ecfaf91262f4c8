"""ASGI middleware of the test-control API: journals every request and applies faults."""

from __future__ import annotations

import asyncio
import json
import logging
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_backend.faults import Fault

if TYPE_CHECKING:
    from mock_backend.state import Backend

CONTROL_PREFIX = "/__harness"


class DroppedConnection(Exception):
    """Raised after the response started, so the server closes the connection mid-answer."""


class QuietDroppedConnections(logging.Filter):
    """Keeps the server log free of tracebacks for connections dropped on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


def install_log_filter() -> None:
    logging.getLogger("uvicorn.error").addFilter(QuietDroppedConnections())


class ObserveMiddleware:
    def __init__(self, app: ASGIApp, backend: Backend) -> None:
        self.app = app
        self.backend = backend

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        b = self.backend
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        family, generation = self._refresh_of(headers.get("cookie"))
        entry = b.journal.begin({
            "start": b.clock.now(), "method": scope["method"], "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "access_jti": self._jti_of(headers.get("authorization")),
            "refresh_family": family, "refresh_generation": generation,
            "origin": headers.get("origin"),
        })
        status = 0

        async def send_recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            fault = b.faults.take(scope["method"], scope["path"])
            if fault is None:
                await self.app(scope, receive, send_recording)
            else:
                await self._apply(fault, scope, receive, send_recording)
        except DroppedConnection:
            status = 0
            raise
        finally:
            b.journal.finish(entry, status, b.clock.now())

    async def _apply(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        if fault.delay_ms:
            await asyncio.sleep(fault.delay_ms / 1000)
        if fault.gate:
            fault.held += 1
            try:
                await fault.released.wait()
            finally:
                fault.held -= 1
        if fault.drop:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", b"64")]})
            raise DroppedConnection(f"fault {fault.id} dropped {scope['path']}")
        if fault.status is not None:
            body = json.dumps({"error": "injected_fault",
                               "message": f"fault {fault.id} answered {fault.status}"}).encode()
            await send({"type": "http.response.start", "status": fault.status,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"cache-control", b"no-store"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    def _jti_of(self, authorization: str | None) -> str | None:
        if not authorization or not authorization.startswith("Bearer "):
            return None
        return self.backend.signer.unverified_jti(authorization[7:].strip())

    def _refresh_of(self, cookie_header: str | None) -> tuple[str | None, int | None]:
        if not cookie_header:
            return None, None
        try:
            jar = SimpleCookie(cookie_header)
        except CookieError:
            return None, None
        morsel = jar.get(self.backend.settings.cookie_name)
        if morsel is None or not morsel.value:
            return None, None
        try:
            found = self.backend.sessions.lookup(morsel.value)
        except Exception:  # an unavailable store must not break journaling
            return None, None
        return found if found else (None, None)
