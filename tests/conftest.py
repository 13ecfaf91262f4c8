"""Short names for the harness fixtures this repository's own tests use most.

They are also the proof that the plugin is a guest: a project may define `backend` or
`live_backend` fixtures of its own, and the conformance checks (which ask for
`harness_backend`, `_harness_live_backend`) are not affected.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.fixtures.servers import ServeBackend
from harness.seam.client import BackendClient
from harness.servers.live_server import LiveServer


@pytest.fixture
def backend(harness_backend: BackendClient) -> BackendClient:
    """The harness backend's test-control client, reset before the test."""
    return harness_backend


@pytest.fixture(scope="session")
def live_backend(_harness_live_backend: LiveServer) -> LiveServer:
    return _harness_live_backend


@pytest.fixture
def serve_backend(harness_serve_backend: ServeBackend) -> ServeBackend:
    return harness_serve_backend


@pytest.fixture(scope="session")
def _redis_server_url() -> Iterator[str]:
    from tests.redis_server import redis_server, redis_server_or_skip

    with redis_server(redis_server_or_skip()) as url:
        yield url


@pytest.fixture
def redis_url(_redis_server_url: str) -> str:
    """`redis://127.0.0.1:PORT/0` of this test process's Redis server, emptied for the test."""
    import redis

    url = f"{_redis_server_url}/0"
    with redis.Redis.from_url(url) as client:
        client.flushdb()
    return url
