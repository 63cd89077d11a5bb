"""Writing and reading papers: one transaction per batch, the source's checkpoint included."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import (
    IntegrityError,
    InterfaceError,
    InternalError,
    OperationalError,
    StatementError,
)
from sqlalchemy.sql import ColumnElement

from paperwire.errors import NotFound, RecordsRefused
from paperwire.records import PaperRecord, parse_arxiv_id
from paperwire.store import merge
from paperwire.store.changes import next_change
from paperwire.store.checkpoints import save_checkpoint
from paperwire.store.db import Store, lock_paper_writers
from paperwire.store.schema import paper_aliases, paper_categories, papers
from paperwire.store.signals import save_signals

MAX_ID_CHARS = 256  # no paper id is longer

CHUNK = 500  # ids per IN (...) list: far below every dialect's parameter limit
STAMPS = ("pk", "first_seen", "modified", "change_seq")  # set by the write itself
MUTABLE = [c.name for c in papers.columns if c.name not in STAMPS]


class Outcome(enum.StrEnum):
    NEW = "new"
    UPDATED = "updated"
    MERGED = "merged"  # joined a paper first stored from another source
    UNCHANGED = "unchanged"


@dataclass
class _Batch:
    """Rows touched by one batch, indexed by every identity key."""

    by_arxiv: dict[str, merge.Row]
    by_doi: dict[str, merge.Row]
    by_title: dict[str, list[merge.Row]]

    def add(self, row: merge.Row) -> None:
        if row["arxiv_id"]:
            self.by_arxiv[row["arxiv_id"]] = row
        if row["doi"]:
            self.by_doi.setdefault(row["doi"], row)
        bucket = self.by_title.setdefault(row["title_key"], [])
        if row not in bucket:
            bucket.append(row)

    def find(self, rec: PaperRecord, tkey: str) -> merge.Row | None:
        """The stored paper this record is, if any."""
        if rec.arxiv_id and rec.arxiv_id in self.by_arxiv:
            return self.by_arxiv[rec.arxiv_id]
        if rec.doi and rec.doi in self.by_doi:
            row = self.by_doi[rec.doi]
            if not (rec.arxiv_id and row["arxiv_id"] and rec.arxiv_id != row["arxiv_id"]):
                return row
        for row in self.by_title.get(tkey, []):
            if merge.same_paper_by_title(row, rec):
                return row
        return None


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


def _load_matches(conn: Connection, records: list[PaperRecord], tkeys: list[str]) -> _Batch:
    batch = _Batch({}, {}, {})
    wanted: list[tuple[Any, list[Any]]] = [
        (papers.c.arxiv_id, sorted({r.arxiv_id for r in records if r.arxiv_id})),
        (papers.c.doi, sorted({r.doi for r in records if r.doi})),
        (papers.c.title_key, sorted(set(tkeys))),
    ]
    seen: set[int] = set()
    for column, values in wanted:
        for chunk in _chunks(values):
            for found in conn.execute(select(papers).where(column.in_(chunk))).mappings():
                if found["pk"] not in seen:
                    seen.add(found["pk"])
                    batch.add(dict(found))
    return batch


def _apply(batch: _Batch, rec: PaperRecord, tkey: str) -> tuple[merge.Row, Outcome]:
    row = batch.find(rec, tkey)
    if row is None:
        row = merge.new_row(rec, tkey)
        row["_new"] = True
        batch.add(row)
        return row, Outcome.NEW
    had_source = rec.source in row["sources"]
    old_id = row["id"]
    if not merge.merge_into(row, rec):
        return row, Outcome.UNCHANGED
    if row["id"] != old_id and not row.get("_new"):
        row.setdefault("_aliases", []).append(old_id)
    row["_dirty"] = True
    batch.add(row)
    return row, Outcome.UPDATED if had_source else Outcome.MERGED


def _taken_ids(conn: Connection, wanted: set[str]) -> set[str]:
    """Those of `wanted` that a paper has as its id or as an old id (alias)."""
    taken: set[str] = set()
    for chunk in _chunks(sorted(wanted)):
        taken.update(conn.scalars(select(papers.c.id).where(papers.c.id.in_(chunk))))
        alias = paper_aliases.c.alias
        taken.update(conn.scalars(select(alias).where(alias.in_(chunk))))
    return taken


def _unique_ids(conn: Connection, rows: list[merge.Row]) -> None:
    """Different papers with the same title (and unrelated authors) get distinct ids: the first
    of title-<hash>, title-<hash>-2, -3, ... that no paper has, now or as an old id."""
    pending = [(r, r["id"]) for r in rows if r["id"].startswith("title-")]
    used: set[str] = set()
    n = 1
    while pending:
        for row, base in pending:
            row["id"] = base if n == 1 else f"{base}-{n}"
        taken = used | _taken_ids(conn, {row["id"] for row, _ in pending})
        waiting = []
        for row, base in pending:
            if row["id"] in taken:
                waiting.append((row, base))
            else:
                taken.add(row["id"])
                used.add(row["id"])
        pending, n = waiting, n + 1


def _pks_by_id(conn: Connection, ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(ids):
        rows = conn.execute(select(papers.c.id, papers.c.pk).where(papers.c.id.in_(chunk)))
        found.update({paper_id: pk for paper_id, pk in rows})
    return found


def _write(conn: Connection, rows: list[merge.Row], now: datetime) -> None:
    new = [r for r in rows if r.get("_new")]
    changed = [r for r in rows if r.get("_dirty") and not r.get("_new")]
    if not new and not changed:
        return
    seq = next_change(conn)  # under the writer lock: change numbers follow commit order
    stamps = {"first_seen": now, "modified": now, "change_seq": seq}
    _unique_ids(conn, new)
    if new:
        values = [{k: r[k] for k in MUTABLE} | stamps for r in new]
        # A plain executemany, then the pks by id: an ordered RETURNING makes SQLite insert one
        # row per statement, which was a third of the ingest's time.
        conn.execute(insert(papers), values)
        new_pks = _pks_by_id(conn, [r["id"] for r in new])
        for row in new:
            row["pk"] = new_pks[row["id"]]
    if changed:
        params = [
            {f"b_{k}": r[k] for k in MUTABLE} | {"b_modified": now, "b_pk": r["pk"]}
            for r in changed
        ]
        upd = (
            update(papers)
            .where(papers.c.pk == bindparam("b_pk"))
            .values(
                {k: bindparam(f"b_{k}") for k in MUTABLE}
                | {"modified": bindparam("b_modified"), "change_seq": seq}
            )
        )
        conn.execute(upd, params)
        aliases = [
            {"alias": a, "paper_pk": r["pk"]} for r in changed for a in r.get("_aliases", [])
        ]
        if aliases:
            conn.execute(insert(paper_aliases), aliases)
        changed_pks = [r["pk"] for r in changed]
        for chunk in _chunks(changed_pks):
            conn.execute(delete(paper_categories).where(paper_categories.c.paper_pk.in_(chunk)))
    cats = [
        {"paper_pk": r["pk"], "category": c, "position": i}
        for r in [*new, *changed]
        for i, c in enumerate(r["categories"])
    ]
    if cats:
        conn.execute(insert(paper_categories), cats)


def upsert_records(
    store: Store,
    records: list[PaperRecord],
    *,
    checkpoint: tuple[str, str, dict[str, Any]] | None = None,
) -> list[Outcome]:
    """Store a batch in one transaction (with the source's checkpoint); one outcome per record.

    RecordsRefused when the database refuses a value in the records (nothing is written then);
    errors of the database itself (down, disk full) pass through as they are.
    """
    try:
        try:
            return _upsert(store, records, checkpoint)
        except IntegrityError:
            # A writer outside paperwire's lock got there first: match again, now seeing it.
            return _upsert(store, records, checkpoint)
    except (StatementError, ValueError) as exc:  # the driver's own encoding errors are raw
        if isinstance(exc, OperationalError | InterfaceError | InternalError):
            raise
        orig = exc.orig if isinstance(exc, StatementError) else exc
        first_line = (str(orig or exc).splitlines() or [type(exc).__name__])[0]
        raise RecordsRefused(f"the database refused the batch: {first_line}") from exc


def _upsert(
    store: Store, records: list[PaperRecord], checkpoint: tuple[str, str, dict[str, Any]] | None
) -> list[Outcome]:
    tkeys = [merge.title_key(r.title) for r in records]
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        lock_paper_writers(conn)
        batch = _load_matches(conn, records, tkeys)
        touched: dict[int, merge.Row] = {}
        outcomes = []
        rows_of: list[merge.Row] = []  # each record's row (its pk is known after _write)
        for rec, tkey in zip(records, tkeys, strict=True):
            row, outcome = _apply(batch, rec, tkey)
            outcomes.append(outcome)
            rows_of.append(row)
            if outcome is not Outcome.UNCHANGED:
                touched[id(row)] = row
        _write(conn, list(touched.values()), now)
        save_signals(conn, _signals(records, rows_of), now)
        if checkpoint:
            save_checkpoint(conn, *checkpoint)
    return outcomes


def _signals(
    records: list[PaperRecord], rows: list[merge.Row]
) -> list[tuple[int, str, int, str | None]]:
    return [
        (int(row["pk"]), rec.source, rec.upvotes, rec.submitter)
        for rec, row in zip(records, rows, strict=True)
        if rec.upvotes is not None and row.get("pk") is not None
    ]


# --- reading ---------------------------------------------------------------------------------

PUBLIC = [c for c in papers.columns if c.name not in ("pk", "title_key", "change_seq")]
listing_day: ColumnElement[date] = func.coalesce(papers.c.announced, papers.c.submitted)


def _public(row: Any) -> dict[str, Any]:
    return dict(row._mapping)


def check_paper_id(paper_id: str) -> None:
    """No store has such an id (and PostgreSQL refuses NUL in a query): NotFound at once."""
    if len(paper_id) > MAX_ID_CHARS or any(ord(c) < 32 for c in paper_id):
        raise NotFound(f"no paper with id {paper_id[:MAX_ID_CHARS]!r}")


def _lookup(conn: Connection, paper_id: str, columns: Sequence[Any]) -> Any:
    """The row (these columns) of a paper by its id, an old id (alias), or an arXiv id with a
    version suffix; NotFound otherwise."""
    check_paper_id(paper_id)
    parsed = parse_arxiv_id(paper_id)
    wanted = parsed[0] if parsed else paper_id.strip()
    row = conn.execute(select(*columns).where(papers.c.id == wanted)).first()
    if row is None:
        alias = select(paper_aliases.c.paper_pk).where(paper_aliases.c.alias == wanted)
        row = conn.execute(select(*columns).where(papers.c.pk.in_(alias))).first()
    if row is None:
        raise NotFound(f"no paper with id {paper_id!r}")
    return row


def get_paper(store: Store, paper_id: str) -> dict[str, Any]:
    """One paper by its id, an old id, or an arXiv id with a version suffix."""
    with store.engine.connect() as conn:
        return _public(_lookup(conn, paper_id, PUBLIC))


def find_paper(store: Store, paper_id: str) -> tuple[int, str]:
    """(pk, current id) of a paper by id, old id or versioned arXiv id; NotFound otherwise."""
    with store.engine.connect() as conn:
        row = _lookup(conn, paper_id, (papers.c.pk, papers.c.id))
    return int(row[0]), str(row[1])


def list_papers(
    store: Store,
    *,
    day: date | None = None,
    category: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Papers newest listing day first (then by id), filtered by day and category."""
    stmt = select(*PUBLIC)
    if day is not None:
        stmt = stmt.where(listing_day == day)
    if category:
        in_cat = select(paper_categories.c.paper_pk).where(paper_categories.c.category == category)
        stmt = stmt.where(papers.c.pk.in_(in_cat))
    stmt = stmt.order_by(listing_day.desc().nulls_last(), papers.c.id).limit(limit).offset(offset)
    with store.engine.connect() as conn:
        return [_public(r) for r in conn.execute(stmt)]


def count_papers(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(papers)) or 0)


def stats(store: Store) -> dict[str, Any]:
    """Counts for `paperwire stats`: papers, days, categories, sources."""
    with store.engine.connect() as conn:
        total = conn.scalar(select(func.count()).select_from(papers)) or 0
        with_arxiv = conn.scalar(select(func.count(papers.c.arxiv_id))) or 0
        days = conn.scalar(select(func.count(func.distinct(papers.c.announced)))) or 0
        first, last = conn.execute(
            select(func.min(papers.c.announced), func.max(papers.c.announced))
        ).one()
        top = conn.execute(
            select(paper_categories.c.category, func.count().label("n"))
            .where(paper_categories.c.position == 0)
            .group_by(paper_categories.c.category)
            .order_by(func.count().desc(), paper_categories.c.category)
            .limit(10)
        ).all()
        source_lists = conn.scalars(select(papers.c.sources))
        sources: dict[str, int] = {}
        for names in source_lists:
            for name in names:
                sources[name] = sources.get(name, 0) + 1
    return {
        "papers": total,
        "with_arxiv_id": with_arxiv,
        "days": days,
        "first_day": first.isoformat() if first else None,
        "last_day": last.isoformat() if last else None,
        "top_primary_categories": {c: n for c, n in top},
        "sources": dict(sorted(sources.items())),
        "database": store.url,
    }
