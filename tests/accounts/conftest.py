"""Accounts tests: a small real site (SQLite store with three papers) whose mail goes to the
real SMTP server of the `mailbox` fixture, driven through FastAPI's TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from paperwire.records import PaperRecord
from paperwire.settings import Settings
from paperwire.store import Store, open_store
from paperwire.store.papers import upsert_records
from paperwire.web import create_app
from tests.support.accountkit import ClientFactory
from tests.support.mailserver import MailServer
from tests.support.paperfactory import arxiv_record

DAY = date(2026, 7, 1)


def records() -> list[PaperRecord]:
    return [
        arxiv_record(
            n,
            DAY,
            title=f"Paper {n} on account-free reading",
            authors=["Ada Lovelace"],
            categories=["cs.CL"],
        )
        for n in range(1, 4)
    ]


@pytest.fixture
def settings(tmp_path: Path, mail_server: MailServer) -> Settings:
    settings = Settings(
        home=tmp_path / "home",
        smtp_host="127.0.0.1",
        smtp_port=mail_server.port,
        smtp_timeout=5.0,
        base_url="http://testserver",
    )
    with open_store(settings) as store:
        upsert_records(store, records())
    return settings


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def make_client(app: FastAPI) -> Iterator[ClientFactory]:
    """Another visitor of the same site: `make_client(address="10.0.0.2")` (own cookies)."""
    with ExitStack() as stack:

        def make(address: str = "testclient") -> TestClient:
            client = TestClient(
                app, raise_server_exceptions=False, follow_redirects=False, client=(address, 50000)
            )
            cm: AbstractContextManager[TestClient] = client
            return stack.enter_context(cm)

        yield make


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    """A visitor; redirects are not followed, so tests see each 303."""
    return make_client()


@pytest.fixture
def site_store(settings: Settings) -> Iterator[Store]:
    """The site's store, opened beside the app (the accounts tests check rows directly)."""
    opened = open_store(settings)
    yield opened
    opened.close()
