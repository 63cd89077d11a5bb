"""The store's index sync state: a change counter in commit order, and what each backend has
applied (store/changes.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select

from paperwire.records import Version
from paperwire.store import Store, open_store
from paperwire.store.changes import (
    count_changed,
    get_applied,
    iter_changed,
    latest_change,
    set_applied,
)
from paperwire.store.db import _alembic_config, migrate
from paperwire.store.papers import Outcome, upsert_records
from paperwire.store.schema import papers
from tests.support.paperfactory import arxiv_record

DAY = date(2026, 7, 1)


def seqs(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return dict(conn.execute(select(papers.c.arxiv_id, papers.c.change_seq)).all())


def test_each_batch_that_writes_takes_the_next_change(store: Store) -> None:
    assert latest_change(store) == 0
    upsert_records(store, [arxiv_record(1, DAY), arxiv_record(2, DAY)])
    assert latest_change(store) == 1
    revised = arxiv_record(
        2, DAY, title="Paper two, revised", versions=[Version(1, DAY), Version(2, DAY)]
    )
    outcomes = upsert_records(store, [revised, arxiv_record(3, DAY)])
    assert outcomes == [Outcome.UPDATED, Outcome.NEW]
    upsert_records(store, [arxiv_record(1, DAY)])  # unchanged: no change number spent
    assert latest_change(store) == 2
    assert seqs(store) == {"2607.00001": 1, "2607.00002": 2, "2607.00003": 2}
    assert count_changed(store, 0) == 3 and count_changed(store, 1) == 2
    assert count_changed(store, 2) == 0 and count_changed(store, 0, upto=1) == 1
    rows = [r for batch in iter_changed(store, [papers.c.pk, papers.c.title], after=1, upto=2,
                                        batch=1) for r in batch]  # fmt: skip
    assert [r["title"] for r in rows] == ["Paper two, revised", "Paper 3"]


def test_change_numbers_follow_commit_order_under_concurrent_writers(store: Store) -> None:
    """What a reader sees at `latest_change() == N` is final for N: no batch numbered N or
    lower commits afterwards (a plain sequence, taken before commit, breaks this)."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for n in range(offset, offset + 400, 4):
                upsert_records(store, [arxiv_record(n, DAY), arxiv_record(n + 1, DAY)])
        except BaseException as exc:  # reported below
            errors.append(exc)

    seen: list[tuple[int, int]] = []

    def reader() -> None:
        while not stop.is_set():
            upto = latest_change(store)
            seen.append((upto, count_changed(store, 0, upto=upto)))

    threads = [threading.Thread(target=writer, args=(o,)) for o in (1, 3)]
    watch = threading.Thread(target=reader)
    watch.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    stop.set()
    watch.join(30)
    assert not errors
    assert latest_change(store) == 200 and len(seqs(store)) == 400
    assert len(seen) > 10
    for upto, count in seen:  # as many papers at or below N then as in the end
        assert count_changed(store, 0, upto=upto) == count == 2 * upto


def test_what_each_backend_applied(store: Store) -> None:
    assert get_applied(store, "embedded") is None
    set_applied(store, "embedded", instance="a", seq=3, papers_indexed=10, papers_embedded=4)
    set_applied(store, "milvus://m:19530/paperwire", instance="b", seq=1, papers_indexed=2,
                papers_embedded=0)  # fmt: skip
    set_applied(store, "embedded", instance="a", seq=5, papers_indexed=12, papers_embedded=12)
    row = get_applied(store, "embedded")
    assert row is not None
    assert (row.instance, row.seq, row.papers_indexed, row.papers_embedded) == ("a", 5, 12, 12)
    other = get_applied(store, "milvus://m:19530/paperwire")
    assert other is not None and other.seq == 1


def test_the_migration_numbers_the_papers_already_stored(tmp_path: Path) -> None:
    store = open_store(url=f"sqlite:///{tmp_path / 'old.db'}")
    upsert_records(store, [arxiv_record(n, DAY) for n in (1, 2, 3)])
    cfg = _alembic_config()
    with store.engine.begin() as conn:  # back to the schema before the change counter
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005_i13b")
    assert migrate(store.engine)  # and up again: each paper is one change, in pk order
    assert sorted(seqs(store).values()) == [1, 2, 3] and latest_change(store) == 3
    upsert_records(store, [arxiv_record(4, DAY)])
    assert seqs(store)["2607.00004"] == 4
    store.close()


@pytest.mark.parametrize("n", [0])
def test_no_change_is_spent_on_an_empty_batch(store: Store, n: int) -> None:
    upsert_records(store, [])
    assert latest_change(store) == n
