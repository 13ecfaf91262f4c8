"""Cross-site request checks for the cookie-authenticated endpoints (refresh, logout, login).

OWASP CSRF Prevention Cheat Sheet: verify the source origin (Origin, else Sec-Fetch-Site)
against the target and an allow-list, and require a custom request header, which a
cross-site form cannot send and a cross-origin fetch can send only after a CORS preflight.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from fastapi import Request

from mock_backend.config import Settings, normalize_origin
from mock_backend.errors import ApiError


def own_origin(request: Request) -> str | None:
    host = request.headers.get("host")
    if not host:
        return None
    return _origin_of(request.url.scheme, host)


@lru_cache(maxsize=256)  # a server is reached under a handful of Host names
def _origin_of(scheme: str, host: str) -> str | None:
    try:
        return normalize_origin(f"{scheme}://{host}")
    except ValueError:  # ConfigError, or urllib's for a port that is no number or an open [
        return None


# The double-submit defence (an API profile's `behaviour.csrf = "double-submit"`), with
# Django's names: a readable cookie set at login, echoed by scripts in a header.
DOUBLE_SUBMIT_COOKIE, DOUBLE_SUBMIT_HEADER = "csrftoken", "X-CSRFToken"


def check_origin(request: Request, settings: Settings) -> None:
    if settings.api_profile.behaviour.csrf != "origin":
        return  # a backend that checks no Origin (SameSite alone, or a double submit)
    origin = request.headers.get("origin")
    if origin is not None:
        allowed = {*settings.allow_origins, own_origin(request)}
        if origin not in allowed:  # exact match: no prefixes, no look-alikes, no "null"
            raise ApiError(403, "forbidden_origin", f"origin {origin!r} is not allowed")
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        raise ApiError(403, "forbidden_origin", "cross-site requests are not allowed")


def check_csrf(request: Request, settings: Settings) -> None:
    defence = settings.api_profile.behaviour.csrf
    if defence == "none":
        return
    if defence == "double-submit":
        cookie = request.cookies.get(DOUBLE_SUBMIT_COOKIE, "")
        header = request.headers.get(DOUBLE_SUBMIT_HEADER, "")
        if not cookie or not secrets.compare_digest(cookie.encode(), header.encode()):
            raise ApiError(403, "csrf_failed", f"CSRF failed: the {DOUBLE_SUBMIT_HEADER} header "
                                               f"must echo the {DOUBLE_SUBMIT_COOKIE} cookie")
        return
    check_origin(request, settings)
    # An API profile without a custom header ("") keeps the origin checks and SameSite=Strict.
    if settings.csrf_header and not request.headers.get(settings.csrf_header, "").strip():
        raise ApiError(403, "csrf_header_missing",
                       f"the {settings.csrf_header} header is required")
