"""`create_app(settings)`: the web site and the JSON API as one ASGI app.

Every URL, in one place:

    HTML (each renders one data function of paperwire.web.data)
    /                              the latest listing day          ?page=
    /day/YYYY-MM-DD                one listing day                 ?page=
    /week/YYYY-MM-DD               the ISO week containing the day ?page=
    /month/YYYY-MM                 one month                       ?page=
    /category/CAT                  a category, newest first        ?page=
    /categories                    categories with counts
    /trending                      ?period=day|week|month&page=
    /search                        ?q=&page=&mode=
    /paper/ID                      one paper (ID may hold "/": hep-th/9901001, doi:10.x/y)
    /author/KEY                    an author's papers (a normalised name)  ?page=
    /ask                           ?q=&mode=&generate=  Ask: cited evidence, optional LLM answer
    /ask/stream                    ?q=&mode=  the generative answer as server-sent events
    /about                         status: papers, days, embeddings, index lag, settings
    /about                         status: papers, days, embeddings, index lag, pipeline steps
    /healthz  /readyz  /metrics    liveness, readiness (503 when not), Prometheus text
    Feeds (Atom: .atom, RSS 2.0: .rss)
    /feed.atom  /day/D/feed.atom  /week/D/feed.atom  /month/M/feed.atom
    /category/CAT/feed.atom  /trending/feed.atom?period=  /search/feed.atom?q=
    JSON API (OpenAPI: /openapi.json, Swagger UI: /docs)
    /api/v1/days/latest  /api/v1/days/D  /api/v1/weeks/D  /api/v1/months/M
    /api/v1/categories  /api/v1/categories/CAT  /api/v1/trending  /api/v1/papers/ID
    /api/v1/search  /api/v1/similar  /api/v1/ask  /api/v1/status
    Static files: /static/...

List rules (/account/filters) and the "for you" onboarding (/for-you/start) are routed in
personal.py; the list pages take ?order=top|all|foryou&cat=CAT&code=1&rules=off (list_order.py).
Accounts, votes, bookmarks, submissions, subscriptions and the digest pages are routed in
account.py, community.py, digest_pages.py and recs.py; comments on papers (and the thread
feed /paper/ID/comments.atom) in discussion.py: every POST there takes `auth.CSRF`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperwire import __version__, text
from paperwire.community.authors import author_links
from paperwire.search.service import MAX_PER_PAGE
from paperwire.settings import Settings, load_settings
from paperwire.web import (
    account,
    api,
    auth,
    authors,
    community,
    digest_pages,
    discussion,
    errors,
    ops,
    pages,
    personal,
    recs,
    tex,
    urls,
)
from paperwire.web.category_names import category_label, category_name
from paperwire.web.proxy import TrustedProxies, parse_networks
from paperwire.web.site import CHECK_EVERY, Site

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        b"form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Adds the security headers to every response (a plain ASGI middleware: no buffering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeadAsGet:
    """HEAD wherever GET (RFC 9110): a HEAD request runs as GET and its body is dropped, so the
    headers, Content-Length included, are those of the GET."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body"):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app(dict(scope, method="GET"), receive, send_headers_only)


class CachedStatic(StaticFiles):
    """Static files with a Cache-Control header: vendored files change only with a release,
    and our own CSS and JS are linked with `?v=<version>`."""

    def file_response(
        self, full_path: Any, stat_result: Any, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["cache-control"] = "public, max-age=604800"
        return response


def make_templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates change only with a release: no stat() per render
    )
    env.globals.update(
        paper_url=urls.paper_url,
        list_url=urls.list_url,
        list_page_url=urls.list_page_url,
        list_query_url=urls.list_query_url,
        feed_url=urls.feed_url,
        search_url=urls.search_url,
        version=__version__,
        max_per_page=MAX_PER_PAGE,
        csrf_token=auth.csrf_token,
        current_user=auth.current_user,
    )
    env.filters.update(
        teaser=text.teaser,
        short_authors=text.short_authors,
        tex=tex.render,
        tex_html=tex.render_html,
        category_name=category_name,
        category_label=category_label,
        author_links=author_links,
    )
    return Jinja2Templates(env=env)


def api_endpoints(app: FastAPI) -> dict[str, Any]:
    """The JSON API's routes (from the app itself, so the index cannot go stale)."""
    # From the OpenAPI schema (routes of included routers are not listed flat in app.routes).
    paths = app.openapi().get("paths", {})
    routes = [
        {"path": path, "summary": ops["get"].get("summary", "")}
        for path, ops in paths.items()
        if path.startswith("/api/v1/") and "get" in ops
    ]
    return {
        "api": "paperwire JSON API, version 1",
        "openapi": "/openapi.json",
        "docs": "/docs",
        "errors": '{"error": {"status", "message", "detail"}}',
        "endpoints": sorted(routes, key=lambda r: r["path"]),
    }


def create_app(settings: Settings | None = None, *, check_every: float = CHECK_EVERY) -> FastAPI:
    """The ASGI app. The store and the index are opened at startup (the lifespan), once."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        site = Site(settings, check_every=check_every)
        app.state.site = site
        try:
            yield
        finally:
            site.close()

    app = FastAPI(
        title="paperwire",
        version=__version__,
        description="Research papers, daily: lists, search, similar papers, trending.",
        lifespan=lifespan,
        docs_url=None,  # our own /docs: Swagger UI from /static, no CDN, no inline script
        redoc_url=None,
    )
    app.state.templates = make_templates()
    errors.install(app, headers=SECURITY_HEADERS)
    account.install_signin_redirect(app)  # a 401 on a page: to the sign-in form
    app.mount("/static", CachedStatic(directory=STATIC), name="static")
    app.include_router(api.router)
    app.include_router(ops.router)
    app.include_router(discussion.router)  # before pages: /paper/ID/comments.atom
    app.include_router(pages.router)
    for router in (account.router, community.router, digest_pages.router, recs.router):
        app.include_router(router)
    app.include_router(personal.router)  # list rules and the "for you" onboarding
    for router in (authors.router,):  # i13b: author pages, follows
        app.include_router(router)

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> Response:
        response: HTMLResponse = app.state.templates.TemplateResponse(request, "docs.html", {})
        return response

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        # Browsers and crawlers ask for /favicon.ico whatever the page links: the same SVG.
        return FileResponse(
            STATIC / "favicon.svg",
            media_type="image/svg+xml",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get("/api/v1", include_in_schema=False)
    @app.get("/api/v1/papers", include_in_schema=False)
    def api_index() -> JSONResponse:
        """What the API has, instead of a 404 at its root (and at /papers without an id)."""
        return JSONResponse(api_endpoints(app))

    # Level 6 (zlib's default), not starlette's 9: a few percent larger, much less CPU.
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=6)
    app.add_middleware(auth.CSRFCookie, secure=settings.secure_cookies)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(HeadAsGet)
    app.add_middleware(ops.RequestMetrics)  # outermost: times everything, gzip included
    # Outermost, so rate limits, cookies and absolute URLs all see the real client and scheme.
    app.add_middleware(TrustedProxies, networks=parse_networks(settings.trusted_proxies))
    return app
