"""The HTML pages and feeds: each route calls its data function and renders the result.

A request from htmx (header `HX-Request`) for a list gets only the next page's items (the
"load more" button); without JavaScript the same button is a link to the next page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from paperwire.errors import BadQuery, NotFound
from paperwire.search.generate import ChatConfig, generate_events
from paperwire.web import auth, community_view, data
from paperwire.web.feeds import MEDIA_TYPES, FeedFormat, build_feed
from paperwire.web.list_order import ORDER_COOKIE, ListOptions, parse_options
from paperwire.web.signals_view import annotate_signals
from paperwire.web.site import Site
from paperwire.web.tex import needs_katex
from paperwire.web.urls import list_url, page_texts, paper_url

router = APIRouter(include_in_schema=False)
FEED_ENTRIES = 100
ORDER_COOKIE_SECONDS = 365 * 24 * 3600

Page = Annotated[int, Query(ge=1, le=10_000, description="Page number, from 1.")]
Period = Annotated[str, Query(max_length=16, description="day, week or month.")]


async def get_site(request: Request) -> Site:
    # async: FastAPI runs a sync dependency in the thread pool, a hop per request for a read.
    site: Site = request.app.state.site
    return site


SiteDep = Annotated[Site, Depends(get_site)]


def render(
    request: Request, template: str, page: dict[str, Any], *, fragment: str | None = None
) -> Response:
    if fragment and request.headers.get("HX-Request"):
        template = fragment
    page = annotate_signals(request, page)  # external signals (HF upvotes): one query
    page = community_view.annotate(request, page)  # votes of the page's papers: one query
    context = {"d": page, "math": needs_katex(page_texts(page))}
    response: Response = request.app.state.templates.TemplateResponse(request, template, context)
    return response


def private_page(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    """A page made for the signed-in user (account, subscriptions, preview): never cached."""
    response: Response = request.app.state.templates.TemplateResponse(
        request, template, context, status_code=status, headers={"cache-control": "no-store"}
    )
    return response


# --- lists -----------------------------------------------------------------------------------


def _list(request: Request, page: dict[str, Any]) -> Response:
    response = render(request, "list.html", page, fragment="_more.html")
    options = page.get("options")
    if isinstance(options, ListOptions) and options.explicit and page.get("orders"):
        # The chosen order is remembered (signed in or not): a cookie, not an account setting.
        site: Site = request.app.state.site
        response.set_cookie(
            ORDER_COOKIE,
            options.order,
            max_age=ORDER_COOKIE_SECONDS,
            path="/",
            httponly=True,
            samesite="lax",
            secure=site.settings.secure_cookies or request.url.scheme == "https",
        )
    return response


class ListQuery:
    """The list pages' order and filters (paperwire.web.list_order), as query parameters."""

    def __init__(
        self,
        request: Request,
        order: Annotated[
            str | None, Query(max_length=16, description="top, all or foryou.")
        ] = None,
        cat: Annotated[list[str] | None, Query(description="Category chips (any of).")] = None,
        code: Annotated[int, Query(ge=0, le=1, description="1: papers with code only.")] = 0,
        rules: Annotated[str | None, Query(max_length=3, description="off: no rules.")] = None,
    ) -> None:
        user = auth.current_user(request)
        self.user_id = user.id if user is not None else None
        self.options = parse_options(
            order=order,
            remembered=request.cookies.get(ORDER_COOKIE),
            categories=[c[:80] for c in (cat or [])],
            code=bool(code),
            rules=rules,
        )


ListDep = Annotated[ListQuery, Depends()]


@router.get("/")
def home(request: Request, site: SiteDep, q: ListDep, page: Page = 1) -> Response:
    return _list(request, data.day_page(site, page=page, options=q.options, user_id=q.user_id))


@router.get("/day/{day}")
def day(request: Request, site: SiteDep, day: str, q: ListDep, page: Page = 1) -> Response:
    found = data.day_page(
        site, day=data.parse_day(day), page=page, options=q.options, user_id=q.user_id
    )
    return _list(request, found)


@router.get("/week/{day}")
def week(request: Request, site: SiteDep, day: str, q: ListDep, page: Page = 1) -> Response:
    found = data.week_page(
        site, day=data.parse_day(day), page=page, options=q.options, user_id=q.user_id
    )
    return _list(request, found)


@router.get("/month/{month}")
def month(request: Request, site: SiteDep, month: str, q: ListDep, page: Page = 1) -> Response:
    found = data.month_page(
        site, month=data.parse_month(month), page=page, options=q.options, user_id=q.user_id
    )
    return _list(request, found)


@router.get("/category/{category}")
def category(
    request: Request, site: SiteDep, category: str, q: ListDep, page: Page = 1
) -> Response:
    found = data.category_page(
        site, category=category, page=page, options=q.options, user_id=q.user_id
    )
    return _list(request, found)


@router.get("/categories")
def categories(request: Request, site: SiteDep) -> Response:
    return render(request, "categories.html", data.categories_page(site))


@router.get("/trending")
def trending(
    request: Request, site: SiteDep, q: ListDep, period: Period = "week", page: Page = 1
) -> Response:
    found = data.trending_page(site, period=period, page=page, options=q.options, user_id=q.user_id)
    return _list(request, found)


# --- one paper, search, about ----------------------------------------------------------------


@router.get("/paper/{paper_id:path}")
def paper(request: Request, site: SiteDep, paper_id: str) -> Response:
    page = data.paper_page(site, paper_id=paper_id)
    if page["paper"]["id"] != paper_id:  # an old id or a versioned arXiv id: one address each
        return RedirectResponse(paper_url(page["paper"]["id"]), status_code=301)
    return render(request, "paper.html", page)


@router.get("/search")
async def search(
    request: Request,
    site: SiteDep,
    q: Annotated[str, Query(max_length=2000)] = "",
    page: Page = 1,
    mode: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    # async although it computes: a search is a few ms of CPU holding the GIL, so a thread-pool
    # hop buys no concurrency, only overhead and interleaving (every request in flight slows
    # down together); on the event loop requests finish in arrival order. Scale with --workers.
    page_data = data.search_page(site, q=q, page=page, mode=mode, columns=data.PAGE_COLUMNS)
    return render(request, "search.html", page_data)


LLM_PER_MINUTE = 10  # generated answers per client a minute: the host's model is costly


def limit_llm(request: Request, site: Site) -> None:
    """429 past LLM_PER_MINUTE generated answers a minute for this client (only when a chat API
    is configured: without one nothing is generated)."""
    if ChatConfig.from_settings(site.settings) is not None:
        auth.check_rate(request, "llm", limit=LLM_PER_MINUTE, window=60)


@router.get("/ask")
async def ask(
    request: Request,
    site: SiteDep,
    q: Annotated[str, Query(max_length=1000)] = "",
    mode: Annotated[str | None, Query(max_length=32)] = None,
    generate: Annotated[bool, Query()] = False,
) -> Response:
    # On the event loop as /search is; only `generate` (no JavaScript) waits for the chat API,
    # so that one runs in the thread pool.
    if generate:
        limit_llm(request, site)
        page_data = await run_in_threadpool(data.ask_page, site, q=q, mode=mode, llm=True)
    else:
        page_data = data.ask_page(site, q=q, mode=mode)
    return render(request, "ask.html", page_data)


@router.get("/ask/stream")
def ask_stream(
    request: Request,
    site: SiteDep,
    q: Annotated[str, Query(min_length=1, max_length=1000)],
    mode: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """The generative answer as server-sent events (`token`, then `answer` or `fallback`)."""
    chat = ChatConfig.from_settings(site.settings)
    if chat is None:
        raise NotFound("no language model is configured (PAPERWIRE_LLM_URL)")
    limit_llm(request, site)
    page = data.ask_page(site, q=q, mode=mode)

    def events() -> Iterator[str]:
        for name, payload in generate_events(chat, page):
            yield f"event: {name}\ndata: {json.dumps(payload, default=str)}\n\n"

    headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


@router.get("/about")
def about(request: Request, site: SiteDep) -> Response:
    return render(request, "about.html", data.status_page(site))


# --- feeds -----------------------------------------------------------------------------------


def _feed(request: Request, fmt: FeedFormat, page: dict[str, Any], html_path: str) -> Response:
    base = str(request.base_url).rstrip("/")
    papers = page.get("papers", page.get("hits", []))
    body = build_feed(
        fmt=fmt,
        title=f"paperwire: {page.get('title') or 'search ' + repr(page.get('query', ''))}",
        page_url=base + html_path,
        self_url=str(request.url),
        papers=papers,
        paper_url=lambda paper_id: base + paper_url(paper_id),
        subtitle=page.get("note") or "",
    )
    return Response(body, media_type=MEDIA_TYPES[fmt])


@router.get("/feed.{fmt}")
def home_feed(request: Request, site: SiteDep, fmt: FeedFormat) -> Response:
    page = data.day_page(site, per_page=FEED_ENTRIES)
    return _feed(request, fmt, page, list_url("day", page["key"]))


@router.get("/day/{day}/feed.{fmt}")
def day_feed(request: Request, site: SiteDep, day: str, fmt: FeedFormat) -> Response:
    page = data.day_page(site, day=data.parse_day(day), per_page=FEED_ENTRIES)
    return _feed(request, fmt, page, list_url("day", page["key"]))


@router.get("/week/{day}/feed.{fmt}")
def week_feed(request: Request, site: SiteDep, day: str, fmt: FeedFormat) -> Response:
    page = data.week_page(site, day=data.parse_day(day), per_page=FEED_ENTRIES)
    return _feed(request, fmt, page, list_url("week", page["key"]))


@router.get("/month/{month}/feed.{fmt}")
def month_feed(request: Request, site: SiteDep, month: str, fmt: FeedFormat) -> Response:
    page = data.month_page(site, month=data.parse_month(month), per_page=FEED_ENTRIES)
    return _feed(request, fmt, page, list_url("month", page["key"]))


@router.get("/category/{category}/feed.{fmt}")
def category_feed(request: Request, site: SiteDep, category: str, fmt: FeedFormat) -> Response:
    page = data.category_page(site, category=category, per_page=FEED_ENTRIES)
    return _feed(request, fmt, page, list_url("category", category))


@router.get("/trending/feed.{fmt}")
def trending_feed(
    request: Request, site: SiteDep, fmt: FeedFormat, period: Period = "week"
) -> Response:
    page = data.trending_page(site, period=period, per_page=FEED_ENTRIES)
    return _feed(request, fmt, page, list_url("trending", period))


@router.get("/search/feed.{fmt}")
def search_feed(
    request: Request,
    site: SiteDep,
    fmt: FeedFormat,
    q: Annotated[str, Query(min_length=1, max_length=2000)],
    mode: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    try:
        page = data.search_page(site, q=q, mode=mode, per_page=FEED_ENTRIES)
    except BadQuery as exc:
        # A feed reader shows feeds, not HTML error pages: an empty feed that says why.
        page = {"query": q, "hits": [], "note": f"This search cannot run: {exc}"}
        response = _feed(request, fmt, page, "/search?" + str(request.url.query))
        response.status_code = 400
        return response
    return _feed(request, fmt, page, "/search?" + str(request.url.query))
