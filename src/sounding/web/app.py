"""The app factory: opens the store once, mounts the pages and the API, maps errors.

Errors: :class:`~sounding.errors.NotFound` (missing *or* out of scope, told apart by no one)
answers 404 with the same words for both; a page without a session redirects to sign-in and
an API call without a token gets 401; a form without its CSRF token gets 403.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from sounding.errors import InvalidInput, NotFound
from sounding.web.auth import ApiUnauthorized, Auth, CsrfFailed, SignInRequired
from sounding.web.cache import SharedCache
from sounding.web.render import render


def app_from_env() -> FastAPI:
    """The app of ``sounding serve --workers N`` (uvicorn's factory in each worker process):
    the store from ``SOUNDING_DB``, the cookie key from ``SOUNDING_SECRET_KEY``, which the
    parent sets so that every worker signs and reads the same cookies."""
    return create_app(os.environ["SOUNDING_DB"])


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def create_app(db: Any, *, secret: str | None = None, cache_ttl: float = 600.0) -> FastAPI:
    """The web application over the store at ``db`` (a SQLite path, URL or open Store).

    ``secret`` signs the cookies (default: ``SOUNDING_SECRET_KEY`` or a random key per
    process, which signs everyone out at a restart)."""
    from sounding.access.log import AccessLogWriter, use_writer
    from sounding.store import Store  # the one place the web package opens the store

    store = db if hasattr(db, "engine") else Store.open(str(db))
    writer = AccessLogWriter(store)  # access-log rows are written in batches, off the
    use_writer(store, writer)        # request path (sounding.access.log says what a crash loses)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """Start-up: warm the worker before it accepts requests, keep it warm; shut-down:
        write the queued access-log rows."""
        import anyio

        stop = threading.Event()
        await anyio.to_thread.run_sync(_warm, app)
        keeper = threading.Thread(target=_keep_warm, args=(app, stop), daemon=True,
                                  name="keep-warm")
        keeper.start()
        try:
            yield
        finally:
            stop.set()
            await anyio.to_thread.run_sync(writer.close)

    app = FastAPI(title="Sounding", version="1", lifespan=lifespan,
                  description="Unfinished math learning, per role and scope. Every endpoint "
                              "answers only what the token's account may see; an id outside "
                              "its scope answers 404 exactly like a missing one.",
                  docs_url="/api/docs", openapi_url="/openapi.json", redoc_url=None,
                  swagger_ui_oauth2_redirect_url=None)
    app.state.store = store
    app.state.auth = Auth(store, secret or os.environ.get("SOUNDING_SECRET_KEY"))
    app.state.cache = SharedCache(cache_ttl)
    app.state.access_log = writer

    from sounding.web.api import router as api_router
    from sounding.web.diagnostic import mount as mount_diagnostic
    from sounding.web.pages import router as page_router

    app.include_router(page_router)
    app.include_router(api_router)
    mount_diagnostic(app)

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        return Response(_plotly_js(), media_type="application/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})

    @app.exception_handler(SignInRequired)
    def _sign_in(request: Request, exc: SignInRequired) -> Response:
        from urllib.parse import quote

        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/sign-in?next={quote(nxt, safe='')}", status_code=303)

    @app.exception_handler(ApiUnauthorized)
    def _unauthorized(request: Request, exc: ApiUnauthorized) -> Response:
        return JSONResponse({"detail": "sign in with a bearer token"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(CsrfFailed)
    def _csrf(request: Request, exc: CsrfFailed) -> Response:
        return HTMLResponse(render(request, "error.html", title="Form expired",
                                   message="The form was out of date. Go back, reload the "
                                           "page and try again."), status_code=403)

    @app.exception_handler(NotFound)
    def _not_found(request: Request, exc: NotFound) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "not found"}, status_code=404)
        return HTMLResponse(render(request, "error.html", title="Not found",
                                   message="There is nothing here that you can open."),
                            status_code=404)

    @app.exception_handler(InvalidInput)
    def _invalid(request: Request, exc: InvalidInput) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=422)
        return HTMLResponse(render(request, "error.html", title="Cannot show this",
                                   message=str(exc)), status_code=422)

    @app.middleware("http")
    async def _headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/api/docs"):
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
                "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                "frame-ancestors 'none'; form-action 'self'")
        if request.url.path not in ("/static/plotly.min.js",):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app


def _warm(app: FastAPI, refresh: bool = False) -> dict[str, Any]:
    """The shared whole-district reads and the page templates, made before they are needed
    (:mod:`sounding.services.warm`); a store without a roster yet warms what it can."""
    from sounding.services import Context
    from sounding.services.warm import warm
    from sounding.web.cache import RequestCache
    from sounding.web.render import environment

    out: dict[str, Any] = {}
    try:
        ctx = Context.operator(app.state.store)
        ctx.cache = RequestCache(app.state.cache)
        out = warm(ctx, refresh=refresh)
    except Exception as exc:  # noqa: BLE001 - an empty store: the pages will say why
        out["error"] = str(exc)
    if not refresh:
        env = environment("en")
        for name in ("class.html", "student.html", "school.html", "home.html"):
            env.get_template(name)
        _plotly_js()
    app.state.warm = out
    return out


def _keep_warm(app: FastAPI, stop: threading.Event) -> None:
    """Remake the shared reads at half their lifetime, so no request finds them expired."""
    period = max(1.0, app.state.cache.ttl / 2)
    while not stop.wait(period):
        _warm(app, refresh=True)
