"""One store and index per module (users differ per test, so tests do not disturb each other);
for the web tests, a data home per module (`settings`: recsdata's papers unless a module
defines its own) and the app over it (tests/support/listsweb.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperwire.index.embedded import EmbeddedIndex
from paperwire.settings import Settings
from paperwire.store import Store, open_store
from paperwire.store.papers import upsert_records
from tests.support.listsweb import app_client_of, make_home
from tests.support.recsdata import build_index, records


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, EmbeddedIndex]]:
    """(store, index) over recsdata's papers, on SQLite, every paper embedded."""
    home: Path = tmp_path_factory.mktemp("recs")
    store = open_store(url=f"sqlite:///{home / 'paperwire.db'}")
    upsert_records(store, records())
    yield store, build_index(store)
    store.close()


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_home(tmp_path_factory.mktemp("recs-web"))


@pytest.fixture(scope="module")
def app_client(settings: Settings) -> Iterator[TestClient]:
    with app_client_of(settings) as test_client:
        yield test_client


@pytest.fixture
def client(app_client: TestClient) -> TestClient:
    app_client.cookies.clear()
    return app_client


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    with open_store(settings) as opened:
        yield opened
