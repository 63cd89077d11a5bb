"""One store and index per module (users differ per test, so tests do not disturb each other)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from paperwire.index.embedded import EmbeddedIndex
from paperwire.store import Store, open_store
from paperwire.store.papers import upsert_records
from tests.support.recsdata import build_index, records


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, EmbeddedIndex]]:
    """(store, index) over recsdata's papers, on SQLite, every paper embedded."""
    home: Path = tmp_path_factory.mktemp("recs")
    store = open_store(url=f"sqlite:///{home / 'paperwire.db'}")
    upsert_records(store, records())
    yield store, build_index(store)
    store.close()
