"""The simplest check, run by the overhead measurement: log in through the app, make one
authenticated request. Repeated `BENCH_ITERATIONS` times in one pytest session."""

from __future__ import annotations

import os

import pytest

from harness.driver import SpaDriver

ITERATIONS = int(os.environ.get("BENCH_ITERATIONS", "1"))


@pytest.mark.parametrize("iteration", range(ITERATIONS))
def test_login_and_one_authenticated_request(spa: SpaDriver, iteration: int) -> None:
    spa.open("/")
    spa.login()
    res = spa.request("GET", "/api/current-user")
    assert res.status == 200, res
