"""The edge: the test-control API in front of a backend the harness did not write.

Requests go to the upstream unchanged (`forward.py` lists the few rewrites); the journal
records what crossed; refresh families are the lineage the edge observed (`lineage.py`);
expiry is the edge's clock, applied by spoiling an expired token's signature so that the
upstream gives its own invalid-token answer; faults act at the edge.
"""

from __future__ import annotations

import gzip
import json
import time
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_backend.clock import Clock
from mock_backend.edge import forward
from mock_backend.edge.accounts import Accounts
from mock_backend.edge.lineage import Lineage
from mock_backend.edge.tokens import TokenView, spoil, view
from mock_backend.errors import install_error_handlers
from mock_backend.facts import CSRF_VALUE, FACTS_VERSION
from mock_backend.faults import FaultBook
from mock_backend.journal import Journal, JournalEntry
from mock_backend.observe import (
    CONTROL_PREFIX,
    DroppedConnection,
    cookie_value,
    set_cookie_value,
    through_faults,
)
from mock_backend.profile import ApiProfile
from mock_backend.spa_files import SpaFiles

# Until a login shows them: the lifetimes the facts give (SimpleJWT's defaults).
ASSUMED_ACCESS_TTL = 300.0
ASSUMED_REFRESH_TTL = 86400.0
MAX_READ_BODY = 1024 * 1024
UPSTREAM_CONNECTIONS = 8
# What a check sends with a request it makes on purpose (a replay, a probe): the journal
# marks it, and the upstream never sees the header.
PROBE_HEADER = b"x-harness-probe"  # a token endpoint's answer the edge reads; larger is passed on


@dataclass
class EdgeSettings:
    upstream: str
    api_profile: ApiProfile
    accounts: Accounts
    spa_dir: Path | None = None
    timeout: float = 30.0
    test_control: bool = True  # the edge exists for it

    def __post_init__(self) -> None:
        parts = urlsplit(self.upstream)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise ValueError(f"--upstream {self.upstream}: expected http(s)://host:port")
        self.upstream = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


@dataclass
class _Observed:
    """What the edge learned from answers: lifetimes, the cookie's attributes, item counts."""

    access_ttl: float | None = None
    refresh_ttl: float | None = None
    alg: str | None = None
    cookie: dict[str, Any] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)  # username -> items on the list
    owners: dict[str, str] = field(default_factory=dict)  # access token id -> username
    # Access token id -> its end on the edge's clock (see `Edge.edge_time`).
    ends: dict[str, float] = field(default_factory=dict)


class Edge:
    """What the test-control routes steer: the journal, the clock, the faults, the lineage."""

    holds_checked_refreshes = False  # a refresh's inside is the upstream's, out of reach

    def __init__(self, settings: EdgeSettings) -> None:
        self.settings = settings
        self.clock = Clock()
        self.journal = Journal()
        self.faults = FaultBook()
        self.lineage = Lineage(settings.accounts.refresh_lifetime)
        self.observed = _Observed()
        self.clients: forward.Clients | None = None
        p = settings.api_profile
        self._kinds = {(p.login.endpoint.method, p.login.endpoint.path): "login",
                       (p.refresh.endpoint.method, p.refresh.endpoint.path): "refresh",
                       (p.logout.endpoint.method, p.logout.endpoint.path): "logout"}
        self._list = (p.resources.list.method, p.resources.list.path)

    def reset(self) -> None:
        """The edge's own state, not the upstream's: journal, clock, faults, lineage."""
        self.faults.clear()
        self.journal.clear()
        self.clock.reset()
        self.lineage.clear()
        self.observed.owners.clear()
        self.observed.ends.clear()

    def families(self) -> list[dict[str, Any]]:
        return self.lineage.snapshot(self.clock.now())

    def facts(self) -> dict[str, Any]:
        s, o = self.settings, self.observed
        p = s.api_profile
        cookie = {"name": p.cookie_name, "path": p.cookie_path, "http_only": True,
                  "secure": True, "same_site": "Strict", "host_only": True, **o.cookie}
        return {
            "version": FACTS_VERSION,
            "api": {name: e.describe() for name, e in p.endpoints.items()},
            "api_prefix": _api_prefix(p),
            "list_field": p.resources.list_field,
            "profile": p.describe(),
            "cookie": cookie,
            "csrf_header": {"name": p.refresh.csrf_header, "value": CSRF_VALUE},
            "refresh_failure_status": p.refresh.failure_status,
            "lifetimes": {"access": o.access_ttl or ASSUMED_ACCESS_TTL,
                          "refresh": (s.accounts.refresh_lifetime or o.refresh_ttl
                                      or ASSUMED_REFRESH_TTL),
                          "reuse_grace": 0.0, "race_window": 0.0},
            "clock": {"now": self.clock.now()},
            "alg": o.alg or "unknown",
            "allow_origins": [],
            "serves_spa": s.spa_dir is not None,
            "users": [{"username": a.username, "password": a.password,
                       "email": f"{a.username}@example.invalid", "name": a.name,
                       "role": a.role, "jobs": o.items.get(a.username, 0)}
                      for a in s.accounts.accounts],
            "edge": {"upstream": s.upstream, "session_limit": s.accounts.session_limit,
                     "refresh_lifetime_known": bool(s.accounts.refresh_lifetime
                                                    or o.refresh_ttl),
                     "observed": {"lifetimes": o.access_ttl is not None,
                                  "cookie": bool(o.cookie)}},
        }

    # --- one request ------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"]
        headers = scope["headers"]
        bearer = _bearer(headers)
        entry = self.journal.begin({
            "start": self.clock.now(), "method": method, "path": path,
            "query": scope.get("query_string", b"").decode("latin-1"),
            "access_jti": view(bearer).id if bearer else None,
            "refresh_family": None, "refresh_generation": None,
            "origin": _header(headers, b"origin")})
        exchange = _Exchange(self, entry, self._kinds.get((method, path)))
        status = 0

        async def send_recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await through_faults(self.faults, exchange.forward, scope, receive, send_recording)
        except DroppedConnection:
            status = 0
            raise
        finally:
            self.journal.finish(entry, status, self.clock.now(), exchange.issued,
                                refusal=exchange.refusal)
            self.journal.annotate(entry, lineage=exchange.lineage,
                                  spoiled=", ".join(exchange.spoiled) or None,
                                  upstream_error=exchange.upstream_error,
                                  probe=exchange.probe or None,
                                  issued_access_ends=exchange.access_ends)

    def expired(self, value: str, now: float) -> TokenView | None:
        """The token's view when the edge's clock has passed its end, else None. A token
        the edge saw handed out ends on the edge's clock as it did on the backend's when it
        was issued; one it never saw (issued before a reset), by its `exp` alone."""
        token = view(value)
        end = self.observed.ends.get(token.id) or self.lineage.expires_at(token.id) or token.exp
        return token if end is not None and now >= end else None

    def edge_time(self, instant: float | None) -> float | None:
        """An instant on the backend's own clock (a JWT's `exp`), on the edge's: the edge's
        clock is moved by tests and the backend's is not, so a token issued after a move
        ends that much later on the edge's clock."""
        if instant is None:
            return None
        return instant - time.time() + self.clock.now()

    def is_list(self, method: str, path: str) -> bool:
        return (method, path) == self._list


class _Exchange:
    """One request through the edge: what it presented, spoiled and was handed."""

    def __init__(self, edge: Edge, entry: JournalEntry, kind: str | None) -> None:
        self.edge, self.entry, self.kind = edge, entry, kind
        self.spoiled: list[str] = []
        self.lineage: str | None = None
        self.refusal: str | None = None  # why a refresh was refused, as the lineage tells
        self.upstream_error: str | None = None
        self.issued: dict[str, str | None] = {}
        self.presented: str | None = None  # the refresh value's id
        self.presented_spoiled = False
        self.username: str | None = None
        self.probe = False
        self.access_ends: float | None = None

    async def forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        edge = self.edge
        s, profile = edge.settings, edge.settings.api_profile
        now = edge.clock.now()
        headers = self._spoil_headers(list(scope["headers"]), now)
        content: bytes | AsyncIterator[bytes]
        if self.kind is not None or scope["method"] in forward.IDEMPOTENT:
            # A token endpoint's body is read (what it presents), an idempotent request's is
            # held (usually empty) so it can go again; any other streams through.
            body, gone = await forward.body_of(receive)
            if gone:
                raise DroppedConnection("the client left before its request was read")
            content = self._read_request(headers, body, now) if self.kind else body
        else:
            content = forward.stream_of(receive)
        raw_path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        url = s.upstream + raw_path.decode("latin-1") + (f"?{query.decode('latin-1')}"
                                                         if query else "")
        assert edge.clients is not None
        try:
            response = await forward.send_upstream(edge.clients, scope["method"], url,
                                                   forward.request_headers(
                                                       headers, content if isinstance(
                                                           content, bytes) else None),
                                                   content)
        except forward.UpstreamGone as exc:
            self.upstream_error = str(exc)
            body = json.dumps({"error": "bad_gateway",
                               "message": f"the backend at {s.upstream} did not answer: "
                                          f"{exc}"}).encode()
            await forward.send_answer(send, 502, [(b"content-type", b"application/json")],
                                      body)
            return
        try:
            edge_origin = f"{scope.get('scheme', 'http')}://" + (
                _header(scope["headers"], b"host") or "")
            out = forward.response_headers(list(response.headers.raw), s.upstream, edge_origin)
            reads = (self.kind in ("login", "refresh")
                     or (edge.is_list(scope["method"], scope["path"])
                         and response.status_code == 200))
            length = int(response.headers.get("content-length") or 0)
            if reads and length <= MAX_READ_BODY:
                raw = b"".join([chunk async for chunk in response.aiter_raw()])
                await forward.send_answer(send, response.status_code, out, raw)
                decoded = _decoded(raw, response.headers.get("content-encoding", ""))
                self._observe(scope, response, decoded, profile)
            else:
                await forward.send_answer(send, response.status_code, out, None, response)
                self._observe(scope, response, None, profile)
        except (httpx.ReadError, httpx.RemoteProtocolError) as exc:
            self.upstream_error = f"{type(exc).__name__}: {exc}"
            raise DroppedConnection(f"the upstream broke off its answer: {exc}") from None
        finally:
            await response.aclose()

    # --- the request ------------------------------------------------------------------------

    def _spoil_headers(self, headers: list[tuple[bytes, bytes]],
                       now: float) -> list[tuple[bytes, bytes]]:
        edge = self.edge
        profile = edge.settings.api_profile
        refresh_header = (profile.refresh.field.lower().encode()
                          if profile.refresh.transport == "header" else None)
        out = []
        for key, value in headers:
            name = key.lower()
            if name == PROBE_HEADER:
                self.probe = True  # marked in the journal, never sent on
                continue
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and token.strip() and \
                        edge.expired(token.strip(), now):
                    value = f"{scheme} {spoil(token.strip())}".encode("latin-1")
                    self._spoiled("access")
            elif name == b"cookie":
                value = self._spoil_cookies(value.decode("latin-1"), now).encode("latin-1")
            elif refresh_header is not None and name == refresh_header:
                token = value.decode("latin-1").strip()
                if edge.expired(token, now):
                    value = spoil(token).encode("latin-1")
                    self._spoiled("refresh")
            out.append((key, value))
        return out

    def _spoil_cookies(self, header: str, now: float) -> str:
        refresh_name = self.edge.settings.api_profile.cookie_name
        pairs = []
        for pair in header.split(";"):
            name, eq, value = pair.strip().partition("=")
            if eq and value and self.edge.expired(value, now):
                value = spoil(value)
                self._spoiled("refresh" if name == refresh_name else "access")
            pairs.append(f"{name}{eq}{value}")
        return "; ".join(pairs)

    def _spoiled(self, what: str) -> None:
        if what not in self.spoiled:
            self.spoiled.append(what)

    def _read_request(self, headers: list[tuple[bytes, bytes]], body: bytes,
                      now: float) -> bytes:
        """A token endpoint's request: who logs in, which refresh value it presents (the
        cookie, a body field or a header), spoiled in the body when it has expired."""
        profile = self.edge.settings.api_profile
        form = _fields(body, _header(headers, b"content-type") or "")
        if self.kind == "login":
            name = form.get(profile.login.username_field) if form else None
            self.username = name if isinstance(name, str) else None
            return body
        value = cookie_value(_header(headers, b"cookie"), profile.cookie_name)
        field_name = profile.refresh.field
        if not value and profile.refresh.transport == "header":
            value = _header(headers, field_name.lower().encode())
        if not value and form and isinstance(form.get(field_name), str):
            value = form[field_name]
            if self.edge.expired(value, now):
                body = _replaced(body, _header(headers, b"content-type") or "", field_name,
                                 spoil(value))
                self._spoiled("refresh")
        if value:
            token = view(value)
            self.presented = token.id
            self.presented_spoiled = "refresh" in self.spoiled
            found = self.edge.lineage.lookup(token.id)
            if found:
                self.entry.refresh_family, self.entry.refresh_generation = found
        return body

    # --- the answer -------------------------------------------------------------------------

    def _observe(self, scope: Scope, response: httpx.Response, body: bytes | None,
                 profile: ApiProfile) -> None:
        edge, o = self.edge, self.edge.observed
        now = edge.clock.now()
        status = response.status_code
        answer = _json(body)
        refresh_value = None
        for header in response.headers.get_list("set-cookie"):
            value = set_cookie_value(header, profile.cookie_name)
            if value:
                refresh_value = value
                o.cookie = _cookie_attributes(header)
        if self.kind in ("login", "refresh") and 200 <= status < 300:
            fields = profile.login if self.kind == "login" else profile.refresh
            access = answer.get(fields.access_token) if answer else None
            refresh_field = profile.refresh.refresh_token
            if answer and refresh_field and isinstance(answer.get(refresh_field), str) \
                    and answer[refresh_field]:
                refresh_value = answer[refresh_field]
            self.issued = {"access_token": access if isinstance(access, str) else None,
                           "access_jti": view(access).id if isinstance(access, str) else None,
                           "refresh_token": refresh_value}
            self._learn(access if isinstance(access, str) else None, answer, fields.expires_in,
                        refresh_value, now)
            issued = view(refresh_value) if refresh_value else None
            issued_end = edge.edge_time(issued.exp) if issued else None
            if self.kind == "login":
                if issued is not None:
                    self.lineage = edge.lineage.logged_in(self.username, issued.id, issued_end,
                                                          now)
                owner = self.username
            else:
                self.lineage = edge.lineage.refreshed(self.presented,
                                                      issued.id if issued else None,
                                                      issued_end, now)
                owner = edge.lineage.user_of(issued.id) if issued else None
            if isinstance(access, str) and isinstance(owner, str):
                o.owners[view(access).id] = owner
        elif self.kind == "refresh" and 400 <= status < 500:
            self.lineage, self.refusal = edge.lineage.refused(
                self.presented, status, self.presented_spoiled, now, self.entry.start)
        elif self.kind == "logout" and 200 <= status < 300:
            self.lineage = edge.lineage.logged_out(self.presented, now)
        elif edge.is_list(scope["method"], scope["path"]) and status == 200:
            self._count_items(scope, body, profile)

    def _learn(self, access: str | None, answer: dict[str, Any] | None, expires_field: str,
               refresh: str | None, now: float) -> None:
        o = self.edge.observed
        if access:
            token = view(access)
            if token.exp is not None and token.iat is not None:
                o.access_ttl = token.exp - token.iat
            end = self.edge.edge_time(token.exp)
            if answer and expires_field and isinstance(answer.get(expires_field),
                                                       (int, float)):
                o.access_ttl = float(answer[expires_field])
                end = now + o.access_ttl if end is None else end
            if end is not None:
                o.ends[token.id] = end
                self.access_ends = end
            if token.is_jwt:
                o.alg = token.alg or o.alg
        if refresh:
            token = view(refresh)
            if token.exp is not None and token.iat is not None:
                o.refresh_ttl = token.exp - token.iat

    def _count_items(self, scope: Scope, body: bytes | None, profile: ApiProfile) -> None:
        bearer = _bearer(scope["headers"])
        owner = self.edge.observed.owners.get(view(bearer).id) if bearer else None
        if owner is None:
            return
        answer = _json_any(body)
        field_name = profile.resources.list_field
        items = answer.get(field_name) if field_name and isinstance(answer, dict) else answer
        if isinstance(items, list):
            self.edge.observed.items[owner] = len(items)


# --- the app ------------------------------------------------------------------------------------


def create_edge_app(settings: EdgeSettings) -> ASGIApp:
    from mock_backend.routes import control

    edge = Edge(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # At most UPSTREAM_CONNECTIONS requests at the backend at once on each client, the
        # rest waiting at the edge: a burst of 500 would otherwise overrun a small listen
        # backlog (Django's runserver keeps 5), and the backend would refuse connections no
        # browser made. Idempotent requests reuse connections; the others get one each
        # (forward.send_upstream).
        # No cookie jar of its own: every cookie the backend sets is the browser's, and only
        # what the browser sends goes on.
        timeout = httpx.Timeout(settings.timeout, connect=5.0, pool=None)

        def client(keepalive: int) -> httpx.AsyncClient:
            limits = httpx.Limits(max_connections=UPSTREAM_CONNECTIONS,
                                  max_keepalive_connections=keepalive, keepalive_expiry=2.0)
            return httpx.AsyncClient(timeout=timeout, limits=limits, follow_redirects=False,
                                     trust_env=False, cookies=CookieJar(
                                         policy=DefaultCookiePolicy(allowed_domains=[])))

        async with client(UPSTREAM_CONNECTIONS) as kept_alive, client(0) as fresh:
            edge.clients = forward.Clients(kept_alive, fresh)
            yield
        edge.faults.clear()

    control_app = FastAPI(title="JWT refresh-flow harness edge", lifespan=lifespan,
                          docs_url=None, openapi_url=None, redoc_url=None)
    control_app.state.backend = edge
    install_error_handlers(control_app, settings.api_profile.behaviour.error_body)
    control_app.include_router(control.router)
    spa = SpaFiles(directory=settings.spa_dir, html=True) if settings.spa_dir else None
    api_prefixes = _api_prefixes(settings.api_profile)
    return EdgeRouter(control_app, edge, spa, api_prefixes)


class EdgeRouter:
    """`/__harness/*` to the test-control API, the app's pages to the SPA folder, the rest
    (the API) through the edge to the upstream."""

    def __init__(self, control_app: FastAPI, edge: Edge, spa: ASGIApp | None,
                 api_prefixes: tuple[str, ...]) -> None:
        self.control_app, self.edge, self.spa, self.api_prefixes = \
            control_app, edge, spa, api_prefixes
        self.state = control_app.state  # what `harness_backend_app`-style wrappers read

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.control_app(scope, receive, send)  # lifespan
            return
        path = scope["path"]
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            await self.control_app(scope, receive, send)
        elif self.spa is not None and not path.startswith(self.api_prefixes):
            await self.spa(scope, receive, send)
        else:
            await self.edge(scope, receive, send)


def _api_prefixes(profile: ApiProfile) -> tuple[str, ...]:
    """The API's paths: each endpoint's, and the folder of each (`/api/`)."""
    prefixes = set()
    for endpoint in profile.endpoints.values():
        prefixes.add(endpoint.path)
        head = endpoint.path.split("/")[1] if endpoint.path.count("/") > 1 else ""
        if head:
            prefixes.add(f"/{head}/")
    return tuple(sorted(prefixes))


def _api_prefix(profile: ApiProfile) -> str:
    heads = {e.path.split("/")[1] for e in profile.endpoints.values() if e.path.count("/") > 1}
    return f"/{heads.pop()}/" if len(heads) == 1 else "/api/"


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    found = None
    for key, value in headers:
        if key.lower() == name:
            found = value.decode("latin-1")
    return found


def _bearer(headers: list[tuple[bytes, bytes]]) -> str | None:
    value = _header(headers, b"authorization")
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _fields(body: bytes, content_type: str) -> dict[str, Any] | None:
    if "application/x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    found = _json_any(body)
    return found if isinstance(found, dict) else None


def _replaced(body: bytes, content_type: str, name: str, value: str) -> bytes:
    if "application/x-www-form-urlencoded" in content_type:
        pairs = [(k, value if k == name else v)
                 for k, v in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)]
        return urlencode(pairs).encode()
    data = json.loads(body)
    data[name] = value
    return json.dumps(data).encode()


def _json(body: bytes | None) -> dict[str, Any] | None:
    found = _json_any(body)
    return found if isinstance(found, dict) else None


def _json_any(body: bytes | None) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _decoded(raw: bytes, encoding: str) -> bytes | None:
    """The body as sent before its Content-Encoding, when the edge can undo it."""
    encoding = encoding.strip().lower()
    try:
        if encoding in ("", "identity"):
            return raw
        if encoding == "gzip":
            return gzip.decompress(raw)
        if encoding == "deflate":
            return zlib.decompress(raw)
    except (OSError, zlib.error):
        return None
    return None


def _cookie_attributes(header: str) -> dict[str, Any]:
    """What the facts say of the refresh cookie, from the upstream's Set-Cookie."""
    attrs: dict[str, str] = {}
    for part in header.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        attrs[key.lower()] = value
    return {"http_only": "httponly" in attrs, "secure": "secure" in attrs,
            "same_site": attrs.get("samesite", "").capitalize() or "Lax",
            "host_only": "domain" not in attrs}

