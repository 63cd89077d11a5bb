"""Response models of the JSON API: the shapes of the dicts `paperwire.web.data` returns, and
the request parameters routes share."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field

# Database ids are signed 64-bit: a larger number in a path is no row (400, not a 500 from the
# driver's integer overflow).
MAX_ROW_ID = 2**63 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="A row id (1 to 2^63-1).")]


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


class ExternalSignal(BaseModel):
    source: str = Field(description="Where the signal comes from, e.g. hf-daily.")
    label: str = Field(description="How pages name it, e.g. HF.")
    upvotes: int
    submitter: str | None = None


class ListedPaper(Paper):
    """A paper on a list, with what the list pages show beside it."""

    signals: list[ExternalSignal] = Field(
        default=[],
        description="Upvotes and submitter on other sites (Hugging Face daily papers): an "
        "external signal, never added to this site's votes.",
    )
    comment_count: int = Field(default=0, description="Visible comments in its discussion.")
    reason: str | None = Field(default=None, description="order=foryou: why the paper is here.")
    top_score: float | None = Field(
        default=None, description="order=top or foryou: the paper's top score (see `note`)."
    )
    score: float | None = Field(default=None, description="order=foryou: the model's score.")


class ListFilters(BaseModel):
    categories: list[str] = Field(default=[], description="Category chips: papers in any.")
    has_code: bool = False
    rules: bool = Field(default=True, description="Whether the user's saved rules apply.")


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
    papers: list[ListedPaper]
    pagination: Pagination
    order: str = Field(
        default="all", description="top, all or foryou (day and week lists; others: all)."
    )
    filters: ListFilters = Field(default_factory=ListFilters)
    hidden_by_rules: int = Field(default=0, description="Papers the user's rules hide here.")
    onboarding: bool = Field(
        default=False, description="order=foryou without likes: /for-you/start seeds them."
    )


class TrendingPaper(ListedPaper):
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
    backend: str = Field(description="The index backend: embedded, or the Milvus URL.")
    store_seq: int = Field(description="The store's newest change number.")
    applied_seq: int = Field(description="The newest store change the index has applied.")
    lags_store_by: int
    up_to_date: bool
    reloads: int
    problem: str | None = Field(
        default=None, description="Why search is unavailable (a damaged index), else null."
    )


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
    pipeline: dict[str, Any]
    settings: dict[str, Any]


class ErrorBody(BaseModel):
    status: int
    message: str
    detail: Any = None


class Error(BaseModel):
    """Every API error has this shape."""

    error: ErrorBody


class Evidence(BaseModel):
    eid: str = Field(description="Evidence id (E1, E2, ...), what generative answers cite.")
    paper_id: str
    position: int = Field(description="Sentence number in the abstract, from 0.")
    sentence: str
    sentence_html: str = Field(description="The sentence, HTML-escaped, matches in <mark>.")
    score: float
    maxsim: float
    lexical: float


class AskPaper(BaseModel):
    id: str
    title: str
    url: str = Field(description="The paper's page on this site.")
    authors: list[str] = []
    announced: date | None = None
    abs_url: str | None = None
    rank: int = Field(description="The paper's rank in the search for the question.")
    evidence: list[Evidence]


class Generated(BaseModel):
    status: str = Field(description="ok, or fallback (the extractive answer stands).")
    reason: str = ""
    segments: list[dict[str, Any]] = Field(
        default=[], description="Answer sentences, each with the evidence ids it cites."
    )
    text: str = ""
    invented: list[str] = Field(default=[], description="Cited ids that were not evidence.")
    uncited: list[str] = Field(default=[], description="Sentences removed: they cited nothing.")


class AskPage(BaseModel):
    question: str
    asked: bool = Field(description="False for an empty question: nothing was asked.")
    mode: str
    found: bool = Field(description="False: no good evidence found (under the floor).")
    confidence: float = Field(description="0..1, calibrated on SciFact train.")
    confidence_label: str = Field(description="high, medium, low, or none.")
    best_score: float | None
    scoring: str = Field(description="maxsim+lexical, or lexical without token vectors.")
    note: str
    evidence: list[Evidence]
    papers: list[AskPaper]
    took_ms: float
    llm: bool = Field(description="Whether a generative answer can be asked for.")
    generated: Generated | None = None
