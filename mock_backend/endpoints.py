"""Where the API lives: one method and path per endpoint, read by the routes, the journal's
token recorder and the facts the test-control API gives the harness."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str

    def describe(self) -> dict[str, str]:
        return {"method": self.method, "path": self.path}


API_PREFIX = "/api/"
LOGIN = Endpoint("POST", "/api/login")
REFRESH = Endpoint("POST", "/api/refresh-token")
LOGOUT = Endpoint("POST", "/api/logout")
CURRENT_USER = Endpoint("GET", "/api/current-user")
LIST = Endpoint("GET", "/api/job-list")
CREATE = Endpoint("POST", "/api/jobs")
ADMIN = Endpoint("GET", "/api/admin/stats")
# The JSON field of the list endpoint's answer that holds the items.
LIST_FIELD = "jobs"
# The value the reference SPA sends in the CSRF header; the backend accepts any non-empty one.
CSRF_VALUE = "XMLHttpRequest"

ENDPOINTS = {"login": LOGIN, "refresh": REFRESH, "logout": LOGOUT,
             "current_user": CURRENT_USER, "list": LIST, "create": CREATE, "admin": ADMIN}
# Answers that hand out an access token in their body.
TOKEN_PATHS = frozenset({LOGIN.path, REFRESH.path})
