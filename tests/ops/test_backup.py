"""`paperwire backup` while writers are busy, then `paperwire restore`: the restored store is a
consistent snapshot (whole transactions only, every row as in the source), and a backup of the
quiet store restores to an identical one (every table compared). PostgreSQL through pg_dump."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from paperwire.index.manager import index_status, open_index
from paperwire.settings import Settings
from paperwire.store import Store, open_store
from paperwire.store.papers import find_paper, upsert_records
from paperwire.store.schema import metadata
from paperwire.store.subscriptions import add_subscription
from paperwire.store.users import create_user
from paperwire.store.votes import add_vote
from tests.support.clirun import run_main
from tests.support.paperfactory import arxiv_record

BATCH = 25
DAY = date(2026, 7, 6)


# Index sync state: what the restore's own index build records, not the source's rows.
OWN_STATE = {"index_applied"}


def tables(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, all columns, sorted (the index sync state aside)."""
    found = {}
    with store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name in OWN_STATE:
                continue
            rows = conn.execute(select(table)).all()
            found[table.name] = sorted(tuple(map(str, r)) for r in rows)
    return found


class Writers:
    """Threads writing whole batches of papers (and votes on them) until stopped."""

    def __init__(self, store: Store, count: int = 2) -> None:
        self.store = store
        self.stop = threading.Event()
        self.batches = [0] * count
        self.threads = [threading.Thread(target=self._write, args=(w,)) for w in range(count)]
        self.user, _ = create_user(store, "load@example.org")
        add_subscription(store, self.user.id, "trending")

    def _write(self, w: int) -> None:
        n = 0
        while not self.stop.is_set() and n < 200:
            base = 10_000 * (w + 1) + BATCH * n
            upsert_records(self.store, [arxiv_record(base + i, DAY) for i in range(BATCH)])
            add_vote(self.store, self.user.id, find_paper(self.store, f"2607.{base:05d}")[0])
            n += 1
            self.batches[w] = n

    def __enter__(self) -> Writers:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(60)


def home_args(home: Path) -> list[str]:
    return ["--home", str(home)]


def test_backup_under_load_restores_a_consistent_and_then_identical_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "live"
    settings = Settings(home=home)
    store = open_store(settings)
    upsert_records(store, [arxiv_record(i, DAY) for i in range(1, 51)])
    with Writers(store) as load:
        while sum(load.batches) < 4:  # the load is under way
            threading.Event().wait(0.01)
        code, out, err = run_main(
            capsys, *home_args(home), "backup", str(tmp_path / "b1"), "--json"
        )
        during = list(load.batches)
    assert code == 0, err
    assert sum(load.batches) > sum(during) or sum(load.batches) >= 2 * 200  # writers went on
    manifest = json.loads(out)
    assert manifest["database"] == "sqlite" and manifest["rows"]["papers"] >= 50

    code, out, err = run_main(capsys, *home_args(tmp_path / "r1"), "restore", str(tmp_path / "b1"))
    assert code == 0, err
    restored = open_store(Settings(home=tmp_path / "r1"))
    got, source = tables(restored), tables(store)
    for name, rows in got.items():  # a snapshot: every row as it is in the source
        if name == "change_seq":  # a counter: the snapshot has the value of its instant
            assert int(rows[0][1]) <= int(source[name][0][1])
            continue
        assert set(rows) <= set(source[name]), name
    papers = got["papers"]
    assert (len(papers) - 50) % BATCH == 0  # whole transactions only
    # Each writer votes in its own transaction after its batch: the snapshot may fall between
    # the two, so at most one batch per writer is still without its vote.
    batches = (len(papers) - 50) // BATCH
    assert batches - len(load.threads) <= len(got["votes"]) <= batches
    assert len(papers) == manifest["rows"]["papers"]
    status = index_status(restored, open_index(Settings(home=tmp_path / "r1")))
    assert status["papers_indexed"] == len(papers) and status["up_to_date"]
    restored.close()

    # The load is over: a backup of the quiet store restores to an identical one.
    code, _out, err = run_main(capsys, *home_args(home), "backup", str(tmp_path / "b2"))
    assert code == 0, err
    code, _out, err = run_main(capsys, *home_args(tmp_path / "r2"), "restore", str(tmp_path / "b2"))
    assert code == 0, err
    again = open_store(Settings(home=tmp_path / "r2"))
    assert tables(again) == tables(store)
    assert (tmp_path / "r2" / "secret_key").read_text() == (home / "secret_key").read_text()
    again.close()
    store.close()


def test_restore_refuses_to_overwrite_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "live"
    with open_store(Settings(home=home)) as store:
        upsert_records(store, [arxiv_record(i, DAY) for i in range(1, 4)])
    assert run_main(capsys, *home_args(home), "backup", str(tmp_path / "b"))[0] == 0
    code, _out, err = run_main(capsys, *home_args(home), "backup", str(tmp_path / "b"))
    assert code == 2 and "not an empty folder" in err
    code, _out, err = run_main(capsys, *home_args(home), "restore", str(tmp_path / "b"))
    assert code == 2 and "already holds 3 papers" in err and "--force" in err
    assert run_main(capsys, *home_args(home), "restore", str(tmp_path / "b"), "--force")[0] == 0
    code, _out, err = run_main(capsys, *home_args(home), "restore", str(tmp_path))
    assert code == 2 and "not a paperwire backup" in err
    env = (tmp_path / "b" / "settings.env").read_text()
    assert "PAPERWIRE_HOME=" in env and "SECRET" not in env


@pytest.mark.postgres
def test_postgres_backup_and_restore_with_pg_dump(
    pg_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    source_url = pg_server.url(pg_server.create_database())
    target_url = pg_server.url(pg_server.create_database())
    with open_store(url=source_url) as store:
        upsert_records(store, [arxiv_record(i, DAY) for i in range(1, 31)])
        user, _ = create_user(store, "pg@example.org")
        add_vote(store, user.id, find_paper(store, "2607.00003")[0])
        expected = tables(store)
    home = tmp_path / "pg"
    code, out, err = run_main(
        capsys, "--home", str(home), "--db", source_url, "backup", str(tmp_path / "b"), "--json"
    )
    assert code == 0, err
    assert json.loads(out)["file"] == "paperwire.pgdump"
    code, _out, err = run_main(
        capsys, "--home", str(tmp_path / "pg2"), "--db", target_url, "restore", str(tmp_path / "b")
    )
    assert code == 0, err
    with open_store(url=target_url) as store:
        assert tables(store) == expected
