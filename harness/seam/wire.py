"""What the seam's clients share: an HTTP client that closes with its owner, and records read
from the backend's JSON by field name."""

from __future__ import annotations

import ssl
from dataclasses import fields
from typing import Any, TypeVar

import httpx

R = TypeVar("R")

# An idle connection is given up after this long, well before common servers close theirs
# (uvicorn after 5 s, as does httpx's own default): a request sent on a connection the server
# is closing fails with "Server disconnected without sending a response", and is not retried.
KEEPALIVE_EXPIRY_S = 2.0


def record(cls: type[R], data: dict[str, Any]) -> R:
    """A dataclass `cls` from a JSON object of the backend: its fields by name; a field the
    answer leaves out is None, and keys the harness does not know are ignored."""
    return cls(**{f.name: data.get(f.name) for f in fields(cls)})  # type: ignore[arg-type]


class HttpClient:
    """An httpx client to `base_url`, closed by `close()` or by leaving a `with` block."""

    def __init__(self, base_url: str, timeout: float, verify: ssl.SSLContext | bool) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, verify=verify,
                                  limits=httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY_S))

    def close(self) -> None:
        self._http.close()

    def __enter__(self: R) -> R:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
