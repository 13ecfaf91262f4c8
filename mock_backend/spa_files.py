"""Serves the SPA folder with history fallback: unknown page paths get index.html."""

from __future__ import annotations

import os
import threading
from pathlib import PurePosixPath

from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

_NEVER_SERVED = (".py", ".pyc")
# Paths the backend owns: an unknown one is a 404, never the SPA's index.html.
RESERVED_PREFIXES = ("api", "__harness", ".well-known")
# Files up to this size are answered from memory, up to CACHE_BYTES in all.
CACHED_FILE_BYTES = 512 * 1024
CACHE_BYTES = 32 * 1024 * 1024


class SpaFiles(StaticFiles):
    """A page load asks for a dozen small files at once (an app of ES modules, no bundle).
    Streamed the way Starlette streams a file, each one took four hand-overs to a worker
    thread (open, read, read to the end, close), which cost more than the file: small
    files are kept in memory instead, by path, size and modification time, so an edited
    file is read again. Ranges are not offered for those."""

    def __init__(self, *, directory: PathLike, html: bool = False) -> None:
        super().__init__(directory=directory, html=html)
        self._files: dict[str, tuple[int, int, bytes]] = {}
        self._held = 0
        self._lock = threading.Lock()

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

    def file_response(self, full_path: PathLike, stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        if not isinstance(response, FileResponse) or stat_result.st_size > CACHED_FILE_BYTES:
            return response  # a 304, or a large file: streamed as before
        body = self._content(os.fspath(full_path), stat_result)
        if body is None:
            return response
        headers = {k: v for k, v in response.headers.items()
                   if k not in ("content-length", "accept-ranges")}
        return Response(body, status_code=status_code, headers=headers,
                        media_type=response.media_type)

    def _content(self, path: str, stat_result: os.stat_result) -> bytes | None:
        """The file's bytes when they are still those of `stat_result`, else None."""
        key = (stat_result.st_size, stat_result.st_mtime_ns)
        with self._lock:
            held = self._files.get(path)
        if held is not None and held[:2] == key:
            return held[2]
        try:
            with open(path, "rb") as f:
                body = f.read(CACHED_FILE_BYTES + 1)
        except OSError:
            return None
        if len(body) != stat_result.st_size:  # changed since it was looked up
            return None
        with self._lock:
            if self._held + len(body) > CACHE_BYTES:
                self._files.clear()
                self._held = 0
            old = self._files.pop(path, None)
            self._held += len(body) - (len(old[2]) if old else 0)
            self._files[path] = (*key, body)
        return body
