"""A second, "third-party" origin (A2): records what reaches it, allows the SPA by CORS.

Firefox reports a request blocked by CORS as a page error, so this server answers CORS
properly; a leaked `Authorization` header then reaches it and shows in `received`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]


class ThirdParty:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self.url = ""  # set once it is served
        self.pages: dict[str, str] = {}  # path -> HTML served there (an attacker's page)
        self.app = Starlette(routes=[Route("/{path:path}", self._answer,
                                           methods=["GET", "POST", "OPTIONS"])])

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()
        self.pages.clear()

    async def _answer(self, request: Request) -> Response:
        with self._lock:
            self._received.append(Received(request.method, request.url.path,
                                           {k.lower(): v for k, v in request.headers.items()}))
        cors = {"Vary": "Origin"}
        origin = request.headers.get("origin")
        if origin:
            # Whatever the page asks for is allowed, so a leaked header is sent and seen here
            # instead of being stopped by the browser's preflight.
            cors |= {"Access-Control-Allow-Origin": origin,
                     "Access-Control-Allow-Credentials": "true",
                     "Access-Control-Allow-Methods": "GET, POST"}
            asked = request.headers.get("access-control-request-headers")
            if asked:
                cors["Access-Control-Allow-Headers"] = asked
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=cors)
        if request.method == "GET" and request.url.path in self.pages:
            return HTMLResponse(self.pages[request.url.path])
        return JSONResponse({"thirdParty": True}, headers=cors)
