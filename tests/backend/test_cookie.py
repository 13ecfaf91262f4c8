"""The refresh cookie's attributes, read from the Set-Cookie header as sent."""

from __future__ import annotations

import httpx
import pytest
from starlette.responses import Response

from harness.fixtures.servers import ServeBackend
from harness.seam.client import BackendClient
from mock_backend.config import Settings
from mock_backend.routes.auth import set_refresh_cookie
from mock_backend.state import Backend
from tests.backend.wire import CSRF, login, parse_set_cookie, refresh


def test_login_cookie_attributes_on_the_wire(http: httpx.Client) -> None:
    r = http.post("/api/login", json={"username": "alice", "password": "alice-pass"})
    cookie = parse_set_cookie(r)
    assert set(cookie.attributes) == {"httponly", "secure", "samesite", "path", "max-age"}
    assert cookie.attributes["samesite"].lower() == "strict"
    assert cookie.attributes["path"] == "/api"
    assert "domain" not in cookie.attributes  # host-only
    assert 7 * 86400 - 5 <= cookie.max_age <= 7 * 86400
    assert len(cookie.value) >= 43  # 256 bits, base64url


def test_rotated_cookie_never_outlives_the_family(http: httpx.Client,
                                                  backend: BackendClient) -> None:
    session = login(http)
    backend.advance_clock(6 * 86400)
    r = refresh(http, session.refresh)
    assert r.status_code == 200, r.text
    cookie = parse_set_cookie(r)
    assert cookie.attributes["path"] == "/api" and "httponly" in cookie.attributes
    assert 86400 - 5 <= cookie.max_age <= 86400


def test_cookie_name_and_path_are_configurable(serve_backend: ServeBackend) -> None:
    server = serve_backend(cookie_name="__Host-rt", cookie_path="/")
    with httpx.Client(base_url=server.url) as http:
        r = http.post("/api/login", json={"username": "bob", "password": "bob-pass"})
        cookie = parse_set_cookie(r, "__Host-rt")
        assert cookie.attributes["path"] == "/" and "secure" in cookie.attributes
        again = http.post("/api/refresh-token",
                          headers={**CSRF, "Cookie": f"__Host-rt={cookie.value}"})
        assert again.status_code == 200, again.text
        parse_set_cookie(again, "__Host-rt")


@pytest.mark.parametrize(("name", "path"), [("refresh_token", "/api"), ("__Host-rt", "/"),
                                            ("rt-2_x", "/")])
def test_the_refresh_cookie_header_is_the_one_response_set_cookie_writes(name: str,
                                                                        path: str) -> None:
    """The backend writes the Set-Cookie header of a new value itself; it is exactly the one
    Starlette's Response.set_cookie writes for the same cookie."""
    backend = Backend.build(Settings(secret=b"k" * 32, cookie_name=name, cookie_path=path))
    issued = backend.sessions.start("u1", backend.clock.now())
    ours, starlettes = Response(), Response()
    set_refresh_cookie(ours, backend, issued)
    remaining = int(issued.family.expires_at - backend.clock.now())
    starlettes.set_cookie(name, issued.value, max_age=max(remaining, 1), path=path,
                          secure=True, httponly=True, samesite="strict")
    assert ours.headers.getlist("set-cookie") == starlettes.headers.getlist("set-cookie")
