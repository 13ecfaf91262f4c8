"""A client outside the browser: replays a refresh cookie the way a thief would (T2, F1).

It sends what the backend's CSRF defence asks for (an allowed Origin and the custom
header), so what it proves is about the token, not about the request's shape.
"""

from __future__ import annotations

import ssl

import httpx

from harness.facts import BackendFacts


class Outsider:
    def __init__(self, api_base_url: str, facts: BackendFacts, origin: str,
                 verify: ssl.SSLContext | bool = True) -> None:
        self._http = httpx.Client(base_url=api_base_url.rstrip("/"), timeout=10, verify=verify)
        self._facts = facts
        self._origin = origin

    def close(self) -> None:
        self._http.close()

    def post(self, path: str, cookie: str, *, origin: str | None = None,
             csrf_header: bool = True) -> httpx.Response:
        """A cookie-authenticated POST with a chosen Origin, with or without the CSRF header."""
        headers = {"Origin": origin or self._origin,
                   "Cookie": f"{self._facts.cookie.name}={cookie}"}
        csrf = self._facts.csrf_headers if csrf_header else {}
        return self._http.post(path, headers={**csrf, **headers})

    def get(self, path: str, access_token: str) -> httpx.Response:
        """An API call with a (stolen or old) access token."""
        return self._http.get(path, headers={"Authorization": f"Bearer {access_token}"})

    def options(self, path: str, origin: str, method: str = "GET") -> httpx.Response:
        """A CORS preflight from `origin`."""
        return self._http.options(path, headers={"Origin": origin,
                                                 "Access-Control-Request-Method": method,
                                                 "Access-Control-Request-Headers": "authorization"})

    def login(self, username: str) -> httpx.Response:
        """Log in as another device would, with the demo user's password: a new session,
        its refresh value in the answer's cookie."""
        password = self._facts.user(username).password
        return self._http.post(self._facts.login.path,
                               json={"username": username, "password": password},
                               headers={"Origin": self._origin})

    def refresh(self, cookie: str) -> httpx.Response:
        """Rotate the family with a stolen cookie value."""
        return self.post(self._facts.refresh.path, cookie)

    def logout(self, cookie: str) -> httpx.Response:
        """Revoke the family the cookie belongs to."""
        return self.post(self._facts.logout.path, cookie)
