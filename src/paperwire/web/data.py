"""One data function per page: each returns the dict that the page's template renders and that
the page's JSON API route returns, so the site and the API cannot drift apart.

Errors are raised (`NotFound`, `BadRequest`, `BadQuery`) and turned into responses in one place,
`paperwire.web.errors`.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from paperwire import __version__
from paperwire.community.authors import author_pages
from paperwire.community.trending import PERIODS, check_period, trending
from paperwire.community.trending import window as trending_window
from paperwire.days import day_of
from paperwire.errors import BadQuery, BadRequest, NotFound
from paperwire.index.manager import index_status
from paperwire.ops import metrics
from paperwire.pipeline.status import steps_status
from paperwire.search.ask import ask
from paperwire.search.generate import ChatConfig, generate
from paperwire.search.query import MAX_TERMS, ParsedQuery, query_string
from paperwire.search.service import (
    MAX_RESULTS,
    MAX_SIMILAR,
    check_mode,
    search,
    similar,
)
from paperwire.store import listing
from paperwire.store.papers import check_paper_id, get_paper, stats
from paperwire.store.reading import papers_by_pk
from paperwire.store.votes import votes_in_period
from paperwire.web import list_order
from paperwire.web.category_names import category_label, category_name
from paperwire.web.list_order import ListOptions
from paperwire.web.site import Site
from paperwire.web.urls import paper_url

PER_PAGE = 30  # papers per list page: with abstract teasers this keeps a page under 60 KB
SEARCH_PER_PAGE = 10  # results per search page, as web search engines show (more: "load more")
SIMILAR_ON_PAPER = 8
TRENDING_TITLES = {
    "day": "Trending today (last 24 hours)",
    "week": "Trending this week (last 7 days)",
    "month": "Trending this month (last 30 days)",
}
MIN_YEAR, MAX_YEAR = 1000, 9998
TRENDING_FILTERED = 10_000  # trending papers ranked before a filter narrows them

# Trending: community votes with a time decay (paperwire.community.trending), documented on
# the page, in the API and in the README; a recency score while a period has no votes.
TRENDING_FORMULA = (
    "score = the sum over the paper's votes in the period of 0.5^(age / half-life), age = now "
    "minus the time of the vote, half-life = 1 day (day), 3 days (week), 10 days (month); "
    "highest first, ties by the newer listing day, then paper id"
)
RECENCY_FORMULA = (
    "score = (days from 1970-01-01 to the listing day) + 0.5 if the paper links to code; "
    "highest first, ties by paper id"
)
TRENDING_NOTE = (
    "Ranked by community votes, recent votes counting most: a vote counts 1 when cast and half "
    f"as much a half-life later. Formally: {TRENDING_FORMULA}. A period without votes lists "
    f"papers by recency instead ({RECENCY_FORMULA})."
)
TRENDING_FALLBACK_NOTE = (
    "There are no community votes yet in this period, so trending is a recency score: the "
    "newest listing day first, and within a day, papers that link to code first, then by paper "
    f"id. Formally: {RECENCY_FORMULA}. Once papers get votes: {TRENDING_FORMULA}."
)

_CATEGORY = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,31}(?:\.[A-Za-z0-9-]{1,31})?")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


# --- parameters ------------------------------------------------------------------------------


def parse_day(text: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{text[:40]!r} is not a day: use YYYY-MM-DD, e.g. 2026-07-01") from None
    return _in_range(day, text)


def parse_month(text: str) -> date:
    """The first day of the month written YYYY-MM."""
    match = _MONTH.fullmatch(text)
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
        raise BadRequest(f"{text[:40]!r} is not a month: use YYYY-MM, e.g. 2026-07")
    return _in_range(date(int(match[1]), int(match[2]), 1), text)


def _in_range(day: date, text: str) -> date:
    # Weeks and months around the calendar's ends would overflow `date`.
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise BadRequest(f"{text!r} is out of range: years {MIN_YEAR} to {MAX_YEAR}")
    return day


def check_category(category: str) -> str:
    if not _CATEGORY.fullmatch(category):
        raise BadRequest(
            f"{category[:80]!r} is not a category name: use an arXiv category such as cs.CL "
            "or hep-th"
        )
    return category


def pagination(
    page: int, per_page: int, total: int, *, last_page: int | None = None
) -> dict[str, int]:
    """Page numbers for a list of `total` items; a page past the end is NotFound."""
    pages = max(1, math.ceil(total / per_page))
    if last_page is not None:
        pages = min(pages, last_page)
    if page > pages:
        raise NotFound(f"page {page} is past the last page, {pages}")
    return {"page": page, "per_page": per_page, "total": total, "pages": pages}


# --- papers as pages show them ---------------------------------------------------------------


def _web_link(url: str | None) -> str | None:
    """Only http(s) links are shown: a source's `javascript:` URL stays text, never a link."""
    if url and re.match(r"https?://[^\s\"'<>]+$", url, re.IGNORECASE):
        return url
    return None


def paper_view(row: dict[str, Any]) -> dict[str, Any]:
    """A stored paper with the links pages show: arXiv abs/pdf, DOI, code."""
    arxiv_id = row.get("arxiv_id")
    view = dict(row)
    view["day"] = row.get("announced") or row.get("submitted")
    # A title and abstract from a listing page: no date, no authors, no arXiv id. Shown as such
    # rather than with an invented date.
    view["listing_only"] = not (view["day"] or arxiv_id or row.get("authors") or row.get("doi"))
    abs_link = _web_link(row.get("abs_url"))
    pdf_link = _web_link(row.get("pdf_url"))
    if arxiv_id:
        abs_link = abs_link or f"https://arxiv.org/abs/{arxiv_id}"
        pdf_link = pdf_link or f"https://arxiv.org/pdf/{arxiv_id}"
    view["abs_link"] = abs_link
    view["pdf_link"] = pdf_link
    view["doi_link"] = f"https://doi.org/{row['doi']}" if row.get("doi") else None
    view["code_links"] = [u for u in (row.get("code_links") or []) if _web_link(u)]
    return view


def _papers(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [paper_view(r) for r in rows]


# --- lists: a day, a week, a month, a category, trending --------------------------------------


def _listing(
    site: Site,
    *,
    kind: str,
    key: str | None,
    title: str,
    first: date | None,
    last: date | None,
    page: int,
    category: str | None = None,
    order: listing.Order = "newest",
    per_page: int = PER_PAGE,
    options: ListOptions | None = None,
    user_id: int | None = None,
) -> dict[str, Any]:
    if options is not None:  # the site's list pages: orders and filters (web/list_order.py)
        return _filtered_listing(
            site,
            kind=kind,
            key=key,
            title=title,
            first=first,
            last=last,
            page=page,
            category=category,
            per_page=per_page,
            options=options,
            user_id=user_id,
            order=order,
        )
    store = site.store
    total = listing.count_range(store, first=first, last=last, category=category)
    pages = pagination(page, per_page, total)
    rows = listing.list_range(
        store,
        first=first,
        last=last,
        category=category,
        order=order,
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    return _list_dict(kind, key, title, first, last, category, _papers(rows), pages)


def _list_dict(
    kind: str,
    key: str | None,
    title: str,
    first: date | None,
    last: date | None,
    category: str | None,
    papers: list[dict[str, Any]],
    pages: dict[str, int],
    note: str | None = None,
) -> dict[str, Any]:
    """What every list page holds (`prev`, `next` and `days` are filled in by its caller)."""
    return {
        "kind": kind,
        "key": key,
        "title": title,
        "first_day": first,
        "last_day": last,
        "category": category,
        "prev": None,
        "next": None,
        "days": [],
        "note": note,
        "papers": papers,
        "pagination": pages,
    }


def _filtered_listing(
    site: Site,
    *,
    kind: str,
    key: str | None,
    title: str,
    first: date | None,
    last: date | None,
    page: int,
    category: str | None,
    per_page: int,
    options: ListOptions,
    user_id: int | None,
    order: listing.Order = "newest",
) -> dict[str, Any]:
    if kind not in list_order.ORDERED_KINDS:  # the orders are offered on day and week lists
        options = dataclasses.replace(options, order="all")
    found = list_order.ordered_rows(
        site,
        first=first,
        last=last,
        category=category,
        options=options,
        user_id=user_id,
        page=page,
        per_page=per_page,
        views=_papers,
        base_order=order,
    )
    pages = pagination(page, per_page, found.total)
    return _list_dict(kind, key, title, first, last, category, found.papers, pages, found.note) | {
        "options": options,
        "query": options.query(),
        "orders": list_order.ORDERS if kind in list_order.ORDERED_KINDS else {},
        # Chips from the listed days' categories (a category page has its one category).
        "chips": list_order.chips(site, first=first, last=last, options=options)
        if first is not None
        else [],
        "onboarding": found.onboarding,
        "hidden_by_rules": found.hidden_by_rules,
        "signed_in": user_id is not None,
    }


def _neighbours(site: Site, data: dict[str, Any], key_of: Any) -> dict[str, Any]:
    """Fill `prev`/`next` with the keys of the nearest views that have papers."""
    before, after = listing.neighbour_days(
        site.store, first=data["first_day"], last=data["last_day"]
    )
    data["prev"] = key_of(before) if before else None
    data["next"] = key_of(after) if after else None
    return data


def day_page(
    site: Site,
    *,
    day: date | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
    options: ListOptions | None = None,
    user_id: int | None = None,
) -> dict[str, Any]:
    """One listing day's papers (the latest announced day when `day` is None)."""
    if day is None:
        day = listing.latest_listing_day(site.store)
        if day is None:  # an empty store
            return _listing(
                site, kind="day", key=None, title="No papers yet", first=None, last=None, page=page
            )
    title = f"Papers of {day:%A} {day.day} {day:%B %Y}"
    data = _listing(
        site,
        kind="day",
        key=day.isoformat(),
        title=title,
        first=day,
        last=day,
        page=page,
        per_page=per_page,
        options=options,
        user_id=user_id,
    )
    return _neighbours(site, data, lambda d: d.isoformat())


def week_page(
    site: Site,
    *,
    day: date,
    page: int = 1,
    per_page: int = PER_PAGE,
    options: ListOptions | None = None,
    user_id: int | None = None,
) -> dict[str, Any]:
    """The papers of the ISO week (Monday to Sunday) that contains `day`."""
    monday = day - timedelta(days=day.weekday())
    sunday = monday + timedelta(days=6)
    year, week, _ = monday.isocalendar()
    title = f"Papers of week {week}, {year} ({monday.isoformat()} to {sunday.isoformat()})"
    data = _listing(
        site,
        kind="week",
        key=monday.isoformat(),
        title=title,
        first=monday,
        last=sunday,
        page=page,
        per_page=per_page,
        options=options,
        user_id=user_id,
    )
    data["days"] = _days(site, monday, sunday)
    return _neighbours(site, data, lambda d: (d - timedelta(days=d.weekday())).isoformat())


def month_page(
    site: Site,
    *,
    month: date,
    page: int = 1,
    per_page: int = PER_PAGE,
    options: ListOptions | None = None,
    user_id: int | None = None,
) -> dict[str, Any]:
    """The papers of one calendar month (`month` is its first day)."""
    first = month.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    data = _listing(
        site,
        kind="month",
        key=f"{first:%Y-%m}",
        title=f"Papers of {first:%B %Y}",
        first=first,
        last=last,
        page=page,
        per_page=per_page,
        options=options,
        user_id=user_id,
    )
    data["days"] = _days(site, first, last)
    return _neighbours(site, data, lambda d: f"{d:%Y-%m}")


def _days(site: Site, first: date, last: date) -> list[dict[str, Any]]:
    found = listing.days_with_counts(site.store, first=first, last=last)
    return [{"day": d, "papers": n} for d, n in sorted(found)]


def category_page(
    site: Site,
    *,
    category: str,
    page: int = 1,
    per_page: int = PER_PAGE,
    options: ListOptions | None = None,
    user_id: int | None = None,
) -> dict[str, Any]:
    """One category's papers, newest listing day first."""
    check_category(category)
    if not listing.category_exists(site.store, category):
        raise NotFound(f"no papers in category {category!r}: see /categories for those there are")
    return _listing(
        site,
        kind="category",
        key=category,
        title=f"Papers in {category_label(category)}",
        first=None,
        last=None,
        category=category,
        page=page,
        per_page=per_page,
        options=options,
        user_id=user_id,
    )


def categories_page(site: Site) -> dict[str, Any]:
    """Every category with its number of papers, most first."""
    found = listing.categories_with_counts(site.store)
    return {
        "title": "Categories",
        "categories": [{"category": c, "name": category_name(c), "papers": n} for c, n in found],
        "total": len(found),
        # About counts papers by primary category only; here a paper counts in each of its own.
        "note": "A paper counts in every category it is listed in (its primary one and its "
        "cross-lists), so these numbers add up to more than the papers; /about counts each "
        "paper once, in its primary category.",
    }


def trending_page(
    site: Site,
    *,
    period: str = "week",
    page: int = 1,
    per_page: int = PER_PAGE,
    options: ListOptions | None = None,
    user_id: int | None = None,
) -> dict[str, Any]:
    """Trending over the last day, week (7 days) or month (30 days), ending now: papers ranked
    by `TRENDING_FORMULA` (each with its `score` and its `votes` in the period). A period
    without votes falls back to the recency score `RECENCY_FORMULA` over the listing days up
    to the latest one, and says so in `note`."""
    check_period(period)
    offset = (page - 1) * per_page
    now = datetime.now(UTC)
    rule = list_order.page_filter(site, options, user_id)
    if rule:  # rank everything that scores, then narrow it (one query per 500 papers)
        ranked, scored = trending(site.store, period=period, limit=TRENDING_FILTERED, now=now)
        kept = listing.keep_pks(site.store, [pk for pk, _ in ranked], rule) if scored else set()
        ranked = [(pk, score) for pk, score in ranked if pk in kept]
        total, ranked = len(ranked), ranked[offset : offset + per_page]
    else:
        ranked, total = trending(site.store, period=period, limit=per_page, offset=offset, now=now)
        scored = total
    if scored == 0:  # no votes in the period at all: the recency list (filtered as asked)
        return _recency_trending(
            site, period=period, page=page, per_page=per_page, options=options, user_id=user_id
        )
    pages = pagination(page, per_page, total)
    start, end = trending_window(period, now=now)
    pks = [pk for pk, _ in ranked]
    rows = papers_by_pk(site.store, pks)
    in_period = votes_in_period(site.store, pks, start, end)
    papers = []
    for pk, score in ranked:
        if pk in rows:
            view = paper_view(rows[pk])
            view["score"] = round(score, 4)
            view["votes"] = in_period.get(pk, 0)
            papers.append(view)
    first, last = start.date(), end.date()
    title = TRENDING_TITLES[period]
    found = _list_dict("trending", period, title, first, last, None, papers, pages, TRENDING_NOTE)
    return found | list_order.controls(site, options, user_id, first=first, last=last)


def _recency_trending(
    site: Site,
    *,
    period: str,
    page: int,
    per_page: int,
    options: ListOptions | None = None,
    user_id: int | None = None,
) -> dict[str, Any]:
    last = listing.latest_listing_day(site.store)
    first = last - timedelta(days=PERIODS[period] - 1) if last else None
    data = _listing(
        site,
        kind="trending",
        key=period,
        title=TRENDING_TITLES[period],
        first=first,
        last=last,
        page=page,
        order="recency",
        per_page=per_page,
        options=options,
        user_id=user_id,
    )
    data["note"] = TRENDING_FALLBACK_NOTE
    return data


# --- one paper -------------------------------------------------------------------------------


def paper_page(site: Site, *, paper_id: str) -> dict[str, Any]:
    """A paper, the papers most like it, and a "more like this" query for the search page."""
    check_paper_id(paper_id)
    row = get_paper(site.store, paper_id)
    index = site.index
    try:
        like = similar(site.store, index, ids=[row["id"]], k=SIMILAR_ON_PAPER)
    except NotFound:  # deleted between the two reads
        like = []
    text = f"{row['title']}. {row['abstract']}"
    lexical = getattr(index, "lexical", None)
    terms = lexical.distinctive_terms(text, 8) if lexical is not None and len(lexical) else ""
    return {
        "paper": paper_view(row),
        "similar": _papers(like),
        "more_like_this": terms or row["title"][:200],
    }


# --- search and similar ----------------------------------------------------------------------


def arxiv_case(category: str) -> str:
    """A category as arXiv spells it (filters are matched lower-cased): cs.cl -> cs.CL,
    astro-ph.co -> astro-ph.CO; physics.* and cond-mat.* subjects stay lower case."""
    archive, dot, subject = category.partition(".")
    if not dot or archive in ("physics", "cond-mat"):
        return category
    return f"{archive}.{subject.upper()}"


def describe_filters(parsed: ParsedQuery) -> list[str]:
    """The query's filters in words, for the results page."""
    out = [f"phrase: “{p}”" for p in parsed.phrases]
    for token in parsed.must:
        name, _, value = token.partition(":")
        out.append("has code" if token == "has:code" else f"{name}: {value}")
    for group in parsed.any_of:
        out.append("category: " + " or ".join(arxiv_case(t.partition(":")[2]) for t in group))
    out += [f"without: {w}" for w in parsed.must_not]
    for token in parsed.none_of:
        name, _, value = token.partition(":")
        if name == "cat":
            value = arxiv_case(value)
        out.append("without code" if token == "has:code" else f"not {name}: {value}")
    if parsed.day_from is not None or parsed.day_to is not None:
        lo = day_of(parsed.day_from).isoformat() if parsed.day_from else "…"
        hi = _day_text(parsed.day_to)
        out.append(f"listed: {lo} to {hi}")
    return out


def _day_text(day: int | None) -> str:
    if day is None:
        return "…"
    try:
        return day_of(day).isoformat()
    except OverflowError:
        return "…"


# The paper columns the HTML search page shows (through `paper_view` and `_paper.html`): the
# page reads only these, the JSON API and the feeds read every public column.
PAGE_COLUMNS = (
    "id",
    "arxiv_id",
    "doi",
    "title",
    "abstract",
    "authors",
    "categories",
    "announced",
    "submitted",
    "abs_url",
    "pdf_url",
    "code_links",
)


def search_page(
    site: Site,
    *,
    q: str = "",
    page: int = 1,
    mode: str | None = None,
    per_page: int = 0,
    columns: Sequence[str] | None = None,
) -> dict[str, Any]:
    """One page of search results; an empty query searches nothing (the page shows help).
    `columns`: the paper columns each hit gets (all public ones when None)."""
    mode = check_mode(mode or site.settings.search_mode)
    per_page = per_page or SEARCH_PER_PAGE
    if not q.strip():
        return {
            "query": q,
            "searched": False,
            "embedding": None,
            "mode": mode,
            "sort": None,
            "took_ms": 0.0,
            "filters": [],
            "sorts": {},
            "hits": [],
            "pagination": {"page": 1, "per_page": per_page, "total": 0, "pages": 1},
        }
    result = search(
        site.store, site.search_index(), q, page=page, per_page=per_page, mode=mode, columns=columns
    )
    metrics.SEARCH_SECONDS.labels(mode=result.mode).observe(result.took_ms / 1000)
    data = result.as_dict()
    data["searched"] = True
    data["filters"] = describe_filters(result.parsed)
    data["sorts"] = {
        s: query_string(dataclasses.replace(result.parsed, sort=s)) for s in ("relevance", "date")
    }
    data["hits"] = _papers(result.hits)
    data["pagination"] = pagination(page, per_page, result.total, last_page=MAX_RESULTS // per_page)
    data["embedding"] = embedding_coverage(site, mode)
    data["author_pages"] = author_pages(result.parsed.must)  # i13b: `author:` -> its page
    return data


def ask_page(
    site: Site, *, q: str = "", mode: str | None = None, llm: bool = False
) -> dict[str, Any]:
    """The extractive answer to a question (an empty one asks nothing); with `llm` and a chat
    API configured, the checked generative answer too (else `generated` is None)."""
    chat = ChatConfig.from_settings(site.settings)
    mode = check_mode(mode or site.settings.search_mode)
    if not q.strip():
        return {
            "question": q,
            "asked": False,
            "mode": mode,
            "found": False,
            "confidence": 0.0,
            "confidence_label": "none",
            "best_score": None,
            "scoring": "",
            "note": "",
            "evidence": [],
            "papers": [],
            "took_ms": 0.0,
            "llm": chat is not None,
            "generated": None,
        }
    page, cut = _ask_words(site, q, mode)
    if cut:
        page["note"] = " ".join(filter(None, [page.get("note"), cut]))
    for paper in page["papers"]:
        paper["url"] = paper_url(paper["id"])
    page.update(asked=True, llm=chat is not None, generated=None)
    if llm and chat is not None:
        page["generated"] = generate(chat, page)
    return page


def _ask_words(site: Site, q: str, mode: str) -> tuple[dict[str, Any], str]:
    """Ask for `q`; a question longer than the query syntax's MAX_TERMS terms is asked with
    its first MAX_TERMS (a question is prose, not a query to refuse), saying so."""
    try:
        return ask(site.store, site.index, q, mode=mode), ""
    except BadQuery as exc:
        if not str(exc).startswith(f"the query has more than {MAX_TERMS} terms"):
            raise
        end = exc.position  # where the first term too many starts, in the question as typed
    cut = f"Only the question's first {MAX_TERMS} terms were used."
    return ask(site.store, site.index, q[:end], mode=mode), cut


def embedding_coverage(site: Site, mode: str) -> dict[str, int] | None:
    """While embeddings are still being computed (a fresh demo, a big ingest), how many of the
    indexed papers the semantic part of the search covers; None when all are, or for BM25."""
    status = site.index.status()
    indexed, embedded = status.papers_indexed, status.papers_embedded
    if mode == "bm25" or embedded >= indexed:
        return None
    return {"papers_embedded": embedded, "papers_indexed": indexed}


def similar_page(
    site: Site, *, ids: Sequence[str] = (), text: str | None = None, k: int = 10, filters: str = ""
) -> dict[str, Any]:
    """Papers like the given papers (by id) or like a pasted text."""
    if k > MAX_SIMILAR:
        raise BadRequest(f"k must be between 1 and {MAX_SIMILAR}")
    for paper_id in ids:
        check_paper_id(paper_id)
    if not ids and not (text and text.strip()):  # like a search without a query: nothing
        return {"ids": [], "text": text, "filters": filters, "papers": []}
    index = site.search_index()
    rows = similar(site.store, index, ids=list(ids), text=text, k=k, filters=filters)
    return {"ids": list(ids), "text": text, "filters": filters, "papers": _papers(rows)}


# --- status ----------------------------------------------------------------------------------

STATUS_TTL = 5.0  # seconds the status page's counts are kept (at most the site's check_every)


def status_page(site: Site) -> dict[str, Any]:
    """What the site holds: papers, days, embedding coverage, index lag, settings summary."""
    index = site.index
    # Counting the store takes a while (~0.2 s at 75k papers): the counts are kept a few seconds.
    counts, status, steps = site.cached(
        "status",
        lambda: (stats(site.store), index_status(site.store, index), steps_status(site.store)),
        ttl=min(site.check_every, STATUS_TTL),
    )
    settings = site.settings
    return {
        "version": __version__,
        "papers": counts["papers"],
        "with_arxiv_id": counts["with_arxiv_id"],
        "days": counts["days"],
        "first_day": counts["first_day"],
        "last_day": counts["last_day"],
        "top_primary_categories": counts["top_primary_categories"],
        "sources": counts["sources"],
        "index": {
            "papers_indexed": status["papers_indexed"],
            "papers_embedded": status["papers_embedded"],
            "embedded_fraction": status["embedded_fraction"],
            "encoder": status["encoder"],
            "backend": status["backend"],
            "store_seq": status["store_seq"],
            "applied_seq": status["applied_seq"],
            "lags_store_by": status["lags_store_by"],
            "up_to_date": status["up_to_date"],
            "reloads": site.reloads,
            "problem": site.index_problem,
        },
        # The newest run of each pipeline step (harvest:<source>, index, embed, digest).
        "pipeline": steps,
        # Paths and database URLs stay private: a public site shows only what they are.
        "settings": {
            "database": site.store.dialect,
            "search_mode": settings.search_mode,
            "encoder": settings.encoder or "bundled all-MiniLM-L6-v2 (int8 ONNX)",
            "index_check_seconds": site.check_every,
        },
    }
