"""Fidelity: whether an API profile makes the harness's backend behave like the backend it names.

    python -m mock_backend.fidelity --upstream URL --api-profile PROFILE --accounts FILE
                                    [--account NAME] [--observations]

Two sides, both speaking the test-control API (`/__harness/*`): the real backend at URL, behind
an edge (`mock_backend.edge`), and the harness's own backend run with the profile. Both are
served in this process, on free loopback ports. Each side gets the same wire sequences, spelled
from the profile alone (paths, fields, transport, body format), by clients of its own: no
cookie is shared between the sides, and each client keeps cookies as a browser does (a Secure
cookie goes to a loopback host over http) and sends the profile's CSRF header. Upstream, the
accounts file's account logs in (the first of role user unless `--account` names one); on the
harness's side, the demo user of the same role that its facts list.

- login: good credentials, a wrong password, good credentials as a form body;
- the current user (`resources.current_user`): with the access token, with none (the
  browser's cookies alone, then nothing at all), with garbage, with an expired token (the
  side's clock moved past `lifetimes.access` of its facts; the edge spoils what has expired,
  so the real backend gives its own invalid-token answer);
- refresh; the retired value again, from another client, at once and then past the side's
  race window and reuse grace (its clock moved); then the successor;
- 20 concurrent refreshes of one value, and one refresh with each successor;
- logout (the refresh value where the transport puts it, and the bearer token), then that
  refresh value, then the access token;
- a POST to the login path without its trailing slash (when it has one), not followed;
- `Origin: https://evil.example` on a refresh and on a logout (cookies sent all the same:
  what is probed is the backend's own check, not SameSite).

Each step is observed as fields: the status, the answer's top-level JSON keys, each
Set-Cookie's lifetime (persistent, session or cleared) and attributes (SameSite and Path with
their values, HttpOnly, Secure; no value, no number; of a cleared one its Path alone), whether
WWW-Authenticate is there, a Location, and what stays usable after it. A difference is one
line, `step: field: real=... harness=...`. What a real backend decides by a race is compared
as a class: whether more than one of the concurrent refreshes won (in any of up to twenty
rounds: a backend that can fork does not in every round), and whether all their successors
refresh.

Exit status: 0 the sides agree, 1 they differ, 2 bad input (one line naming it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

from mock_backend.csrf import DOUBLE_SUBMIT_COOKIE, DOUBLE_SUBMIT_HEADER
from mock_backend.edge.accounts import Account, Accounts, AccountsError, load_accounts
from mock_backend.facts import CSRF_VALUE
from mock_backend.profile import ApiProfile, ProfileError, load_profile

PROG = "python -m mock_backend.fidelity"
CONCURRENT = 20
# Rounds of CONCURRENT refreshes at most, until one forks: SimpleJWT's blacklist forks in
# about half its rounds, so twenty leave a fork unseen about once in a million runs.
ROUNDS = 20
FOREIGN_ORIGIN = "https://evil.example"
GARBAGE = "abc.def.ghi"
TIMEOUT = 30.0
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


class FidelityError(ValueError):
    """Input the check cannot run with, or a side it cannot reach: one line naming it."""


# --- Observations ---------------------------------------------------------------------------

@dataclass
class Observation:
    """One step on one side: its fields (compared), a note (shown, not compared), or why it
    did not run."""

    step: str
    fields: dict[str, str] = field(default_factory=dict)
    note: str = ""
    skipped: str = ""

    def shown(self) -> str:
        if self.skipped:
            return f"{self.step}: not run ({self.skipped})"
        text = " | ".join(f"{k}={v}" for k, v in self.fields.items())
        return f"{self.step}: {text}" + (f"  [{self.note}]" if self.note else "")


@dataclass
class Observations:
    """A side's observations, in the order of its steps."""

    side: str
    base_url: str
    username: str
    steps: dict[str, Observation] = field(default_factory=dict)


@dataclass(frozen=True)
class Difference:
    step: str
    field: str
    real: str
    harness: str

    @property
    def key(self) -> str:
        """`step: field`, as a test's dict of differences kept on purpose names it."""
        return f"{self.step}: {self.field}"

    def __str__(self) -> str:
        return f"{self.key}: real={self.real} harness={self.harness}"


@dataclass
class Report:
    real: Observations
    harness: Observations
    differences: list[Difference]

    def unexpected(self, kept: Collection[str]) -> list[Difference]:
        """The differences not in `kept` (keys `step: field`)."""
        return [d for d in self.differences if d.key not in kept]


ABSENT = "absent"


def differences(real: Observations, ours: Observations,
                allowed: Collection[str] = ()) -> list[Difference]:
    """Step by step, field by field: where the harness's side answered otherwise than the
    real one. A step that one side did not run, or that stopped on either side, is one
    difference (field `run`): a step seen on neither side proves nothing, even if the two
    stopped alike. `allowed` keys (`step: field`) are left out."""
    found = []
    for step in [*real.steps, *(s for s in ours.steps if s not in real.steps)]:
        theirs, mine = real.steps.get(step), ours.steps.get(step)
        if theirs is None or mine is None or theirs.skipped or mine.skipped:
            found.append(Difference(step, "run", _run_state(theirs), _run_state(mine)))
            continue
        for name in [*theirs.fields, *(f for f in mine.fields if f not in theirs.fields)]:
            a, b = theirs.fields.get(name, ABSENT), mine.fields.get(name, ABSENT)
            if a != b:
                found.append(Difference(step, name, a, b))
    return [d for d in found if d.key not in allowed]


def _run_state(observation: Observation | None) -> str:
    if observation is None:
        return "not run"
    return f"not run ({observation.skipped})" if observation.skipped else "run"


# --- What an answer shows -------------------------------------------------------------------

def answer_fields(response: httpx.Response) -> dict[str, str]:
    """Status, body keys, WWW-Authenticate, Location and each Set-Cookie of an answer."""
    fields = {"status": str(response.status_code), "body": body_keys(response.content),
              "www-authenticate": "present" if "www-authenticate" in response.headers
              else ABSENT}
    location = response.headers.get("location")
    if location is not None:
        fields["location"] = _same_origin_path(location, str(response.request.url))
    for header in response.headers.get_list("set-cookie"):
        cookie = parse_set_cookie(header)
        fields[f"set-cookie {cookie.name}"] = cookie.shown()
    return fields


def body_keys(content: bytes) -> str:
    """`{a, b}` for a JSON object (its top-level keys, sorted), else what the body is."""
    if not content.strip():
        return "empty"
    try:
        data = json.loads(content)
    except ValueError:
        return "non-json"
    if isinstance(data, dict):
        return "{" + ", ".join(sorted(data)) + "}"
    return f"json {type(data).__name__}"


def _same_origin_path(location: str, request_url: str) -> str:
    """A Location on the request's own origin as its path: the sides live on different
    ports, and a relative and an absolute Location lead to the same place."""
    parts, own = urlsplit(location), urlsplit(request_url)
    if parts.scheme and (parts.scheme, parts.netloc) != (own.scheme, own.netloc):
        return location
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True)
class SetCookie:
    name: str
    value: str
    lifetime: str  # persistent | session | cleared
    attributes: tuple[str, ...]  # sorted: Domain, HttpOnly, Path=/x, SameSite=Lax, Secure, ...
    path: str | None
    secure: bool

    def shown(self) -> str:
        """Its lifetime and attributes; a cleared cookie's Path and Domain alone, what a
        browser finds the cookie to remove by (the rest of a removal changes nothing)."""
        attributes = self.attributes if self.lifetime != "cleared" else tuple(
            a for a in self.attributes if a.startswith(("Path=", "Domain")))
        return "; ".join((self.lifetime, *attributes))


def parse_set_cookie(header: str) -> SetCookie:
    """A Set-Cookie header as a browser reads it (RFC 6265 section 5.2), its value and the
    numbers of its lifetime kept apart from what is compared."""
    pair, *parts = header.split(";")
    name, _, value = pair.partition("=")
    attributes, path, secure = [], None, False
    max_age: int | None = None
    expires: float | None = None
    for part in parts:
        key, _, text = part.strip().partition("=")
        key, text = key.strip().lower(), text.strip()
        if key == "max-age":
            with contextlib.suppress(ValueError):
                max_age = int(text)
        elif key == "expires":
            with contextlib.suppress(TypeError, ValueError, IndexError, OverflowError):
                expires = parsedate_to_datetime(text).timestamp()
        elif key == "path":
            path = text if text.startswith("/") else None
            attributes.append(f"Path={text}")
        elif key == "samesite":
            attributes.append(f"SameSite={text.capitalize()}")
        elif key == "secure":
            secure = True
            attributes.append("Secure")
        elif key == "httponly":
            attributes.append("HttpOnly")
        elif key:
            attributes.append(key.title())
    if max_age is not None:  # Max-Age wins over Expires
        lifetime = "cleared" if max_age <= 0 else "persistent"
    elif expires is not None:
        lifetime = "cleared" if expires <= time.time() else "persistent"
    else:
        lifetime = "session"
    return SetCookie(name.strip(), value.strip(), lifetime, tuple(sorted(attributes)), path,
                     secure)


# --- A browser-like client ------------------------------------------------------------------

class Browser:
    """One client of one side: requests spelled by the profile, cookies kept as a browser
    keeps them (by name and path; a Secure one only from and to https or a loopback host)."""

    def __init__(self, base_url: str, profile: ApiProfile,
                 jar: dict[tuple[str, str], str] | None = None) -> None:
        self.base_url, self.profile = base_url, profile
        self.jar: dict[tuple[str, str], str] = dict(jar or {})  # (name, path) -> value
        parts = urlsplit(base_url)
        self._trustworthy = parts.scheme == "https" or parts.hostname in _LOOPBACK
        # No jar of httpx's own (it refuses every cookie): the cookies are this class's.
        self.http = httpx.Client(base_url=base_url, timeout=TIMEOUT, trust_env=False,
                                 follow_redirects=False,
                                 cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])))

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.http.close()

    def copy(self) -> Browser:
        """Another client holding the same cookies (a second tab, as far as cookies go)."""
        return Browser(self.base_url, self.profile, self.jar)

    def send(self, method: str, path: str, *, headers: dict[str, str] | None = None,
             body: dict[str, str] | None = None, form: bool = False,
             cookies: dict[str, str] | None = None) -> httpx.Response:
        """`cookies`: values sent instead of the jar's for those names."""
        sent = dict(headers or {})
        cookie = self._cookie_header(path, cookies or {})
        if cookie:
            sent["Cookie"] = cookie
        if body is None:
            response = self.http.request(method, path, headers=sent)
        elif form:
            response = self.http.request(method, path, headers=sent, data=body)
        else:
            response = self.http.request(method, path, headers=sent, json=body)
        self._keep(response, path)
        return response

    def cookie(self, name: str) -> str | None:
        return next((v for (n, _), v in self.jar.items() if n == name), None)

    # --- the API, as the profile spells it ------------------------------------------------

    def login(self, account: Account, *, form: bool | None = None,
              path: str | None = None) -> httpx.Response:
        login = self.profile.login
        body = {login.username_field: account.username, login.password_field: account.password}
        return self.send(login.method, path or login.path, body=body,
                         form=login.body == "form" if form is None else form)

    def refresh(self, value: str | None,
                headers: dict[str, str] | None = None) -> httpx.Response:
        refresh = self.profile.refresh
        sent, fields, cookies = self._refresh_value(value)
        fields = {**refresh.extra, **fields}
        return self.send(refresh.method, refresh.path, headers={**sent, **(headers or {})},
                         body=fields if fields and refresh.method != "GET" else None,
                         form=refresh.body == "form", cookies=cookies)

    def logout(self, value: str | None, access: str | None,
               headers: dict[str, str] | None = None) -> httpx.Response:
        sent, fields, cookies = self._refresh_value(value)
        if access:
            sent["Authorization"] = f"Bearer {access}"
        logout = self.profile.logout
        return self.send(logout.method, logout.path, headers={**sent, **(headers or {})},
                         body=fields or None, form=self.profile.refresh.body == "form",
                         cookies=cookies)

    def current_user(self, access: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {access}"} if access else {}
        return self.send("GET", self.profile.resources.current_user.path, headers=headers)

    def tokens(self, response: httpx.Response) -> tuple[str | None, str | None]:
        """The access token and the refresh value a login or refresh answer hands out."""
        p = self.profile
        answer = _json_object(response)
        access = answer.get(p.login.access_token) or answer.get(p.refresh.access_token)
        if p.refresh.in_cookie:
            cookies = [parse_set_cookie(h) for h in response.headers.get_list("set-cookie")]
            refresh = next((c.value for c in cookies if c.name == p.cookie_name
                            and c.lifetime != "cleared"), None)
        else:
            refresh = answer.get(p.refresh.refresh_token)
        return (access if isinstance(access, str) and access else None,
                refresh if isinstance(refresh, str) and refresh else None)

    def _refresh_value(self, value: str | None) -> tuple[dict[str, str], dict[str, str],
                                                         dict[str, str]]:
        """Headers, body fields and cookies that carry `value` as the transport says, with
        the CSRF headers the profile asks for."""
        refresh = self.profile.refresh
        headers, fields, cookies = self._csrf(), {}, {}
        if value is not None:
            if refresh.transport == "cookie":
                cookies[self.profile.cookie_name] = value
            elif refresh.transport == "header":
                headers[refresh.field] = value
            else:
                fields[refresh.field] = value
        return headers, fields, cookies

    def _csrf(self) -> dict[str, str]:
        headers = {}
        if self.profile.refresh.csrf_header:
            headers[self.profile.refresh.csrf_header] = CSRF_VALUE
        token = self.cookie(DOUBLE_SUBMIT_COOKIE)
        if self.profile.behaviour.csrf == "double-submit" and token:
            headers[DOUBLE_SUBMIT_HEADER] = token
        return headers

    def _cookie_header(self, path: str, instead: dict[str, str]) -> str:
        matching = sorted(((p, n, v) for (n, p), v in self.jar.items() if _path_match(p, path)
                           and n not in instead), key=lambda c: -len(c[0]))
        pairs = [f"{n}={v}" for _, n, v in matching] + [f"{n}={v}" for n, v in instead.items()]
        return "; ".join(pairs)

    def _keep(self, response: httpx.Response, path: str) -> None:
        for header in response.headers.get_list("set-cookie"):
            cookie = parse_set_cookie(header)
            if not cookie.name or (cookie.secure and not self._trustworthy):
                continue
            where = (cookie.name, cookie.path or _default_path(path))
            if cookie.lifetime == "cleared":
                self.jar.pop(where, None)
            else:
                self.jar[where] = cookie.value


def _path_match(cookie_path: str, path: str) -> bool:
    """RFC 6265 section 5.1.4."""
    return path == cookie_path or (path.startswith(cookie_path) and (
        cookie_path.endswith("/") or path[len(cookie_path)] == "/"))


def _default_path(path: str) -> str:
    return path[:path.rfind("/")] or "/" if path.startswith("/") else "/"


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _said(response: httpx.Response) -> str:
    """What a refusal says in a word: its `detail`, `message` or `error`, else nothing."""
    answer = _json_object(response)
    text = next((answer[k] for k in ("detail", "message", "error") if k in answer), "")
    return repr(text) if isinstance(text, str) and text else ""


def _note(response: httpx.Response) -> str:
    """A refusal's body and challenge, shown beside its fields (never a token's answer)."""
    if response.status_code < 300:
        return ""
    text = " ".join(response.text.split())
    challenge = response.headers.get("www-authenticate")
    note = text[:160] + ("..." if len(text) > 160 else "")
    return note + (f" WWW-Authenticate: {challenge}" if challenge else "")


# --- The sequences --------------------------------------------------------------------------

class _Stopped(Exception):
    """A sequence cannot go on (its login failed, a side did not answer)."""


class _Run:
    """The sequences on one side."""

    def __init__(self, base_url: str, profile: ApiProfile, account: Account,
                 observations: Observations) -> None:
        self.base_url, self.profile, self.account = base_url, profile, account
        self.observations = observations
        self.control = httpx.Client(base_url=base_url, timeout=TIMEOUT, trust_env=False)

    def browser(self) -> Browser:
        return Browser(self.base_url, self.profile)

    def record(self, step: str, response: httpx.Response, **facts: str) -> None:
        self.observations.steps[step] = Observation(step, {**answer_fields(response), **facts},
                                                    _note(response))

    def logged_in(self, browser: Browser) -> tuple[str, str]:
        response = browser.login(self.account)
        access, refresh = browser.tokens(response)
        if not (200 <= response.status_code < 300 and access and refresh):
            raise _Stopped(f"its login answered {response.status_code} "
                           f"{body_keys(response.content)}")
        return access, refresh

    def facts(self) -> dict[str, Any]:
        response = self.control.get("/__harness/facts")
        if response.status_code != 200:
            raise FidelityError(f"{self.base_url}: GET /__harness/facts answered "
                                f"{response.status_code}: no test-control API there")
        facts: dict[str, Any] = response.json()
        return facts

    def advance_clock(self, seconds: float) -> None:
        response = self.control.post("/__harness/clock", json={"advance": seconds})
        if response.status_code != 200:
            raise _Stopped(f"POST /__harness/clock answered {response.status_code}")

    # a. login
    def login(self) -> None:
        with self.browser() as b:
            self.record("login", b.login(self.account))
        with self.browser() as b:
            wrong = self.account.model_copy(update={"password": self.account.password + "-wrong"})
            self.record("login.bad_password", b.login(wrong))
        with self.browser() as b:
            self.record("login.form", b.login(self.account, form=True))

    # b. a protected GET
    def current_user(self) -> None:
        with self.browser() as b:
            access, _ = self.logged_in(b)
            self.record("current_user.valid", b.current_user(access))
            self.record("current_user.no_token", b.current_user(None))
            with self.browser() as stranger:
                self.record("current_user.no_token_no_cookies", stranger.current_user(None))
            self.record("current_user.garbage", b.current_user(GARBAGE))
            lifetime = float(self.facts()["lifetimes"]["access"])
            self.advance_clock(lifetime + 1)
            self.record("current_user.expired", b.current_user(access))

    # c. rotation and a replay
    def refresh(self) -> None:
        with self.browser() as b:
            _, first = self.logged_in(b)
            rotated = b.refresh(first)
            self.record("refresh", rotated)
            _, successor = b.tokens(rotated)
            with self.browser() as thief:
                # At once, as a client that sends the old value again does; then later than
                # the side's race window and reuse grace, as a stolen value comes back.
                self.record("refresh.replay", thief.refresh(first))
                lifetimes = self.facts()["lifetimes"]
                self.advance_clock(float(lifetimes["race_window"]) +
                                   float(lifetimes["reuse_grace"]) + 1)
                self.record("refresh.replay_later", thief.refresh(first))
            if successor is None:
                raise _Stopped(f"the refresh answered {rotated.status_code} without a "
                               f"successor")
            self.record("refresh.successor_after_replay", b.refresh(successor))

    # d. concurrent refreshes of one value
    def concurrent(self) -> None:
        """Rounds of CONCURRENT refreshes of one value (a fresh login each), until more than
        one wins or ROUNDS were run: a real backend that can fork does not in every round."""
        rounds: list[int] = []
        successors = usable = 0
        said: Counter[str] = Counter()
        while len(rounds) < ROUNDS and (not rounds or max(rounds) <= 1):
            with self.browser() as b:
                _, value = self.logged_in(b)
                answers = _at_once(self.control, self.profile, b, value, CONCURRENT)
            won = [successor for status, successor, _ in answers if 200 <= status < 300]
            rounds.append(len(won))
            said.update(f"{status or 'no answer'} {text}".strip()
                        for status, _, text in answers if not 200 <= status < 300)
            # Each round's successors before the next login, which a session limit may
            # answer by ending this round's session.
            successors += len(won)
            for successor in won:
                if successor is not None:
                    with self.browser() as other:
                        usable += 200 <= other.refresh(successor).status_code < 300
        most = max(rounds)
        # How many were refused is the race's, and shown only: a fork refuses none when all
        # arrive before the first commits, some when they arrive later.
        self.observations.steps["refresh.concurrent"] = Observation("refresh.concurrent", {
            "winners": "none" if not most else "one" if most == 1 else "more than one",
            "successors usable": ("no successors" if not successors
                                  else "all" if usable == successors
                                  else "none" if not usable else "some")},
            f"won per round of {CONCURRENT}: {', '.join(map(str, rounds))}; {usable} of "
            f"{successors} successors refreshed; refused: "
            + (", ".join(f"{n} x {text}" for text, n in said.most_common()) or "none"))

    # e. logout
    def logout(self) -> None:
        with self.browser() as b:
            access, value = self.logged_in(b)
            self.record("logout", b.logout(value, access))
            with self.browser() as thief:
                self.record("logout.refresh_after", thief.refresh(value))
            self.record("logout.access_after", b.current_user(access))

    # f. the login path without its trailing slash
    def trailing_slash(self) -> None:
        with self.browser() as b:
            self.record("login.no_trailing_slash",
                        b.login(self.account, path=self.profile.login.path.rstrip("/")))

    # g. a foreign Origin
    def foreign_origin(self) -> None:
        origin = {"Origin": FOREIGN_ORIGIN}
        with self.browser() as b:
            _, value = self.logged_in(b)
            self.record("refresh.foreign_origin", b.refresh(value, origin))
        with self.browser() as b:
            access, value = self.logged_in(b)
            answer = b.logout(value, access, origin)
            with self.browser() as thief:
                after = thief.refresh(value)
            self.record("logout.foreign_origin", answer,
                        **{"refresh after": str(after.status_code)})


def _at_once(control: httpx.Client, profile: ApiProfile, browser: Browser, value: str,
             n: int) -> list[tuple[int, str | None, str]]:
    """`n` refreshes of `value` released together, each from a client holding the browser's
    cookies: each one's status, the successor it was handed and what a refusal said (status
    0: no answer). A gate of the side's test-control API holds them until all `n` are there
    and lets them go at once, as the checks' own probe does (T1): on the wire they overlap,
    whichever side is the quicker to answer one."""
    endpoint = profile.refresh.endpoint
    armed = control.post("/__harness/faults", json={
        "path": endpoint.path, "method": endpoint.method, "times": n, "gate": True})
    if armed.status_code not in (200, 201):
        raise _Stopped(f"POST /__harness/faults answered {armed.status_code}: {armed.text}")
    gate = armed.json()["id"]
    answers: list[tuple[int, str | None, str]] = [(0, None, "")] * n

    def one(i: int) -> None:
        with browser.copy() as tab:
            try:
                response = tab.refresh(value)
            except httpx.HTTPError:
                return
            answers[i] = (response.status_code, tab.tokens(response)[1], _said(response))

    threads = [threading.Thread(target=one, args=(i,), name=f"refresh-{i}") for i in range(n)]
    for thread in threads:
        thread.start()
    try:
        held = control.post(f"/__harness/faults/{gate}/wait",
                            json={"held": n, "timeout": TIMEOUT}, timeout=TIMEOUT + 5)
    finally:
        control.post(f"/__harness/faults/{gate}/release")
        for thread in threads:
            thread.join()
    if held.status_code != 200 or not held.json().get("met"):
        raise _Stopped(f"the gate did not hold the {n} refreshes within {TIMEOUT:g} s")
    return answers


def _sequences(run: _Run) -> list[tuple[tuple[str, ...], Callable[[], None]]]:
    """Each sequence with the steps it records, in order."""
    found = [
        (("login", "login.bad_password", "login.form"), run.login),
        (("current_user.valid", "current_user.no_token", "current_user.no_token_no_cookies",
          "current_user.garbage", "current_user.expired"), run.current_user),
        (("refresh", "refresh.replay", "refresh.replay_later",
          "refresh.successor_after_replay"), run.refresh),
        (("refresh.concurrent",), run.concurrent),
        (("logout", "logout.refresh_after", "logout.access_after"), run.logout),
    ]
    path = run.profile.login.path
    if len(path) > 1 and path.endswith("/"):
        found.append((("login.no_trailing_slash",), run.trailing_slash))
    found.append((("refresh.foreign_origin", "logout.foreign_origin"), run.foreign_origin))
    return found


def observe(base_url: str, profile: ApiProfile, account: Account,
            side: str = "side") -> Observations:
    """The sequences against the backend (or edge) at `base_url`, which must speak the
    test-control API: it is reset first, and its clock makes the expiry."""
    observations = Observations(side, base_url, account.username)
    run = _Run(base_url, profile, account, observations)
    try:
        run.facts()
        run.control.post("/__harness/reset")
        for steps, sequence in _sequences(run):
            try:
                sequence()
            except _Stopped as exc:
                reason = str(exc)
            except httpx.HTTPError as exc:
                reason = f"no answer: {type(exc).__name__}"
            else:
                continue
            for step in steps:
                if step not in observations.steps:
                    observations.steps[step] = Observation(step, skipped=reason)
    except httpx.HTTPError as exc:
        raise FidelityError(f"{base_url}: no answer ({_one_line(exc)})") from None
    finally:
        run.control.close()
    return observations


# --- Both sides -----------------------------------------------------------------------------

def pick_account(accounts: Accounts, username: str | None = None) -> Account:
    """The named account, or the first of role user (else the first)."""
    if username is not None:
        found = accounts.user(username)
        if found is None:
            raise FidelityError(f"--account {username}: not in the accounts file (known: "
                                f"{', '.join(a.username for a in accounts.accounts)})")
        return found
    return next((a for a in accounts.accounts if a.role == "user"), accounts.accounts[0])


def demo_account(facts: dict[str, Any], role: str) -> Account:
    """The harness backend's first demo user of `role`, from its facts."""
    for user in facts.get("users", []):
        if user.get("role") == role:
            return Account.model_validate({key: user[key] for key in
                                           ("username", "password", "name", "role")})
    raise FidelityError(f"the harness backend has no demo user of role {role}")


def compare(upstream_url: str, profile: ApiProfile | str | Path,
            accounts: Accounts | str | Path, account: str | None = None) -> Report:
    """Serve the harness's backend with `profile` and an edge in front of `upstream_url`, run
    the sequences on both, and compare them."""
    from mock_backend import server_options
    from mock_backend.app import create_app
    from mock_backend.config import Settings
    from mock_backend.edge.app import EdgeSettings, create_edge_app
    from mock_backend.security import MIN_PASSWORD_COST

    if not isinstance(profile, ApiProfile):
        profile = load_profile(profile)
    if not isinstance(accounts, Accounts):
        accounts = load_accounts(accounts)
    chosen = pick_account(accounts, account)
    try:
        edge_settings = EdgeSettings(upstream=upstream_url, api_profile=profile,
                                     accounts=accounts)
    except ValueError as exc:
        raise FidelityError(str(exc)) from None
    _check_answers(edge_settings.upstream, profile)
    harness_app = create_app(Settings(api_profile=profile, test_control=True,
                                      password_cost=MIN_PASSWORD_COST,
                                      secret=secrets.token_bytes(32)))
    options = server_options()
    with _served(create_edge_app(edge_settings), options) as edge_url, \
            _served(harness_app, options) as harness_url:
        real = observe(edge_url, profile, chosen, side="real")
        with httpx.Client(base_url=harness_url, timeout=TIMEOUT, trust_env=False) as control:
            demo = demo_account(control.get("/__harness/facts").json(), chosen.role)
        ours = observe(harness_url, profile, demo, side="harness")
    return Report(real, ours, differences(real, ours))


def _check_answers(upstream: str, profile: ApiProfile) -> None:
    url = upstream + profile.resources.current_user.path
    try:
        httpx.get(url, timeout=10.0, trust_env=False)
    except httpx.HTTPError as exc:
        raise FidelityError(f"--upstream {upstream}: no answer ({_one_line(exc)})") from None


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


@contextlib.contextmanager
def _served(app: Any, options: dict[str, Any]) -> Iterator[str]:
    """`app` served by uvicorn in a thread on a free loopback port, until the block ends."""
    import uvicorn

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on",
                                           log_level="warning", access_log=False,
                                           timeout_graceful_shutdown=int(STOP_TIMEOUT),
                                           **options))
    thread = threading.Thread(target=server.run, name=f"fidelity-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while not server.started:
            if not thread.is_alive():
                raise FidelityError(f"the server on port {port} exited during start-up")
            if time.monotonic() > deadline:
                raise FidelityError(f"the server on port {port} not up after "
                                    f"{START_TIMEOUT:.0f} s")
            thread.join(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(STOP_TIMEOUT)
        if thread.is_alive():
            server.force_exit = True
            thread.join(STOP_TIMEOUT)


# --- The command ----------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Whether an API profile makes the harness's backend behave like the real "
                    "backend it names: the same requests to both, through the test-control "
                    "API on each side, and one line per difference (step: field: real=... "
                    "harness=...).",
        epilog="Exit status: 0 the sides agree, 1 they differ, 2 bad input.")
    p.add_argument("--upstream", required=True, metavar="URL",
                   help="the real backend, e.g. http://127.0.0.1:8001")
    p.add_argument("--api-profile", required=True, metavar="FILE|NAME",
                   help="the profile to prove: a TOML file or a built-in name")
    p.add_argument("--accounts", required=True, metavar="FILE",
                   help="the accounts file of the real backend (as for --upstream of "
                        "python -m mock_backend)")
    p.add_argument("--account", default=None, metavar="NAME",
                   help="the account to log in with (default: the first of role user)")
    p.add_argument("--observations", action="store_true",
                   help="also print every step as each side answered it (to stderr)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        try:
            profile = load_profile(args.api_profile)
            accounts = load_accounts(args.accounts)
        except (ProfileError, AccountsError) as exc:
            raise FidelityError(str(exc)) from None
        report = compare(args.upstream, profile, accounts, args.account)
    except FidelityError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    if args.observations:
        for side in (report.real, report.harness):
            print(f"# {side.side} ({side.username} at {side.base_url})", file=sys.stderr)
            for observation in side.steps.values():
                print(observation.shown(), file=sys.stderr)
    for difference in report.differences:
        print(difference)
    steps = len(report.real.steps)
    print(f"{profile.name}: {len(report.differences)} difference(s) in {steps} steps"
          if report.differences else f"{profile.name}: the sides agree on all {steps} steps",
          file=sys.stderr)
    return 1 if report.differences else 0


if __name__ == "__main__":
    sys.exit(main())
