"""A real SQLite store and search index with two listing days of papers (one with a hostile
HTML title), subscribers, and settings pointing at the `mailbox` SMTP server."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from paperwire.index.manager import open_index, update_index
from paperwire.settings import Settings
from paperwire.store import Store, open_store
from paperwire.store.papers import upsert_records
from paperwire.store.subscriptions import add_subscription
from paperwire.store.users import User, create_user
from tests.support.digestdata import SECRET, Subscriber, records


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data home with the papers stored and indexed, built once and copied per test."""
    home = tmp_path_factory.mktemp("digest-corpus")
    settings = Settings(home=home, secret_key=SECRET)
    with open_store(settings) as store:
        upsert_records(store, records())
        update_index(store, open_index(settings))
    return home


@pytest.fixture
def settings(corpus: Path, tmp_path: Path, mail_server: object) -> Settings:
    home = tmp_path / "home"
    shutil.copytree(corpus, home)
    return Settings(
        home=home,
        secret_key=SECRET,
        smtp_host="127.0.0.1",
        smtp_port=mail_server.port,  # type: ignore[attr-defined]
        smtp_timeout=10,
        base_url="https://papers.example.org",
        mail_from="paperwire <digest@papers.example.org>",
        digest_size=5,
    )


@pytest.fixture
def dstore(settings: Settings) -> Store:
    opened = open_store(settings)
    yield opened  # type: ignore[misc]
    opened.close()


@pytest.fixture
def subscriber(dstore: Store) -> Subscriber:
    """Make a user subscribed to `kinds` ("trending", "recs", or a saved query string)."""

    def make(email: str, *kinds: str) -> User:
        user, _ = create_user(dstore, email)
        for kind in kinds or ("trending",):
            if kind in ("trending", "recs"):
                add_subscription(dstore, user.id, kind)
            else:
                add_subscription(dstore, user.id, "search", kind)
        return user

    return make
