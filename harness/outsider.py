"""A client outside the browser: replays a refresh cookie the way a thief would (T2, F1).

It sends what the backend's CSRF defence asks for (an allowed Origin and the custom
header), so what it proves is about the token, not about the request's shape.
"""

from __future__ import annotations

import ssl

import httpx

CSRF_HEADER = {"X-Requested-With": "XMLHttpRequest"}


class Outsider:
    def __init__(self, api_base_url: str, cookie_name: str, origin: str,
                 verify: ssl.SSLContext | bool = True) -> None:
        self._http = httpx.Client(base_url=api_base_url.rstrip("/"), timeout=10, verify=verify)
        self._cookie_name = cookie_name
        self._origin = origin

    def close(self) -> None:
        self._http.close()

    def post(self, path: str, cookie: str, *, origin: str | None = None,
             csrf_header: bool = True) -> httpx.Response:
        """A cookie-authenticated POST with a chosen Origin, with or without the CSRF header."""
        headers = {"Origin": origin or self._origin, "Cookie": f"{self._cookie_name}={cookie}"}
        return self._http.post(path, headers={**(CSRF_HEADER if csrf_header else {}), **headers})

    def get(self, path: str, access_token: str) -> httpx.Response:
        """An API call with a (stolen or old) access token."""
        return self._http.get(path, headers={"Authorization": f"Bearer {access_token}"})

    def options(self, path: str, origin: str, method: str = "GET") -> httpx.Response:
        """A CORS preflight from `origin`."""
        return self._http.options(path, headers={"Origin": origin,
                                                 "Access-Control-Request-Method": method,
                                                 "Access-Control-Request-Headers": "authorization"})

    def login(self, username: str, password: str) -> httpx.Response:
        """Log in as another device would: a new session, its refresh value in the answer's
        cookie."""
        return self._http.post("/api/login", json={"username": username, "password": password},
                               headers={"Origin": self._origin})

    def refresh(self, cookie: str) -> httpx.Response:
        """Rotate the family with a stolen cookie value."""
        return self.post("/api/refresh-token", cookie)

    def logout(self, cookie: str) -> httpx.Response:
        """Revoke the family the cookie belongs to."""
        return self.post("/api/logout", cookie)
