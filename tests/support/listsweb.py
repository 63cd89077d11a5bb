"""The recommendation and list tests' web setup: a data home holding recsdata's papers (five
topics, HashEncoder vectors) in a real SQLite store with a saved index, the real app over it
(FastAPI TestClient, lifespan included), a sign-in by session cookie and form tokens; and the
list tests' corpus, where each topic has its own category, one paper has HF upvotes and one
links to code. The fixtures over these are in tests/recs/conftest.py."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from paperwire.index.manager import index_folder
from paperwire.records import PaperRecord
from paperwire.settings import Settings
from paperwire.store import Store, open_store
from paperwire.store.papers import upsert_records
from paperwire.store.users import create_user
from paperwire.web import auth, create_app
from tests.support.recsdata import LATEST, build_index, records, topic_of

DAY = f"/day/{LATEST.isoformat()}"
CATEGORY = {
    "protein": "q-bio.BM",
    "galaxy": "astro-ph.GA",
    "language": "cs.CL",
    "robot": "cs.RO",
    "quantum": "quant-ph",
}
BOOSTED = 41  # a galaxy paper (41..80) of the latest day, given HF upvotes
CODE = 51  # a galaxy paper of the latest day with a code link


def lists_corpus() -> list[PaperRecord]:
    """recsdata's papers, each topic in its own category, plus BOOSTED's HF record and CODE's
    code link."""
    out = []
    for n, rec in enumerate(records(), start=1):
        rec.categories = [CATEGORY[topic_of(n)]]
        if n == CODE:
            rec.links = ["https://github.com/example/galaxy-code"]
        out.append(rec)
    boosted = out[BOOSTED - 1]
    hf = PaperRecord(
        title=boosted.title,
        arxiv_id=boosted.arxiv_id,
        source="hf-daily",
        upvotes=50,
        submitter="Ada <b>Lovelace</b>",
    )
    return [*out, hf]


def make_home(home: Path, papers: Sequence[PaperRecord] | None = None) -> Settings:
    """Settings of a data home holding `papers` (default: recsdata's) and their saved index."""
    settings = Settings(home=home)
    with open_store(settings) as store:
        upsert_records(store, list(papers) if papers is not None else records())
        build_index(store, index_folder(settings)).save()
    return settings


@contextmanager
def app_client_of(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def sign_in(client: TestClient, settings: Settings, store: Store, email: str) -> int:
    """A new user, signed in on `client` by its session cookie; returns the user's id."""
    user = create_user(store, email)[0]
    token = auth.serializer(settings, "session").dumps({"u": user.id, "v": user.session_version})
    client.cookies.set(auth.SESSION_COOKIE, token)
    return user.id


def csrf(client: TestClient, url: str) -> str:
    """The form token of the page at `url` (GETting it also sets the pw_csrf cookie)."""
    page = client.get(url)
    assert page.status_code == 200, page.text[:300]
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found[1]


def ids_on(html: str) -> list[str]:
    return re.findall(r'<span class="id">([^<]+)</span>', html)


def numbers(html: str) -> list[int]:
    """The paper numbers (2607.0000n -> n) of a list page, in its order."""
    return [int(i.split(".")[1]) for i in ids_on(html)]
