from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from harness.backend_client import BackendClient
from harness.live_server import LiveServer
from harness.plugin import TEST_SECRET
from mock_backend import Settings


@pytest.fixture
def http(live_backend: LiveServer, backend: BackendClient) -> Iterator[httpx.Client]:
    """A plain HTTP client (no cookie jar use) against the freshly reset backend."""
    with httpx.Client(base_url=live_backend.url, timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def backend_settings() -> Settings:
    """The API alone: these tests never load the SPA."""
    return Settings(test_control=True, secret=TEST_SECRET, spa_dir=None)
