"""Serves the SPA folder with history fallback: unknown page paths get index.html."""

from __future__ import annotations

from pathlib import PurePosixPath

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

_NEVER_SERVED = (".py", ".pyc")
# Paths the backend owns: an unknown one is a 404, never the SPA's index.html.
RESERVED_PREFIXES = ("api", "__harness", ".well-known")


class SpaFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        pure = PurePosixPath(path)
        if (pure.suffix in _NEVER_SERVED or "__pycache__" in pure.parts
                or (pure.parts and pure.parts[0] in RESERVED_PREFIXES)):
            raise HTTPException(status_code=404)
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            # A path with a file extension is a missing asset; anything else is a route.
            if exc.status_code != 404 or pure.suffix:
                raise
            return await super().get_response("index.html", scope)
