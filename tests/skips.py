"""What a test does when something it needs cannot be installed here."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def skip_or_fail_under_ci(message: str, under_ci: str) -> NoReturn:
    """Skip the test, saying why (`message`); under CI=true, where what it needs can be
    installed, fail it instead, with `under_ci` added (`; under CI=true they must be`)."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{message}; under CI=true {under_ci}", pytrace=False)
    pytest.skip(message)
