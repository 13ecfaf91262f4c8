"""The harness's `backend_app`, wrapped in the mistake `--broken-backend` names."""

from __future__ import annotations

import pytest
from starlette.types import ASGIApp

from mock_backend import Settings
from tests.broken.backend_variants import BACKENDS


@pytest.fixture(scope="session")
def harness_backend_app(harness_backend_settings: Settings, pytestconfig: pytest.Config) -> ASGIApp:
    return BACKENDS[pytestconfig.getoption("broken_backend")](harness_backend_settings)
