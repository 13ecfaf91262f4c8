"""The answer of `GET /__harness/facts`: everything a test needs to know about this backend,
so that no client repeats it."""

from __future__ import annotations

from typing import Any

from mock_backend.jobs import seed_count
from mock_backend.state import Backend
from mock_backend.users import all_users, demo_password

# The answer's schema version. A client checks it before reading anything else, so a harness
# and a backend that disagree say which one to upgrade instead of failing on a missing key.
# Raised when a fact a client reads changes meaning or goes away; a new fact keeps it.
FACTS_VERSION = 1
# Where the reference API's paths start; a profile may put its endpoints anywhere.
API_PREFIX = "/api/"
# What the reference SPA sends in the CSRF header; the backend accepts any non-empty value.
CSRF_VALUE = "XMLHttpRequest"


def facts_payload(backend: Backend) -> dict[str, Any]:
    """The facts of `backend` as it is configured and as its clock stands now."""
    s = backend.settings
    profile = s.api_profile
    return {
        "version": FACTS_VERSION,
        "api": {name: e.describe() for name, e in profile.endpoints.items()},
        "api_prefix": API_PREFIX,
        "list_field": profile.resources.list_field,
        # Every table and key of the API profile, named as the profile's file names them;
        # the cookie, CSRF and failure settings given beside the profile are in it already.
        "profile": profile.describe(),
        # What set_refresh_cookie sets: name and path are settings, the rest the profile's.
        "cookie": {"name": s.cookie_name, "path": s.cookie_path, "http_only": True,
                   "secure": profile.cookie.secure, "same_site": profile.cookie.same_site,
                   "host_only": True},
        # Where the profile asks for behaviour other than the reference's: the backend stands
        # in for another one, whose findings the checks then report as such.
        "stands_in": profile.behaviour_not_the_references(),
        "session_limit": profile.behaviour.session_limit or None,
        "csrf_header": {"name": s.csrf_header, "value": CSRF_VALUE},
        "refresh_failure_status": s.refresh_failure_status,
        "lifetimes": {"access": s.access_ttl, "refresh": s.refresh_ttl,
                      "reuse_grace": s.reuse_grace, "race_window": s.race_window},
        "clock": {"now": backend.clock.now()},
        "alg": s.alg,
        "allow_origins": s.allow_origins,
        "serves_spa": s.spa_dir is not None,
        "users": [{"username": u.username, "password": demo_password(u.username),
                   "email": u.email, "name": u.name, "role": u.role,
                   "jobs": seed_count(u.id)} for u in all_users()],
    }
