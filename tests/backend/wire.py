"""What the tests send and read on the wire: logins, refreshes, Set-Cookie attributes."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

CSRF = {"X-Requested-With": "XMLHttpRequest"}


@dataclass(frozen=True)
class SetCookie:
    name: str
    value: str
    attributes: dict[str, str]  # lower-case names; flags map to ""

    @property
    def max_age(self) -> int:
        return int(self.attributes["max-age"])


def parse_set_cookie(response: httpx.Response, name: str = "refresh_token") -> SetCookie:
    """The Set-Cookie header for `name`, exactly as sent (not as a cookie jar reads it)."""
    headers = [h for h in response.headers.get_list("set-cookie")
               if h.split("=", 1)[0].strip() == name]
    assert len(headers) == 1, f"expected one Set-Cookie for {name}: {headers}"
    first, *rest = [p.strip() for p in headers[0].split(";")]
    cookie_name, _, value = first.partition("=")
    attributes = {}
    for part in rest:
        key, _, val = part.partition("=")
        attributes[key.strip().lower()] = val.strip()
    return SetCookie(cookie_name, value.strip('"'), attributes)


@dataclass(frozen=True)
class Session:
    access: str
    refresh: str
    body: dict


def login(http: httpx.Client, username: str = "alice", password: str | None = None) -> Session:
    r = http.post("/api/login", json={"username": username,
                                      "password": password or f"{username}-pass"})
    assert r.status_code == 200, r.text
    return Session(r.json()["accessToken"], parse_set_cookie(r).value, r.json())


def refresh(http: httpx.Client, cookie: str | None, headers: dict | None = None,
            cookie_name: str = "refresh_token") -> httpx.Response:
    sent = {**CSRF, **(headers or {})}
    if cookie is not None:
        sent["Cookie"] = f"{cookie_name}={cookie}"
    return http.post("/api/refresh-token", headers=sent)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
