"""ASGI middleware of the test-control API: journals every request and applies faults."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Collection, Sequence
from http.cookies import CookieError, Morsel, SimpleCookie
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_backend.faults import Fault, FaultBook
from mock_backend.security import TokenSigner
from mock_backend.sessions import on_the_loop_unless_busy

if TYPE_CHECKING:
    from mock_backend.profile import ApiProfile
    from mock_backend.state import Backend

CONTROL_PREFIX = "/__harness"
MAX_RECORDED_BODY = 64 * 1024
_RECORDED_HEADERS = (b"authorization", b"cookie", b"origin")
# A Cookie header of plain `name=value` pairs (what browsers send for our cookie), which
# SimpleCookie reads exactly as a split does; anything else goes to SimpleCookie.
_PAIR = r"[A-Za-z0-9_-]+=[A-Za-z0-9_-]*"
_PLAIN_COOKIES = re.compile(rf"{_PAIR}(?:; {_PAIR})*")
# A Set-Cookie header as the backend writes one for a new value.
_PLAIN_SET_COOKIE = re.compile(
    r"([A-Za-z0-9_-]+)=([A-Za-z0-9_-]*)"
    r"(?:; (?:HttpOnly|Secure|Max-Age=[0-9]+|Path=/[A-Za-z0-9/_.~-]*|SameSite=(?:strict|lax)))*")
_ATTRIBUTES: Morsel[str] = Morsel()  # names SimpleCookie reads as attributes, not cookies


class DroppedConnection(Exception):
    """Raised after the response started, so the server closes the connection mid-answer."""


class QuietDroppedConnections(logging.Filter):
    """Keeps the server log free of tracebacks for connections dropped on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


def install_log_filter() -> None:
    """Once per process, however many servers start."""
    server_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, QuietDroppedConnections) for f in server_log.filters):
        server_log.addFilter(QuietDroppedConnections())


class ObserveMiddleware:
    def __init__(self, app: ASGIApp, backend: Backend) -> None:
        self.app = app
        self.backend = backend

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        b = self.backend
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:  # the last of a repeated header, as a dict has it
            name = name.lower()
            if name in _RECORDED_HEADERS:
                headers[name.decode("latin-1")] = value.decode("latin-1")
        entry = b.journal.begin({
            "start": b.clock.now(), "method": scope["method"], "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "access_jti": self._jti_of(headers.get("authorization")),
            "refresh_family": None, "refresh_generation": None,
            "origin": headers.get("origin"),
        })
        # After `begin`: a request waiting for the store (a refresh held inside it) is in the
        # journal, in flight, while it waits.
        family, generation = await self._refresh_of(headers.get("cookie"))
        b.journal.annotate(entry, refresh_family=family, refresh_generation=generation)
        status = 0
        profile = b.settings.api_profile
        issued = IssuedTokens(profile, scope["path"])

        async def send_recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            issued.observe(message)
            await send(message)

        try:
            await through_faults(b.faults, self.app, scope, receive, send_recording,
                                 headers.get("origin"), b.settings.allow_origins)
        except DroppedConnection:
            status = 0
            raise
        finally:
            # A refresh value outside the cookie is found by the route, which says so here,
            # as it says why it refused a refresh.
            state = scope.get("state", {})
            found = state.get("refresh_family")
            if found and entry.refresh_family is None:
                entry.refresh_family, entry.refresh_generation = found
            b.journal.finish(entry, status, b.clock.now(), issued.result(status, b.signer),
                             refusal=state.get("refusal"))

    def _jti_of(self, authorization: str | None) -> str | None:
        if not authorization or not authorization.startswith("Bearer "):
            return None
        return self.backend.signer.unverified_jti(authorization[7:].strip())

    async def _refresh_of(self, cookie_header: str | None) -> tuple[str | None, int | None]:
        value = cookie_value(cookie_header, self.backend.settings.cookie_name)
        if not value:
            return None, None
        try:
            found = await on_the_loop_unless_busy(self.backend.sessions.lookup, value)
        except Exception:  # an unavailable store must not break journaling
            return None, None
        return found if found else (None, None)


def _cors_headers(origin: str | None, allowed: Collection[str]) -> list[tuple[bytes, bytes]]:
    """What CORS adds to an answer for an allowed Origin (the CORS middleware's own for
    credentials): an answer a fault makes up in front of it carries the same, or the browser
    would hide it from the app as a network error."""
    if origin is None or origin not in allowed:
        return []
    return [(b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-credentials", b"true"), (b"vary", b"Origin")]


async def through_faults(faults: FaultBook, app: ASGIApp, scope: Scope, receive: Receive,
                         send: Send, origin: str | None = None,
                         allow_origins: Collection[str] = ()) -> None:
    """`app` answers the request, unless an armed fault for it acts first (`apply_fault`).
    `origin` and `allow_origins`: the request's Origin and the origins CORS allows, for the
    headers CORS would add to an answer the fault makes up (worked out only for a fault)."""
    fault = faults.take(scope["method"], scope["path"])
    if fault is None:
        await app(scope, receive, send)
    else:
        await apply_fault(fault, app, scope, receive, send,
                          _cors_headers(origin, allow_origins))


async def apply_fault(fault: Fault, app: ASGIApp, scope: Scope, receive: Receive,
                      send: Send, cors: Sequence[tuple[bytes, bytes]] = ()) -> None:
    """A fault's effect on one request on arrival; what it lets through goes on to `app`."""
    if fault.delay_ms:
        await asyncio.sleep(fault.delay_ms / 1000)
    if fault.gate:
        receive, client_gone = await _hold(fault, receive)
        if client_gone:
            # The request stalled on its way in and the client gave up (a timeout or an
            # abort): it never reaches the app, so nothing rotates behind its back.
            raise DroppedConnection(f"fault {fault.id}: client left while held")
    if fault.drop:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", b"64"), *cors]})
        raise DroppedConnection(f"fault {fault.id} dropped {scope['path']}")
    if fault.status is not None:
        body = json.dumps({"error": "injected_fault",
                           "message": f"fault {fault.id} answered {fault.status}"}).encode()
        await send({"type": "http.response.start", "status": fault.status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"cache-control", b"no-store"),
                                (b"content-length", str(len(body)).encode()), *cors]})
        await send({"type": "http.response.body", "body": body})
        return
    await app(scope, receive, send)


async def _hold(fault: Fault, receive: Receive) -> tuple[Receive, bool]:
    """Hold until released; the body is read first so a disconnect can be seen."""
    body: list[Message] = []
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return receive, True
        body.append(message)
        more = message.get("more_body", False)
    fault.held += 1
    released = asyncio.ensure_future(fault.released.wait())
    disconnect = asyncio.ensure_future(receive())
    try:
        await asyncio.wait({released, disconnect}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        fault.held -= 1
        for task in (released, disconnect):
            task.cancel()
    if disconnect.done() and not disconnect.cancelled():
        return receive, True

    async def replay() -> Message:
        return body.pop(0) if body else await receive()

    return replay, False


def set_cookie_value(header: str, name: str) -> str | None:
    """The value a Set-Cookie header gives cookie `name`, as SimpleCookie reads it."""
    plain = _PLAIN_SET_COOKIE.fullmatch(header)
    if plain and not _ATTRIBUTES.isReservedKey(plain[1]):
        return plain[2] if plain[1] == name else None
    return _parsed_cookie_value(header, name)


def cookie_value(header: str | None, name: str) -> str | None:
    """The value of cookie `name` in a Cookie header, as SimpleCookie reads it."""
    if not header:
        return None
    if _PLAIN_COOKIES.fullmatch(header):
        value = None
        for pair in header.split("; "):
            key, _, found = pair.partition("=")
            if _ATTRIBUTES.isReservedKey(key):
                break  # not a plain list of cookies after all
            if key == name:
                value = found
        else:
            return value
    return _parsed_cookie_value(header, name)


def _parsed_cookie_value(header: str, name: str) -> str | None:
    """What SimpleCookie reads as cookie `name`'s value: for headers of another shape."""
    try:
        jar = SimpleCookie(header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


class IssuedTokens:
    """Picks the tokens an answer hands out: the refresh cookie, and a login's or refresh's
    access token (and refresh token, when the API profile hands it out) from the body."""

    def __init__(self, profile: ApiProfile, path: str) -> None:
        self.cookie_name = profile.cookie_name
        self.record_body = path in profile.token_paths
        login = path == profile.login.endpoint.path
        self.access_field = (profile.login if login else profile.refresh).access_token
        self.refresh_field = "" if profile.refresh.in_cookie else profile.refresh.refresh_token
        self.refresh_token: str | None = None
        self.body = bytearray()

    def observe(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            for name, value in message.get("headers", []):
                if name.lower() == b"set-cookie":
                    self._read_cookie(value.decode("latin-1"))
        elif (message["type"] == "http.response.body" and self.record_body
              and len(self.body) < MAX_RECORDED_BODY):
            self.body += message.get("body", b"")

    def _read_cookie(self, header: str) -> None:
        value = set_cookie_value(header, self.cookie_name)
        if value:
            self.refresh_token = value

    def result(self, status: int, signer: TokenSigner) -> dict[str, str | None]:
        access = None
        if self.record_body and status == 200 and self.body:
            try:
                answer = json.loads(self.body)
            except ValueError:
                answer = None
            if isinstance(answer, dict):
                value = answer.get(self.access_field)
                access = value if isinstance(value, str) else None
                handed = answer.get(self.refresh_field) if self.refresh_field else None
                if isinstance(handed, str):
                    self.refresh_token = handed
        return {"access_token": access,
                "access_jti": signer.unverified_jti(access) if access else None,
                "refresh_token": self.refresh_token}
