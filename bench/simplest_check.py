"""The simplest check, for the per-check figure: open the SPA, log in through the app, one
authenticated request. Repeated `$BENCH_ITERATIONS` times in one pytest session."""

from __future__ import annotations

import os

import pytest

from harness import SpaDriver


@pytest.mark.parametrize("iteration", range(int(os.environ.get("BENCH_ITERATIONS", "1"))))
def test_login_and_one_authenticated_request(harness_spa: SpaDriver, iteration: int) -> None:
    harness_spa.open("/")
    harness_spa.login()
    assert harness_spa.request("GET", "/api/current-user").status == 200
