"""Response models of the JSON API: the shapes of the dicts `paperwire.web.data` returns."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field


class Paper(BaseModel):
    id: str = Field(description="Stable id: arXiv id without version, doi:<doi>, or title-<hash>.")
    arxiv_id: str | None = None
    doi: str | None = None
    title: str
    abstract: str = ""
    authors: list[str] = []
    categories: list[str] = Field(default=[], description="Primary category first.")
    primary_category: str | None = None
    day: date | None = Field(default=None, description="Listing day: announced, else submitted.")
    announced: date | None = None
    submitted: date | None = None
    updated: date | None = None
    versions: list[tuple[int, date | None]] = []
    latest_version: int | None = None
    journal_ref: str | None = None
    comments: str | None = None
    abs_link: str | None = Field(default=None, description="arXiv abstract page (http(s) only).")
    pdf_link: str | None = None
    doi_link: str | None = None
    code_links: list[str] = []
    sources: list[str] = []


class Hit(Paper):
    score: float
    snippet_html: str = Field(
        description="The abstract's best passage, HTML-escaped, with matches in <mark>."
    )


class Pagination(BaseModel):
    page: int
    per_page: int
    total: int
    pages: int


class DayCount(BaseModel):
    day: date
    papers: int


class Listing(BaseModel):
    """A list of papers: a day, a week, a month, a category or trending."""

    kind: str = Field(description="day, week, month, category or trending.")
    key: str | None = Field(
        description="The list's key: its day, week's Monday, month (YYYY-MM), category or period."
    )
    title: str
    first_day: date | None
    last_day: date | None
    category: str | None
    prev: str | None = Field(description="Key of the nearest earlier list that has papers.")
    next: str | None = Field(description="Key of the nearest later list that has papers.")
    days: list[DayCount] = Field(description="Days with papers in a week or month.")
    note: str | None = Field(description="How the list is ordered, where it is not obvious.")
    papers: list[Paper]
    pagination: Pagination


class TrendingPaper(Paper):
    score: float | None = Field(
        default=None, description="Trending score: the period's votes, decayed by their age."
    )
    votes: int | None = Field(default=None, description="Votes cast in the period.")


class TrendingListing(Listing):
    """Trending: by votes (papers carry score and votes), else by recency (see `note`)."""

    papers: list[TrendingPaper]  # type: ignore[assignment]  # (pydantic: a narrower field)


class CategoryCount(BaseModel):
    category: str
    papers: int
    name: str | None = Field(None, description="The arXiv name, e.g. Computation and Language.")


class Categories(BaseModel):
    title: str
    categories: list[CategoryCount]
    total: int
    note: str = Field("", description="How papers are counted (primary and cross-lists).")


class PaperDetail(BaseModel):
    paper: Paper
    similar: list[Paper]
    more_like_this: str = Field(description="A search query for papers like this one.")


class SearchPage(BaseModel):
    query: str
    searched: bool = Field(description="False for an empty query: nothing was searched.")
    mode: str
    sort: str | None
    took_ms: float
    filters: list[str] = Field(description="The query's filters, in words.")
    sorts: dict[str, str] = Field(description="The query rewritten for each sort order.")
    hits: list[Hit]
    pagination: Pagination
    embedding: dict[str, int] | None = Field(
        None,
        description="While embeddings are being computed: papers_embedded of papers_indexed "
        "(the semantic part of the search covers those; the rest rank by their words).",
    )


class SimilarPage(BaseModel):
    ids: list[str]
    text: str | None
    filters: str
    papers: list[Hit]


class IndexInfo(BaseModel):
    papers_indexed: int
    papers_embedded: int
    embedded_fraction: float
    encoder: str | None
    watermark: str | None
    lags_store_by: int
    up_to_date: bool
    reloads: int


class Status(BaseModel):
    version: str
    papers: int
    with_arxiv_id: int
    days: int
    first_day: str | None
    last_day: str | None
    top_primary_categories: dict[str, int]
    sources: dict[str, int]
    index: IndexInfo
    settings: dict[str, Any]


class ErrorBody(BaseModel):
    status: int
    message: str
    detail: Any = None


class Error(BaseModel):
    """Every API error has this shape."""

    error: ErrorBody
