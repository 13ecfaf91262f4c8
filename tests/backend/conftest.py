from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from harness.seam.client import BackendClient
from harness.servers.live_server import LiveServer


@pytest.fixture
def http(live_backend: LiveServer, backend: BackendClient) -> Iterator[httpx.Client]:
    """A plain HTTP client (no cookie jar use) against the freshly reset backend."""
    with httpx.Client(base_url=live_backend.url, timeout=10) as client:
        yield client

