"""The backend boundary: `settings.index` read with a clear error, `open_backend`, the sync state
an index keeps in the store, and the index follower (pipeline/follower.py)."""

from __future__ import annotations

import importlib.util
import shutil
from datetime import date
from pathlib import Path

import pytest

from paperwire.errors import ConfigError
from paperwire.index.encoders import HashEncoder
from paperwire.index.location import IndexLocation, parse_index
from paperwire.index.manager import (
    MILVUS_MISSING,
    embed_index,
    index_folder,
    index_status,
    open_backend,
    open_index,
    sync_status,
    update_index,
)
from paperwire.pipeline.follower import IndexFollower
from paperwire.settings import Settings
from paperwire.store import Store, open_store
from paperwire.store.papers import upsert_records
from tests.support.clirun import run_main
from tests.support.paperfactory import arxiv_record

DAY = date(2026, 7, 1)


@pytest.mark.parametrize(
    ("value", "wanted"),
    [
        (None, IndexLocation("embedded")),
        (" Embedded ", IndexLocation("embedded")),
        ("milvus://127.0.0.1:19531/papers_v2",
         IndexLocation("milvus", "127.0.0.1", 19531, "papers_v2")),
        ("milvus://milvus", IndexLocation("milvus", "milvus", 19530, "paperwire")),
        ("milvus://db.example.org:1/", IndexLocation("milvus", "db.example.org", 1, "paperwire")),
    ],
)  # fmt: skip
def test_index_setting(value: str | None, wanted: IndexLocation) -> None:
    assert parse_index(value) == wanted


def test_index_location_names_the_backend_alike_on_every_host() -> None:
    assert parse_index("milvus://m").name == "milvus://m:19530/paperwire"
    assert parse_index("embedded").name == "embedded"


@pytest.mark.parametrize(
    "value", ["milvus", "http://m:19530", "milvus://m:0", "milvus://m:99999", "milvus://m/a-b", "x"]
)
def test_a_bad_index_setting_says_what_is_allowed(value: str) -> None:
    with pytest.raises(ConfigError, match=r"embedded`, or `milvus://HOST:PORT|port"):
        parse_index(value)


@pytest.mark.skipif(
    importlib.util.find_spec("paperwire.index.milvus") is not None,
    reason="the Milvus backend is installed here",
)
def test_a_milvus_index_without_the_backend_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        open_backend(Settings(home=tmp_path, index="milvus://127.0.0.1:19530"))
    assert str(caught.value) == MILVUS_MISSING


def test_the_cli_refuses_a_bad_backend_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(
        capsys, "--home", str(tmp_path), "index", "status", "--backend", "mivlus://x"
    )
    assert code == 2 and out == ""
    assert "index 'mivlus://x' is not valid: use `embedded`" in err and "Traceback" not in err


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", index_poll_interval=0.5)


@pytest.fixture
def store(settings: Settings) -> Store:
    opened = open_store(settings)
    upsert_records(opened, [arxiv_record(n, DAY) for n in range(1, 6)])
    return opened


def test_any_host_tells_the_lag_from_the_store(settings: Settings, store: Store) -> None:
    index = open_backend(settings)
    assert sync_status(store, "embedded")["lags_store_by"] == 5
    update_index(store, index)
    upsert_records(store, [arxiv_record(6, DAY)])
    # Another host, no index opened: the store says what the index has and lacks.
    seen = sync_status(store, "embedded")
    assert (seen["lags_store_by"], seen["recorded_papers_indexed"]) == (1, 5)
    assert seen["store_seq"] == seen["applied_seq"] + 1
    assert index_status(store, index)["lags_store_by"] == 1


def test_a_wiped_index_is_filled_anew_not_trusted(settings: Settings, store: Store) -> None:
    update_index(store, open_backend(settings))
    shutil.rmtree(index_folder(settings))
    fresh = open_backend(settings)  # a new instance: the store's record was of the old one
    assert index_status(store, fresh)["lags_store_by"] == 5
    assert update_index(store, fresh)["papers_read"] == 5 and len(fresh) == 5


def test_the_follower_applies_new_papers_and_keeps_another_writers_work(
    settings: Settings, store: Store
) -> None:
    follower = IndexFollower(settings, store=store)
    assert follower.run_once() is not None
    assert follower.run_once() is None  # nothing new: nothing read, nothing saved
    # Another writer (a CLI `index embed`) saves vectors into the same index meanwhile.
    other = open_index(settings, encoder=HashEncoder())
    assert embed_index(store, other)["embedded"] == 5
    upsert_records(store, [arxiv_record(6, DAY)])
    assert follower.run_once() is not None  # reopened first: its save keeps those vectors
    after = open_index(settings, encoder=HashEncoder())
    assert (len(after), after.status().papers_embedded) == (6, 5)
    assert index_status(store, after)["up_to_date"]
