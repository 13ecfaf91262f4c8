"""Reference backend for the JWT access/refresh flow: FastAPI app factory and settings.

What a program that serves it needs is exported here: the settings, the app factory, the
server options it must run with, the SPA file server and the bundled SPA's folder.
"""

from __future__ import annotations

from typing import Any

from mock_backend.app import create_app
from mock_backend.config import ConfigError, Settings, default_spa_dir
from mock_backend.edge.accounts import Accounts, AccountsError, load_accounts
from mock_backend.edge.app import EdgeSettings, create_edge_app
from mock_backend.profile import ApiProfile, ProfileError, builtin_names, load_profile
from mock_backend.spa_files import SpaFiles

__all__ = ["Accounts", "AccountsError", "ApiProfile", "ConfigError", "EdgeSettings",
           "ProfileError", "Settings", "SpaFiles", "builtin_names", "create_app",
           "create_edge_app", "default_spa_dir", "load_accounts", "load_profile",
           "server_options"]


def server_options() -> dict[str, Any]:
    """Keyword arguments for `uvicorn.Config`/`uvicorn.run` that the backend relies on:
    request heads up to its own limit (its 431 answer, not the server's), and a server log
    without tracebacks for connections it drops on purpose (a test-control fault)."""
    from mock_backend.observe import install_log_filter
    from mock_backend.request_limits import MAX_REQUEST_HEAD_BYTES

    install_log_filter()
    return {"h11_max_incomplete_event_size": MAX_REQUEST_HEAD_BYTES}
