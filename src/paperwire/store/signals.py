"""External signals (store side): another site's upvote count and submitter per paper, e.g.
Hugging Face daily papers, one row per (paper, source), replaced when the source is ingested
again.

Kept apart from `votes` on purpose: our vote counts are our community's alone. The "top" order's
inputs are read by `listing.rank_inputs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, delete, insert, select

from paperwire.store.db import Store
from paperwire.store.schema import paper_signals, papers

CHUNK = 500
MAX_SUBMITTER_CHARS = 200
SOURCE_LABELS = {"hf-daily": "HF"}  # how pages name a source ("HF ▲ 64")


@dataclass(frozen=True)
class Signal:
    source: str
    label: str
    upvotes: int
    submitter: str | None


def save_signals(
    conn: Connection, items: Sequence[tuple[int, str, int, str | None]], now: datetime
) -> None:
    """Replace the (paper_pk, source) rows of `items` (the last of duplicates wins), inside the
    caller's transaction (the ingest's batch)."""
    latest = {(pk, source): (upvotes, submitter) for pk, source, upvotes, submitter in items}
    if not latest:
        return
    keys = list(latest)
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        for source in {s for _, s in chunk}:
            pks = [pk for pk, s in chunk if s == source]
            conn.execute(
                delete(paper_signals).where(
                    and_(paper_signals.c.source == source, paper_signals.c.paper_pk.in_(pks))
                )
            )
    rows = [
        {
            "paper_pk": pk,
            "source": source,
            "upvotes": max(0, int(upvotes)),
            "submitter": (submitter or "")[:MAX_SUBMITTER_CHARS] or None,
            "updated": now,
        }
        for (pk, source), (upvotes, submitter) in latest.items()
    ]
    conn.execute(insert(paper_signals), rows)


def signals_by_id(store: Store, paper_ids: Sequence[str]) -> dict[str, list[Signal]]:
    """paper id -> its external signals (most upvotes first), for the papers of one page: one
    query for them all."""
    found: dict[str, list[Signal]] = {}
    if not paper_ids:
        return found
    stmt = (
        select(
            papers.c.id, paper_signals.c.source, paper_signals.c.upvotes, paper_signals.c.submitter
        )
        .join(papers, papers.c.pk == paper_signals.c.paper_pk)
        .where(papers.c.id.in_(list(dict.fromkeys(paper_ids))))
        .order_by(papers.c.id, paper_signals.c.upvotes.desc(), paper_signals.c.source)
    )
    with store.engine.connect() as conn:
        for paper_id, source, upvotes, submitter in conn.execute(stmt):
            label = SOURCE_LABELS.get(source, source)
            found.setdefault(paper_id, []).append(Signal(source, label, int(upvotes), submitter))
    return found


def any_signals(store: Store) -> bool:
    """Whether any paper has an external signal (a site without HF ingests skips the query)."""
    with store.engine.connect() as conn:
        return conn.execute(select(paper_signals.c.paper_pk).limit(1)).first() is not None
