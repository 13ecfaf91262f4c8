"""pytest plugin that proves an SPA's JWT access/refresh flow in real browsers.

What users may import; everything else is internal and may change between versions.
The fixtures are listed in docs/harness.md ("Fixtures").
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from harness.browser.clock import TimeControl
from harness.browser.driver import (
    Call,
    DriverError,
    Pending,
    RequestsHung,
    Response,
    SetupError,
    SpaDriver,
)
from harness.seam.client import BackendClient, ControlError, Family, Fault, FaultState
from harness.seam.facts import BackendFacts, Endpoint, FactsError, RefreshCookie, SeedUser
from harness.seam.journal import Attempt, Entry, Issued, Journal, Request
from harness.verdicts.check import Check, LoggedIn
from harness.verdicts.verdict import CheckFailure, Verdict

try:
    __version__ = version("jwt-refresh-harness")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "Attempt", "BackendClient", "BackendFacts", "Call", "Check", "CheckFailure", "ControlError",
    "DriverError", "Endpoint", "Entry", "FactsError", "Family", "Fault", "FaultState", "Issued",
    "Journal", "LoggedIn", "Pending", "RefreshCookie", "Request", "RequestsHung", "Response",
    "SeedUser", "SetupError", "SpaDriver", "TimeControl", "Verdict", "__version__",
]
