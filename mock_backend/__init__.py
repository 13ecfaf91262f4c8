"""Reference backend for the JWT access/refresh flow: FastAPI app factory and settings."""

from __future__ import annotations

from mock_backend.app import create_app
from mock_backend.config import ConfigError, Settings

__all__ = ["ConfigError", "Settings", "create_app"]
