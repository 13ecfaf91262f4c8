"""Fixtures for tests against the real upstream backends (launcher.py).

Their venv is installed from the package index on first use (env.py). Where it cannot be
(no index, no venv module), the tests that need it are skipped with the reason, except under
CI=true, where that is a failure: there the index is reachable, so an install that fails is a
bug (the same rule as the Redis server's, tests/redis_server.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.skips import skip_or_fail_under_ci
from tests.upstreams import env, launcher
from tests.upstreams.launcher import Upstream

UNAVAILABLE = ("the real upstream backends (Django, Django REST framework, SimpleJWT, "
               "dj-rest-auth) cannot be installed into .upstreams/venv: {reason}")


def upstream_env_or_skip() -> Path:
    """The upstream venv's python, or the test is skipped (failed under CI=true)."""
    try:
        return env.ensure()
    except env.UpstreamUnavailable as exc:
        skip_or_fail_under_ci(UNAVAILABLE.format(reason=exc.reason), "they must be")


@contextmanager
def upstream_or_skip(mode: str, **kw: Any) -> Iterator[Upstream]:
    """`launcher.start(mode, **kw)`, or the test is skipped when the venv cannot be made
    (failed under CI=true). A server that fails once installed fails the test."""
    upstream_env_or_skip()
    with launcher.start(mode, **kw) as upstream:
        yield upstream


@pytest.fixture(scope="session")
def upstream_env() -> Path:
    """The upstream venv's python; `pytestmark = pytest.mark.usefixtures("upstream_env")`
    skips a whole module where it cannot be made."""
    return upstream_env_or_skip()


@pytest.fixture(scope="module")
def simplejwt_upstream(upstream_env: Path) -> Iterator[Upstream]:
    """The backend of mode simplejwt, JWTAuthentication only, for the module."""
    with upstream_or_skip("simplejwt") as upstream:
        yield upstream


@pytest.fixture(scope="module")
def dj_rest_auth_upstream(upstream_env: Path) -> Iterator[Upstream]:
    """The backend of mode dj-rest-auth, for the module."""
    with upstream_or_skip("dj-rest-auth") as upstream:
        yield upstream
