"""Search and similar papers as users get them: parse, ask the index, join the store's papers,
highlight. The CLI, the web pages and `paperwire eval` all come through here."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from paperwire.errors import BadQuery, NotFound
from paperwire.index.backend import USER_MODES, IndexBackend, Mode, Query
from paperwire.index.base import Hits
from paperwire.search.query import ParsedQuery, parse_query
from paperwire.search.snippets import highlight_html
from paperwire.store import Store
from paperwire.store.reading import papers_by_pk, pks_for_ids

MAX_PER_PAGE = 100
MAX_RESULTS = 1000  # deepest result reachable by paging
MAX_SIMILAR_TEXT = 20_000
THIN_PENALTY = 10  # places a paper without authors moves down in relevance order
MAX_SIMILAR = 500  # similar papers in one call: past a few hundred, neighbours are noise


@dataclass
class SearchResult:
    query: str
    parsed: ParsedQuery
    mode: str
    page: int
    per_page: int
    total: int
    took_ms: float
    hits: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "mode": self.mode,
            "page": self.page,
            "per_page": self.per_page,
            "total": self.total,
            "took_ms": round(self.took_ms, 1),
            "sort": self.parsed.sort,
            "hits": self.hits,
        }


def check_mode(mode: str, *, allowed: tuple[Mode, ...] = USER_MODES) -> Mode:
    for known in allowed:
        if mode == known:
            return known
    raise BadQuery(f"search mode {mode!r} is not one of: {', '.join(allowed)}")


def rank(
    index: IndexBackend, query: Query, *, k: int, mode: str, modes: tuple[Mode, ...] = USER_MODES
) -> Hits:
    """The index's ranking of a query, as `search` asks for it; with no store, so that
    `paperwire eval beir` and `bench search` measure the call users' searches make."""
    return index.search(query, k=k, mode=check_mode(mode, allowed=modes))


def _check_page(page: int, per_page: int) -> None:
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise BadQuery(f"per_page must be between 1 and {MAX_PER_PAGE}, not {per_page}")
    if page < 1:
        raise BadQuery(
            f"page must be between 1 and {MAX_RESULTS // per_page} at {per_page} results per page"
        )
    if page * per_page > MAX_RESULTS:  # past the results window: as a list's page past its end
        raise NotFound(
            f"page {page} is past the last page, {MAX_RESULTS // per_page} at {per_page} "
            f"results per page (searches show the best {MAX_RESULTS:,})"
        )


def search(
    store: Store,
    index: IndexBackend,
    query: str,
    *,
    page: int = 1,
    per_page: int = 10,
    mode: str = "hybrid+rerank",
    columns: Sequence[str] | None = None,
) -> SearchResult:
    """One page of results for a query string (see paperwire.search.query for the syntax).
    `columns`: the paper columns each hit gets (all public ones when None; see `hydrate`)."""
    started = time.perf_counter()
    parsed = parse_query(query)
    _check_page(page, per_page)
    want = page * per_page
    by_text = bool(parsed.text.strip()) and parsed.sort != "date"
    hits = rank(index, parsed, k=want + THIN_PENALTY if by_text else want, mode=mode)
    if by_text:
        hits = demote_thin(store, hits, want)
    start = (page - 1) * per_page
    page_hits = Hits(hits.keys[start:], hits.scores[start:], hits.total)
    terms = [parsed.text] if parsed.text else []
    rows = hydrate(store, page_hits, terms=terms, analyzer=_analyzer(index), columns=columns)
    took = (time.perf_counter() - started) * 1000
    return SearchResult(query, parsed, mode, page, per_page, max(hits.total, len(hits)), took, rows)


def demote_thin(store: Store, hits: Hits, k: int) -> Hits:
    """The first `k` hits after moving each paper without authors (a listing-page title, often
    a near-duplicate of a full record) THIN_PENALTY places down: a record with authors and an
    abstract ranks above a title-only one that scores about the same. Exact for the first `k`
    when `hits` holds k + THIN_PENALTY candidates (a paper further down cannot move up), so
    pages stay consistent with each other."""
    if not len(hits):
        return hits
    rows = papers_by_pk(store, hits.keys.tolist(), columns=["authors"])
    thin = np.array([not (rows.get(int(key)) or {}).get("authors") for key in hits.keys])
    rank = np.arange(len(hits)) + np.where(thin, THIN_PENALTY + 0.5, 0.0)
    order = np.argsort(rank, kind="stable")[:k]
    return Hits(hits.keys[order], hits.scores[order], hits.total)


def _analyzer(index: IndexBackend) -> Any:
    return index.analyzer.analyze


def hydrate(
    store: Store,
    hits: Hits,
    *,
    terms: Sequence[str] = (),
    analyzer: Any = None,
    columns: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """The papers of these hits, in order, with score and a highlighted abstract snippet.
    Keys the store no longer has are skipped. `columns`: only these public columns of each
    paper (the abstract is always read, for the snippet); all when None."""
    if columns is not None and "abstract" not in columns:
        columns = [*columns, "abstract"]
    rows = papers_by_pk(store, hits.keys.tolist(), columns=columns)
    out = []
    for key, score in hits.pairs():
        row = rows.get(key)
        if row is None:
            continue
        row["score"] = round(score, 6)
        row["snippet_html"] = highlight_html(row["abstract"], list(terms), analyzer=analyzer)
        out.append(row)
    return out


def similar(
    store: Store,
    index: IndexBackend,
    *,
    ids: Sequence[str] = (),
    text: str | None = None,
    k: int = 10,
    filters: str = "",
) -> list[dict[str, Any]]:
    """Papers like these papers (by id) or like a pasted abstract, optionally within filters
    given in the search syntax (e.g. `cat:cs.CL year:2025..`)."""
    if not ids and not (text and text.strip()):
        raise BadQuery("give paper ids or a text to find similar papers")
    if text and len(text) > MAX_SIMILAR_TEXT:
        raise BadQuery(f"the text is {len(text):,} characters; at most {MAX_SIMILAR_TEXT:,}")
    if not 1 <= k <= MAX_SIMILAR:
        raise BadQuery(f"k must be between 1 and {MAX_SIMILAR}")
    pks = pks_for_ids(store, list(ids))
    missing = [i for i in ids if i not in pks]
    if missing:
        raise NotFound(f"no paper with id {', '.join(map(repr, missing))}")
    basis = list(papers_by_pk(store, list(pks.values())).values())
    joined = " ".join(f"{p['title']}. {p['abstract']}" for p in basis)
    parsed = parse_query(filters)
    hits = index.similar(keys=list(pks.values()), text=(text or joined).strip(), k=k, query=parsed)
    return hydrate(store, hits)
