"""Keeping an index backend in step with the store: opening the configured backend, build,
incremental update, the embedding job, status.

The only module of `index` that reads the store (through `paperwire.store.reading` and
`paperwire.store.changes`). What a backend has applied is kept in the store (`index_applied`),
so any host can tell how far the index lags, whichever host wrote it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from paperwire.days import day_number
from paperwire.errors import ConfigError
from paperwire.index.backend import IndexBackend
from paperwire.index.base import Doc
from paperwire.index.embedded import EmbeddedIndex
from paperwire.index.encoders import Encoder
from paperwire.index.location import parse_index
from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store.changes import (
    Applied,
    count_changed,
    get_applied,
    latest_change,
    set_applied,
)
from paperwire.store.papers import count_papers
from paperwire.store.reading import iter_for_index

log = logging.getLogger(__name__)
Progress = Callable[[int, int | None], None]
MILVUS_MISSING = (
    "the Milvus backend is not installed in this paperwire (settings.index names a milvus:// "
    "server): install paperwire[milvus], or set PAPERWIRE_INDEX=embedded"
)


def index_folder(settings: Settings) -> Path:
    return settings.home_dir / "index"


def open_backend(settings: Settings, *, rebuild: bool = False, **kwargs: Any) -> IndexBackend:
    """The index `settings.index` names: the embedded one in the data home (see `open_index`),
    or the Milvus collection. ConfigError for a value that is neither, or a Milvus backend this
    install lacks."""
    location = parse_index(settings.index)
    if location.kind == "embedded":
        return open_index(settings, rebuild=rebuild, **kwargs)
    backend: IndexBackend = _milvus_opener()(settings.index, settings, **kwargs)
    return backend


def _milvus_opener() -> Callable[..., Any]:
    """`paperwire.index.milvus.open_milvus`, or ConfigError when this install lacks it."""
    try:
        from paperwire.index.milvus import open_milvus
    except ModuleNotFoundError as exc:
        if (exc.name or "").startswith("paperwire.index.milvus"):
            raise ConfigError(MILVUS_MISSING) from None
        raise ConfigError(
            f"the Milvus backend needs {exc.name}: pip install 'paperwire[milvus]'"
        ) from None
    return open_milvus


def open_scratch_backend(
    settings: Settings, name: str, *, encoder: Encoder | None = None, shared_tokens: bool = False
) -> IndexBackend:
    """An empty index for `eval` and `bench` on the configured backend, apart from the site's:
    an in-memory embedded index, or the Milvus collection `<collection>_<name>`, made anew.
    Its token vectors stay in this process, or with `shared_tokens` go to `settings`' store
    (`bench search` times it in another process, over a scratch data home)."""
    location = parse_index(settings.index)
    if location.kind == "embedded":
        return EmbeddedIndex(None, encoder=encoder, encoder_spec=settings.encoder)
    safe = re.sub(r"[^A-Za-z0-9_]", "_", name)
    scratch = f"milvus://{location.host}:{location.port}/{location.collection}_{safe}"
    open_milvus = _milvus_opener()
    kwargs: dict[str, Any] = {"encoder": encoder, "local_tokens": not shared_tokens}
    old = open_milvus(scratch, settings, **kwargs)
    old.drop()  # a scratch index starts empty (a re-run must not keep the last run's rows)
    backend: IndexBackend = open_milvus(scratch, settings, **kwargs)
    return backend


def open_index(settings: Settings, *, rebuild: bool = False, **kwargs: Any) -> EmbeddedIndex:
    """The saved embedded index; `rebuild` for `update_index(full=True)`: a damaged index opens
    too (see EmbeddedIndex.open), to be made anew from the store."""
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


def applied(store: Store, index: IndexBackend) -> Applied | None:
    """The store's record of what this index has applied; None when there is none for this
    very index (never updated, or its data was made anew since: a wiped folder, a new
    collection), which then gets every paper again."""
    row = get_applied(store, index.name)
    return row if row is not None and row.instance == index.instance() else None


def _record(store: Store, index: IndexBackend, seq: int) -> None:
    status = index.status()
    set_applied(
        store,
        index.name,
        instance=index.instance(),
        seq=seq,
        papers_indexed=status.papers_indexed,
        papers_embedded=status.papers_embedded,
    )


def update_index(
    store: Store, index: IndexBackend, *, full: bool = False, progress: Progress | None = None
) -> dict[str, Any]:
    """Apply the store's changes the index lacks (every paper when `full`), save, and record
    in the store how far it got. Vectors of papers whose text changed are dropped for the
    embedding job. The newest change is read first: a batch committed meanwhile is left for
    the next update, never skipped (change numbers follow commit order)."""
    started = time.perf_counter()
    done_before = applied(store, index)
    after = 0 if full or done_before is None else done_before.seq
    upto = latest_change(store)
    total = count_changed(store, after, upto)
    done = 0
    for rows in iter_for_index(store, after=after, upto=upto):
        index.upsert([row_to_doc(r) for r in rows])
        done += len(rows)
        if progress:
            progress(done, total)
    index.save()  # first: a crash before the record below only re-applies (upserts) changes
    _record(store, index, upto)
    return {
        "papers_read": done,
        "seconds": round(time.perf_counter() - started, 2),
        "papers_indexed": len(index),
        "applied_seq": upto,
    }


def iter_docs(store: Store, batch: int = 2000) -> Iterator[list[Doc]]:
    for rows in iter_for_index(store, batch=batch):
        yield [row_to_doc(r) for r in rows]


def embed_index(
    store: Store,
    index: IndexBackend,
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
        row = applied(store, index)
        if row is not None:  # the embedded fraction, for hosts that read only the store
            _record(store, index, row.seq)
    seconds = time.perf_counter() - started
    return {
        "embedded": done,
        "seconds": round(seconds, 1),
        "docs_per_s": round(done / seconds, 2) if seconds and done else 0.0,
        "remaining": max(0, todo - done),
    }


def sync_status(store: Store, backend: str, *, instance: str | None = None) -> dict[str, Any]:
    """How far the index named `backend` lags the store, from the store alone (any host, no
    index opened): papers written after the last change it applied, and its embedded fraction
    as its writer last recorded it."""
    row = get_applied(store, backend)
    if row is not None and instance is not None and row.instance != instance:
        row = None
    seq = row.seq if row is not None else 0
    lag = count_changed(store, seq)
    indexed = row.papers_indexed if row is not None else 0
    embedded = row.papers_embedded if row is not None else 0
    return {
        "store_papers": count_papers(store),
        "store_seq": latest_change(store),
        "applied_seq": seq,
        "applied_at": row.updated.isoformat() if row is not None else None,
        "lags_store_by": lag,
        "up_to_date": lag == 0,
        "recorded_papers_indexed": indexed,
        "recorded_embedded_fraction": round(embedded / indexed, 4) if indexed else 0.0,
    }


def index_status(store: Store, index: IndexBackend) -> dict[str, Any]:
    """The index's own counts and how far it lags the store."""
    status = index.status().as_dict()
    status.update(sync_status(store, index.name, instance=index.instance()))
    return status
