"""Before any browser starts: does the team's backend (`--upstream`) answer, does the API
profile match it, and can every account of the accounts file log in?

One login per account, straight to the backend (the edge is not up yet): the first problem
is one line that names the flag to fix.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class LoginSpelling:
    """How the profile logs in: method, path, body shape and field names."""

    method: str
    path: str
    form: bool
    username_field: str
    password_field: str
    access_field: str


def login_problem(upstream: str, login: LoginSpelling, accounts: list[tuple[str, str]],
                  accounts_file: str, timeout: float = 10.0,
                  verify: ssl.SSLContext | bool = True) -> str | None:
    """The first thing that stops a run at `upstream`, in one line; None when every account
    logs in and its answer has the access token where the profile says. (`verify`: what a
    server certificate is checked against: the test CA's, through an edge served over
    https.)"""
    with httpx.Client(base_url=upstream, timeout=timeout, trust_env=False,
                      verify=verify) as client:
        for username, password in accounts:
            body = {login.username_field: username, login.password_field: password}
            try:
                answer = (client.request(login.method, login.path, data=body) if login.form
                          else client.request(login.method, login.path, json=body))
            except httpx.HTTPError as exc:
                return (f"--upstream {upstream}: no answer ({type(exc).__name__}: {exc}); "
                        f"start your backend first")
            status = answer.status_code
            said = " ".join(answer.text.split())[:160]
            where = f"{login.method} {login.path}"
            if status in (404, 405) or 300 <= status < 400:
                return (f"--api-profile: the login is {where}, and {upstream} answered "
                        f"{status} there: the profile does not match this backend (its "
                        f"[login] path and method)")
            if status in (400, 401, 403, 422):
                return (f"--accounts {accounts_file}: account {username!r}: the backend "
                        f"refused its login at {where} ({status} {said})")
            if not 200 <= status < 300:
                return f"--upstream {upstream}: the login of {username!r} answered {status} {said}"
            try:
                data = answer.json()
            except ValueError:
                data = None
            if not isinstance(data, dict) or not isinstance(data.get(login.access_field), str):
                has = ", ".join(sorted(data)) if isinstance(data, dict) else "no JSON object"
                return (f"--api-profile: login.response.access_token is "
                        f"{login.access_field!r}, but the login answer at {where} has no such "
                        f"field (it has: {has})")
    return None
