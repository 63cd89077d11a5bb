"""The JSON API, /api/v1: the same data functions as the pages, as JSON. Errors are
`{"error": {"status", "message", "detail"}}` (see paperwire.web.errors)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from paperwire.search.service import MAX_PER_PAGE, MAX_SIMILAR
from paperwire.web import data
from paperwire.web.models import (
    Categories,
    Error,
    Listing,
    PaperDetail,
    SearchPage,
    SimilarPage,
    Status,
    TrendingListing,
)
from paperwire.web.pages import Page, Period, SiteDep

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Error, "description": "A malformed parameter or query."},
    404: {"model": Error, "description": "No such paper, category or page."},
}
router = APIRouter(prefix="/api/v1", tags=["api"], responses=ERRORS)

PerPage = Annotated[
    int, Query(ge=1, le=MAX_PER_PAGE, description=f"Items per page, 1 to {MAX_PER_PAGE}.")
]


@router.get("/days/latest", response_model=Listing, summary="Papers of the latest listing day")
def latest_day(site: SiteDep, page: Page = 1, per_page: PerPage = data.PER_PAGE) -> Any:
    return data.day_page(site, page=page, per_page=per_page)


@router.get("/days/{day}", response_model=Listing, summary="Papers of one listing day")
def day(site: SiteDep, day: str, page: Page = 1, per_page: PerPage = data.PER_PAGE) -> Any:
    """`day` is YYYY-MM-DD."""
    return data.day_page(site, day=data.parse_day(day), page=page, per_page=per_page)


@router.get("/weeks/{day}", response_model=Listing, summary="Papers of the ISO week of a day")
def week(site: SiteDep, day: str, page: Page = 1, per_page: PerPage = data.PER_PAGE) -> Any:
    """`day` is any day of the week, YYYY-MM-DD; the list's key is that week's Monday."""
    return data.week_page(site, day=data.parse_day(day), page=page, per_page=per_page)


@router.get("/months/{month}", response_model=Listing, summary="Papers of one month")
def month(site: SiteDep, month: str, page: Page = 1, per_page: PerPage = data.PER_PAGE) -> Any:
    """`month` is YYYY-MM."""
    return data.month_page(site, month=data.parse_month(month), page=page, per_page=per_page)


@router.get("/categories", response_model=Categories, summary="Categories with paper counts")
def categories(site: SiteDep) -> Any:
    return data.categories_page(site)


@router.get(
    "/categories/{category}", response_model=Listing, summary="A category's papers, newest first"
)
def category(
    site: SiteDep, category: str, page: Page = 1, per_page: PerPage = data.PER_PAGE
) -> Any:
    return data.category_page(site, category=category, page=page, per_page=per_page)


@router.get(
    "/trending",
    response_model=TrendingListing,
    summary="Trending papers",
    description=data.TRENDING_NOTE,
)
def trending(
    site: SiteDep, period: Period = "week", page: Page = 1, per_page: PerPage = data.PER_PAGE
) -> Any:
    return data.trending_page(site, period=period, page=page, per_page=per_page)


@router.get("/papers/{paper_id:path}", response_model=PaperDetail, summary="One paper")
def paper(site: SiteDep, paper_id: str) -> Any:
    """By id, old id (`hep-th/9901001`), `doi:...` id or versioned arXiv id; with similar
    papers and a "more like this" search query."""
    return data.paper_page(site, paper_id=paper_id)


@router.get("/search", response_model=SearchPage, summary="Search papers")
def search(
    site: SiteDep,
    q: Annotated[
        str,
        Query(
            max_length=2000,
            description='Query: words, "phrases", -exclusions, author:, cat:, year:, date:, '
            "after:, before:, has:code, sort:date|relevance.",
        ),
    ] = "",
    page: Page = 1,
    per_page: PerPage = data.SEARCH_PER_PAGE,
    mode: Annotated[
        str | None, Query(max_length=32, description="bm25, hybrid or hybrid+rerank.")
    ] = None,
) -> Any:
    return data.search_page(site, q=q, page=page, mode=mode, per_page=per_page)


@router.get("/similar", response_model=SimilarPage, summary="Papers similar to papers or a text")
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
