"""The JSON API, /api/v1: the same data functions as the pages, as JSON. Errors are
`{"error": {"status", "message", "detail"}}` (see paperwire.web.errors)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from paperwire.errors import PaperwireError
from paperwire.search.query import MAX_CHARS as MAX_QUERY_CHARS
from paperwire.search.service import MAX_PER_PAGE, MAX_SIMILAR
from paperwire.store.comments import comment_counts
from paperwire.web import auth, data
from paperwire.web.list_order import MAX_CATEGORIES, ListOptions, parse_options
from paperwire.web.models import (
    AskPage,
    Categories,
    Error,
    Listing,
    PaperDetail,
    SearchPage,
    SimilarPage,
    Status,
    TrendingListing,
)
from paperwire.web.pages import Page, SiteDep, limit_llm
from paperwire.web.signals_view import with_signals
from paperwire.web.site import Site

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Error, "description": "A malformed parameter or query."},
    404: {"model": Error, "description": "No such paper, category or page."},
}
UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": Error, "description": "The search index is damaged (see /status)."},
}
LISTS: dict[int | str, dict[str, Any]] = {
    401: {"model": Error, "description": "order=foryou without a signed-in session."},
}
router = APIRouter(prefix="/api/v1", tags=["api"], responses=ERRORS)

PerPage = Annotated[
    int, Query(ge=1, le=MAX_PER_PAGE, description=f"Items per page, 1 to {MAX_PER_PAGE}.")
]
# What well-formed values look like, stated in the schema (a client, or schemathesis, can tell
# them from bad ones) but checked by the data functions, whose messages say what is allowed:
# days and months in the calendar, years 1000 to 9998 (data.parse_day), quotes in pairs.
_YEAR = "([1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
_LEAP = "([1-9][0-9](0[48]|[2468][048]|[13579][26])|([2468][048]|[13579][26])00)"
DAY_PATTERN = (
    f"^({_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|{_YEAR}-(0[13-9]|1[0-2])-(29|30)"
    f"|{_YEAR}-(0[13578]|1[02])-31|{_LEAP}-02-29)$"
)
MONTH_PATTERN = f"^{_YEAR}-(0[1-9]|1[0-2])$"
CATEGORY_PATTERN = r"^[A-Za-z][A-Za-z0-9-]{0,31}(\.[A-Za-z0-9-]{1,31})?$"
QUERY_PATTERN = '^[^"]*("[^"]*"[^"]*)*$'  # the rest of the syntax is checked with a message
DayPath = Annotated[
    str,
    Path(
        description="A day, YYYY-MM-DD.",
        examples=["2026-07-01"],
        json_schema_extra={"pattern": DAY_PATTERN},
    ),
]
MonthPath = Annotated[
    str,
    Path(
        description="A month, YYYY-MM.",
        examples=["2026-07"],
        json_schema_extra={"pattern": MONTH_PATTERN},
    ),
]
CategoryPath = Annotated[
    str,
    Path(
        description="An arXiv category, such as cs.CL or hep-th.",
        json_schema_extra={"pattern": CATEGORY_PATTERN},
    ),
]
ModeQuery = Annotated[
    Literal["bm25", "hybrid", "hybrid+rerank"] | None,
    Query(description="Ranking: bm25, hybrid or hybrid+rerank (default: the site's)."),
]
PeriodQuery = Annotated[
    Literal["day", "week", "month"], Query(description="The last 1, 7 or 30 days.")
]
FORYOU_NEEDS = (
    "order=foryou orders a list for a signed-in user: send the session cookie of a sign-in "
    "(/signin; the API has no tokens), or use order=top or all"
)


class SignInNeeded(PaperwireError):
    http_status = 401


class ListQuery:
    """The list pages' order and filters (paperwire.web.list_order) as API parameters; the
    signed-in user's saved rules apply (rules=off: not). Unlike the pages, no remembered order:
    without `order` the list is in listing order."""

    def __init__(
        self,
        request: Request,
        order: Annotated[
            Literal["top", "all", "foryou"] | None,
            Query(
                description="top (votes + external signals), all (listing order) or foryou "
                "(the signed-in user's model; else 401). Day and week lists; others: all."
            ),
        ] = None,
        cat: Annotated[
            list[Annotated[str, Query(pattern=CATEGORY_PATTERN)]],
            Query(max_length=MAX_CATEGORIES, description="Category chips, any of (repeat)."),
        ] = [],  # noqa: B006 (FastAPI copies defaults)
        code: Annotated[int, Query(ge=0, le=1, description="1: papers with code only.")] = 0,
        rules: Annotated[
            Literal["on", "off"] | None,
            Query(description="off: the signed-in user's keyword rules do not apply."),
        ] = None,
    ) -> None:
        user = auth.current_user(request)
        self.user_id = user.id if user is not None else None
        if order == "foryou" and self.user_id is None:
            raise SignInNeeded(FORYOU_NEEDS)
        self.options = parse_options(
            order=order, remembered=None, categories=cat, code=bool(code), rules=rules
        )


ListDep = Annotated[ListQuery, Depends()]


def page_of(site: Site, q: ListQuery, make: Callable[..., dict[str, Any]], **kw: Any) -> Any:
    """A list page's data function with the query's options and user, as the API returns it."""
    return listed(site, make(site, options=q.options, user_id=q.user_id, **kw))


def listed(site: Site, page: dict[str, Any]) -> dict[str, Any]:
    """A list page as the API returns it: its order and filters, and on each paper its external
    signals and comment count (one query each for the page)."""
    page = with_signals(site, page)
    talk = comment_counts(site.store, [p["id"] for p in page["papers"]])
    options = page.get("options")
    papers = [
        {
            **p,
            "comment_count": talk.get(p["id"], 0),
            "signals": [dataclasses.asdict(s) for s in p.get("signals", [])],
        }
        for p in page["papers"]
    ]
    out = dict(page, papers=papers)
    if isinstance(options, ListOptions):
        out["order"] = options.order if page.get("orders") else "all"
        out["filters"] = {
            "categories": list(options.categories),
            "has_code": options.has_code,
            "rules": options.rules,
        }
    return out


@router.get(
    "/days/latest",
    response_model=Listing,
    summary="Papers of the latest listing day",
    responses=LISTS,
)
def latest_day(site: SiteDep, q: ListDep, page: Page = 1, per_page: PerPage = data.PER_PAGE) -> Any:
    return page_of(site, q, data.day_page, page=page, per_page=per_page)


@router.get(
    "/days/{day}", response_model=Listing, summary="Papers of one listing day", responses=LISTS
)
def day(
    site: SiteDep, day: DayPath, q: ListDep, page: Page = 1, per_page: PerPage = data.PER_PAGE
) -> Any:
    """`day` is YYYY-MM-DD."""
    return page_of(site, q, data.day_page, day=data.parse_day(day), page=page, per_page=per_page)


@router.get(
    "/weeks/{day}",
    response_model=Listing,
    summary="Papers of the ISO week of a day",
    responses=LISTS,
)
def week(
    site: SiteDep, day: DayPath, q: ListDep, page: Page = 1, per_page: PerPage = data.PER_PAGE
) -> Any:
    """`day` is any day of the week, YYYY-MM-DD; the list's key is that week's Monday."""
    return page_of(site, q, data.week_page, day=data.parse_day(day), page=page, per_page=per_page)


@router.get(
    "/months/{month}", response_model=Listing, summary="Papers of one month", responses=LISTS
)
def month(
    site: SiteDep, month: MonthPath, q: ListDep, page: Page = 1, per_page: PerPage = data.PER_PAGE
) -> Any:
    """`month` is YYYY-MM."""
    return page_of(
        site, q, data.month_page, month=data.parse_month(month), page=page, per_page=per_page
    )


@router.get("/categories", response_model=Categories, summary="Categories with paper counts")
def categories(site: SiteDep) -> Any:
    return data.categories_page(site)


@router.get(
    "/categories/{category}",
    response_model=Listing,
    summary="A category's papers, newest first",
    responses=LISTS,
)
def category(
    site: SiteDep,
    category: CategoryPath,
    q: ListDep,
    page: Page = 1,
    per_page: PerPage = data.PER_PAGE,
) -> Any:
    return page_of(site, q, data.category_page, category=category, page=page, per_page=per_page)


@router.get(
    "/trending",
    response_model=TrendingListing,
    summary="Trending papers",
    description=data.TRENDING_NOTE,
    responses=LISTS,
)
def trending(
    site: SiteDep,
    q: ListDep,
    period: PeriodQuery = "week",
    page: Page = 1,
    per_page: PerPage = data.PER_PAGE,
) -> Any:
    return page_of(site, q, data.trending_page, period=period, page=page, per_page=per_page)


@router.get("/papers/{paper_id:path}", response_model=PaperDetail, summary="One paper")
def paper(site: SiteDep, paper_id: str) -> Any:
    """By id, old id (`hep-th/9901001`), `doi:...` id or versioned arXiv id; with similar
    papers and a "more like this" search query."""
    return data.paper_page(site, paper_id=paper_id)


@router.get("/search", response_model=SearchPage, summary="Search papers", responses=UNAVAILABLE)
def search(
    site: SiteDep,
    q: Annotated[
        str,
        Query(
            max_length=MAX_QUERY_CHARS,
            description='Query: words, "phrases", -exclusions, author:, cat:, year:, date:, '
            "after:, before:, has:code, sort:date|relevance. A query that cannot be read is a "
            "400 saying what is wrong.",
            json_schema_extra={"pattern": QUERY_PATTERN},
        ),
    ] = "",
    page: Page = 1,
    per_page: PerPage = data.SEARCH_PER_PAGE,
    mode: ModeQuery = None,
) -> Any:
    return data.search_page(site, q=q, page=page, mode=mode, per_page=per_page)


@router.get(
    "/similar",
    response_model=SimilarPage,
    summary="Papers similar to papers or a text",
    description="Give `ids` (one or more papers) or `text` (a pasted abstract), or both; "
    "with neither, the list is empty (as a search without a query is).",
    responses=UNAVAILABLE,
)
def similar(
    site: SiteDep,
    ids: Annotated[
        list[str], Query(max_length=50, description="Paper ids (repeat the parameter).")
    ] = [],  # noqa: B006 (FastAPI copies defaults)
    text: Annotated[str | None, Query(max_length=20_000, description="A pasted abstract.")] = None,
    k: Annotated[int, Query(ge=1, le=MAX_SIMILAR)] = 10,
    filters: Annotated[str, Query(max_length=1000, description="Search-syntax filters.")] = "",
) -> Any:
    return data.similar_page(site, ids=ids, text=text, k=k, filters=filters)


@router.get("/status", response_model=Status, summary="What the site holds and the index's state")
def status(site: SiteDep) -> Any:
    return data.status_page(site)


@router.get("/ask", response_model=AskPage, summary="Ask: an answer with cited evidence")
def ask(
    request: Request,
    site: SiteDep,
    q: Annotated[
        str,
        Query(
            max_length=1000,
            description="A question, in words; search filters (cat:, year:, ...) may come with "
            "it. A question that cannot be read as a query is a 400 saying what is wrong.",
            json_schema_extra={"pattern": QUERY_PATTERN},
        ),
    ] = "",
    mode: ModeQuery = None,
    generate: Annotated[
        bool, Query(description="Also a generative answer (when a chat API is configured).")
    ] = False,
) -> Any:
    """The best evidence sentences grouped by paper, a confidence, and "no good evidence"
    under the calibrated floor; `generate=true` adds the checked generative answer (at most
    10 a minute per client, then 429)."""
    if generate:
        limit_llm(request, site)
    return data.ask_page(site, q=q, mode=mode, llm=generate)
