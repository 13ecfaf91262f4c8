"""The app factory: routes, error handlers, CSRF/CORS, the test-control API, the SPA."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from mock_backend.arrival import ArrivalStamp
from mock_backend.config import Settings
from mock_backend.errors import install_error_handlers
from mock_backend.observe import ObserveMiddleware
from mock_backend.request_limits import RequestLimits
from mock_backend.routes import api, auth, control, well_known
from mock_backend.spa_files import SpaFiles
from mock_backend.state import Backend


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    backend = Backend.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        backend.faults.clear()
        backend.store.close()

    app = FastAPI(title="JWT refresh-flow reference backend", lifespan=lifespan,
                  docs_url="/api/docs", openapi_url="/api/openapi.json", redoc_url=None)
    app.state.backend = backend
    profile = settings.api_profile
    install_error_handlers(app, profile.behaviour.error_body)
    app.include_router(auth.build_router(profile))
    app.include_router(api.build_router(profile.resources))
    app.include_router(well_known.router)
    if settings.test_control:
        app.include_router(control.router)

    # Innermost first: limits see only what CORS let through; the journal sees everything.
    app.add_middleware(RequestLimits, max_body_bytes=settings.max_body_bytes,
                       prefixes=("/api/", "/__harness/"),
                       paths=frozenset(e.path for e in profile.endpoints.values()),
                       form_paths=profile.form_paths, any_paths=profile.paths_taking("any"),
                       error_shape=profile.behaviour.error_body)
    if profile.behaviour.trailing_slash != "lenient":
        app.add_middleware(AppendSlash, paths=frozenset(
            e.path for e in profile.endpoints.values() if e.path.endswith("/")),
            redirect=profile.behaviour.trailing_slash == "strict")
    if settings.allow_origins:
        # Exact origins with credentials; never "*" (Fetch standard: credentials forbid it).
        headers = ["Authorization", "Content-Type", settings.csrf_header,
                   profile.refresh.field if profile.refresh.transport == "header" else ""]
        app.add_middleware(CORSMiddleware, allow_origins=settings.allow_origins,
                           allow_credentials=True,
                           allow_methods=sorted({"GET", "POST",
                                                 *(e.method for e in profile.endpoints.values())}),
                           allow_headers=[h for h in headers if h], max_age=600)
    if settings.test_control:
        app.add_middleware(ObserveMiddleware, backend=backend)
    app.add_middleware(ArrivalStamp, clock=backend.clock)

    if settings.spa_dir is not None:
        # The router's fallback, not a mount at "/": it answers only when no route matched,
        # so a wrong method on an API path stays a 405.
        spa = SpaFiles(directory=settings.spa_dir, html=True)
        app.router.default = spa
        # ... except for a page load: an API whose login is `POST /login` (a profile) must
        # not take the SPA's own `/login` route away from the browser.
        taken = {e.path for e in profile.endpoints.values() if e.method == "GET"}
        pages = frozenset(e.path for e in profile.endpoints.values()) - taken
        app.add_middleware(PageLoadsReachTheSpa, spa=spa, paths=pages)
    return app


class PageLoadsReachTheSpa:
    """A browser's page load (GET, `Accept: text/html`) of a path the API uses only for
    other methods gets the SPA; every other request reaches the API as before."""

    def __init__(self, app: ASGIApp, spa: ASGIApp, paths: frozenset[str]) -> None:
        self.app, self.spa, self.paths = app, spa, paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope["method"] in ("GET", "HEAD")
                and scope["path"] in self.paths):
            accept = dict(scope["headers"]).get(b"accept", b"")
            if b"text/html" in accept:
                await self.spa(scope, receive, send)
                return
        await self.app(scope, receive, send)


class AppendSlash:
    """A request to a path that lacks the trailing slash of one of the API's paths, as the
    profile's backend takes it: answered 301 to the path with it whatever its method, as
    Django's `APPEND_SLASH` does (`redirect`; a browser follows the redirect of a POST with
    a GET); or served as the path with it (routes that take both). Without this, the router
    redirects with 307, which keeps the method."""

    def __init__(self, app: ASGIApp, paths: frozenset[str], redirect: bool) -> None:
        self.app, self.paths, self.redirect = app, paths, redirect

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] + "/" not in self.paths:
            await self.app(scope, receive, send)
            return
        if not self.redirect:
            await self.app({**scope, "path": scope["path"] + "/"}, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        location = scope["path"] + "/" + (f"?{query}" if query else "")
        await send({"type": "http.response.start", "status": 301,
                    "headers": [(b"location", location.encode("latin-1")),
                                (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
