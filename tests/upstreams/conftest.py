"""The real upstream backends' fixtures (fixtures.py), for the tests of this directory."""

from tests.upstreams.fixtures import (  # noqa: F401 - fixtures, found by name
    dj_rest_auth_upstream,
    simplejwt_upstream,
    upstream_env,
)
