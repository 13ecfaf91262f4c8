"""A client outside the browser: replays a refresh token the way a thief would (T2, F1).

It speaks the backend's API as its facts spell it (login body and fields, where the
refresh token travels), and it sends what the backend's CSRF defence asks for (an allowed
Origin and the custom header), so what it proves is about the token, not about the
request's shape.
"""

from __future__ import annotations

import secrets
import ssl
from typing import Any

import httpx

from harness.seam.facts import BackendFacts
from harness.seam.wire import HttpClient

# Sent with every request of the outsider: behind the harness's edge the journal marks it
# as one the check made on purpose, and the edge does not pass the header on.
PROBE_HEADER = "X-Harness-Probe"
# A backend with the double-submit defence (`behaviour.csrf = "double-submit"`) wants this
# header to echo this cookie; the outsider sends both, as a script of the app's own origin
# would (a page on another site can neither read the cookie nor set it).
DOUBLE_SUBMIT_COOKIE, DOUBLE_SUBMIT_HEADER = "csrftoken", "X-CSRFToken"


class Outsider(HttpClient):
    def __init__(self, api_base_url: str, facts: BackendFacts, origin: str,
                 verify: ssl.SSLContext | bool = True) -> None:
        super().__init__(api_base_url, 10, verify)
        self._http.headers[PROBE_HEADER] = "1"
        self._facts = facts
        self._origin = origin

    def _add_csrf(self, headers: dict[str, str]) -> None:
        """What the backend's CSRF defence asks of a request from the app's own origin."""
        facts = self._facts
        if facts.csrf_header:
            headers.update(facts.csrf_headers)
        if facts.csrf_defence == "double-submit":
            token = secrets.token_urlsafe(16)
            headers[DOUBLE_SUBMIT_HEADER] = token
            cookie = headers.get("Cookie")
            headers["Cookie"] = f"{cookie}; " if cookie else ""
            headers["Cookie"] += f"{DOUBLE_SUBMIT_COOKIE}={token}"

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
        its refresh value in the answer (`refresh_value` reads it)."""
        api = self._facts.api
        fields = {api.username_field: username,
                  api.password_field: self._facts.user(username).password}
        return self._send(self._facts.login.method, self._facts.login.path, api.login_body,
                          fields, {"Origin": self._origin})

    def refresh(self, value: str, *, origin: str | None = None,
                csrf_header: bool = True) -> httpx.Response:
        """Rotate the family with a (stolen) refresh value, where the API carries it."""
        return self._with_refresh(self._facts.refresh.method, self._facts.refresh.path, value,
                                  origin, csrf_header, extra=True)

    def logout(self, value: str, *, origin: str | None = None,
               csrf_header: bool = True) -> httpx.Response:
        """Revoke the family the refresh value belongs to."""
        return self._with_refresh(self._facts.logout.method, self._facts.logout.path, value,
                                  origin, csrf_header, extra=False)

    def refresh_value(self, response: httpx.Response) -> str | None:
        """The refresh value an answer handed out: its cookie, or its body's field."""
        api = self._facts.api
        if not api.hands_refresh_token_to_scripts:
            return response.cookies.get(self._facts.cookie.name)
        try:
            value = response.json().get(api.refresh_refresh_token)
        except (ValueError, AttributeError):
            return None
        return value if isinstance(value, str) else None

    def access_token(self, response: httpx.Response, *, login: bool = True) -> str | None:
        api = self._facts.api
        field = api.login_access_token if login else api.refresh_access_token
        try:
            value = response.json().get(field)
        except (ValueError, AttributeError):
            return None
        return value if isinstance(value, str) else None

    def _with_refresh(self, method: str, path: str, value: str, origin: str | None,
                      csrf_header: bool, *, extra: bool) -> httpx.Response:
        facts, api = self._facts, self._facts.api
        headers = {"Origin": origin or self._origin}
        fields: dict[str, str] | None = None
        if api.refresh_transport == "cookie":
            headers["Cookie"] = f"{facts.cookie.name}={value}"
        elif api.refresh_transport == "header":
            headers[api.refresh_field] = value
        else:
            fields = {api.refresh_field: value}
        if csrf_header:
            self._add_csrf(headers)
        if extra and api.refresh_extra and method != "GET":
            fields = {**dict(api.refresh_extra), **(fields or {})}
        return self._send(method, path, api.refresh_body, fields, headers)

    def _send(self, method: str, path: str, body_format: str, fields: dict[str, Any] | None,
              headers: dict[str, str]) -> httpx.Response:
        if fields is None:
            return self._http.request(method, path, headers=headers)
        if body_format == "form":
            return self._http.request(method, path, data=fields, headers=headers)
        return self._http.request(method, path, json=fields, headers=headers)
