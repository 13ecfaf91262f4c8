"""A uvicorn server in a thread on a free loopback port, for tests and the plugin."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from harness.servers.ca import TlsFiles


class ServerStartError(RuntimeError):
    """The live server did not come up before its deadline."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class LiveServer:
    """`with LiveServer(app) as server:` serves `app` at `server.url` until the block ends."""

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0,
                 url_host: str = "localhost", start_timeout: float = 15.0,
                 stop_timeout: float = 5.0, tls: TlsFiles | None = None,
                 server_options: dict[str, Any] | None = None) -> None:
        self.app = app
        self.host = host
        self.port = port or free_port(host)
        self.url = f"{'https' if tls else 'http'}://{url_host}:{self.port}"
        self._start_timeout = start_timeout
        self._stop_timeout = stop_timeout
        config = uvicorn.Config(app, host=host, port=self.port, lifespan="on",
                                log_level="warning", access_log=False,
                                timeout_graceful_shutdown=int(stop_timeout),
                                ssl_certfile=str(tls.server_cert) if tls else None,
                                ssl_keyfile=str(tls.server_key) if tls else None,
                                **(server_options or {}))
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=f"live-server-{self.port}",
                                        daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + self._start_timeout
        # Waiting on a flag the server sets, with a deadline: not a sleep in a test.
        while not self._server.started:
            if not self._thread.is_alive():
                raise ServerStartError(f"server on port {self.port} exited during start-up")
            if time.monotonic() > deadline:
                self._server.should_exit = True
                raise ServerStartError(f"server on port {self.port} not up after "
                                       f"{self._start_timeout:.0f}s")
            self._thread.join(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(self._stop_timeout)
        if self._thread.is_alive():  # bounded: force the remaining connections closed
            self._server.force_exit = True
            self._thread.join(self._stop_timeout)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
