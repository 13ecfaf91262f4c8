"""Stamps each request with its arrival time on the backend clock, before anything can hold it.

Rotation uses the stamp to tell a race from a replay: a request that arrived before the
rotation committed was sent with the then-current value, so it lost a race; one that
arrived after replays a value already rotated away.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from mock_backend.clock import Clock


class ArrivalStamp:
    def __init__(self, app: ASGIApp, clock: Clock) -> None:
        self.app = app
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {})["arrived_at"] = self.clock.now()
        await self.app(scope, receive, send)
