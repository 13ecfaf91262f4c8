"""The browser servers of tests/harness/conftest.py (one per engine, shared by the pytest runs
a test starts) serve the runs of these tests too."""

from __future__ import annotations

from tests.harness.conftest import _browser_servers, browser_servers  # noqa: F401
