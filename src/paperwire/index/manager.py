"""Keeping the index in step with the store: build, incremental update, the embedding job, status.

The only module of `index` that reads the store (through `paperwire.store.reading`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from paperwire.days import day_number
from paperwire.index.base import Doc
from paperwire.index.embedded import EmbeddedIndex
from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store.reading import count_modified_since, iter_for_index, store_watermark

log = logging.getLogger(__name__)
Progress = Callable[[int, int | None], None]


def index_folder(settings: Settings) -> Path:
    return settings.home_dir / "index"


def open_index(settings: Settings, *, rebuild: bool = False, **kwargs: Any) -> EmbeddedIndex:
    """The saved index; `rebuild` for `update_index(full=True)`: a damaged index opens too (see
    EmbeddedIndex.open), to be made anew from the store."""
    kwargs.setdefault("encoder_spec", settings.encoder)
    return EmbeddedIndex.open(index_folder(settings), rebuild=rebuild, **kwargs)


def row_to_doc(row: dict[str, Any]) -> Doc:
    day = row["day"]
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return Doc(
        key=int(row["pk"]),
        title=row["title"],
        abstract=row["abstract"] or "",
        authors=list(row["authors"] or []),
        categories=list(row["categories"] or []),
        day=day_number(day) if day else None,
        has_code=bool(row["code_links"]),
    )


def _since(index: EmbeddedIndex) -> datetime | None:
    mark = index.state.watermark
    return datetime.fromisoformat(mark) if mark else None


def update_index(
    store: Store, index: EmbeddedIndex, *, full: bool = False, progress: Progress | None = None
) -> dict[str, Any]:
    """Bring the lexical index up to date with the store (only what changed, unless `full`),
    then save. Vectors of papers whose text changed are dropped for the embedding job."""
    started = time.perf_counter()
    since = None if full else _since(index)
    total = count_modified_since(store, since)
    newest, done = since, 0
    for rows in iter_for_index(store, since=since):
        index.upsert([row_to_doc(r) for r in rows])
        newest = max([newest, *(r["modified"] for r in rows if r["modified"])], key=_as_key)
        done += len(rows)
        if progress:
            progress(done, total)
    count, _ = store_watermark(store)
    index.state.watermark = newest.isoformat() if newest else index.state.watermark
    index.state.store_papers = count
    index.save()
    return {
        "papers_read": done,
        "seconds": round(time.perf_counter() - started, 2),
        "papers_indexed": len(index.lexical),
    }


def _as_key(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def iter_docs(store: Store, batch: int = 2000) -> Iterator[list[Doc]]:
    for rows in iter_for_index(store, batch=batch):
        yield [row_to_doc(r) for r in rows]


def embed_index(
    store: Store,
    index: EmbeddedIndex,
    *,
    batch_size: int = 32,
    limit: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Encode papers that have no vectors for their current text, a batch at a time; each
    finished batch is durable at once, so a killed job resumes without redoing any."""
    started, done = time.perf_counter(), 0
    todo = sum(len(index.needs_embedding(docs)) for docs in iter_docs(store))
    todo = min(todo, limit) if limit is not None else todo
    try:
        for docs in iter_docs(store):
            for start in range(0, len(docs), batch_size):
                batch = index.needs_embedding(docs[start : start + batch_size])
                if limit is not None:
                    batch = batch[: max(0, limit - done)]
                if not batch:
                    continue
                index.embed(batch, batch_size=batch_size)
                done += len(batch)
                if progress:
                    progress(done, todo)
            if limit is not None and done >= limit:
                break
    finally:
        index.fold()  # also on Ctrl-C: what was encoded is kept in the saved indexes
    seconds = time.perf_counter() - started
    return {
        "embedded": done,
        "seconds": round(seconds, 1),
        "docs_per_s": round(done / seconds, 2) if seconds and done else 0.0,
        "remaining": max(0, todo - done),
    }


def index_status(store: Store, index: EmbeddedIndex) -> dict[str, Any]:
    status = index.status()
    count, _ = store_watermark(store)
    lag = count_modified_since(store, _since(index))
    status.update(store_papers=count, lags_store_by=lag, up_to_date=lag == 0)
    return status
