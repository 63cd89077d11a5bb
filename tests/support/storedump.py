"""A store's whole content as plain data, for comparing two stores exactly."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from paperwire.store import Store
from paperwire.store.schema import paper_aliases, paper_categories, papers

# Row ids, timestamps and change numbers (one per committed change: batching differs between
# runs) differ by nature; everything else must be equal.
VOLATILE = {"pk", "first_seen", "modified", "change_seq"}


def dump_store(store: Store) -> dict[str, Any]:
    cols = [c for c in papers.columns if c.name not in VOLATILE]
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(*cols).order_by(papers.c.id))]
        cats = conn.execute(
            select(papers.c.id, paper_categories.c.category, paper_categories.c.position)
            .join(papers, papers.c.pk == paper_categories.c.paper_pk)
            .order_by(papers.c.id, paper_categories.c.position)
        ).all()
        aliases = conn.execute(
            select(paper_aliases.c.alias, papers.c.id)
            .join(papers, papers.c.pk == paper_aliases.c.paper_pk)
            .order_by(paper_aliases.c.alias)
        ).all()
    return {
        "papers": rows,
        "categories": [tuple(c) for c in cats],
        "aliases": [tuple(a) for a in aliases],
    }
