"""Several processes opening one new database at once (`paperwire serve --workers N` starting)
all find it at the newest migration; none exits on the tables another one just made."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from paperwire.store import open_store
from paperwire.store.db import _alembic_config, _revision

PROCESSES = 4


def _open(url: str, barrier: multiprocessing.synchronize.Barrier) -> None:
    barrier.wait(timeout=60)  # all start migrating at the same moment
    open_store(url=url).close()


def _race(url: str) -> list[int | None]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    procs = [ctx.Process(target=_open, args=(url, barrier)) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    return [p.exitcode for p in procs]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'paperwire.db'}"
    return str(request.getfixturevalue("pg_url"))


def test_processes_migrating_one_new_database_at_once_all_start(new_database: str) -> None:
    assert _race(new_database) == [0] * PROCESSES
    store = open_store(url=new_database)
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert _revision(store.engine) == head
    store.close()
