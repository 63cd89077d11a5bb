"""Helpers for the community tests: their papers, a store and index built from them, and
acting as a user (the session cookie made as the site makes it, a CSRF token for the
visitor's cookie)."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from paperwire.index.manager import open_index, update_index
from paperwire.records import PaperRecord
from paperwire.settings import Settings
from paperwire.store import Store, open_store
from paperwire.store.papers import upsert_records
from paperwire.store.users import User, create_user
from paperwire.web import auth
from tests.support.paperfactory import arxiv_record, old_slash_id_paper

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("PAPERWIRE_SHARED", REPO.parent / "shared"))
FIXTURES = SHARED / "data" / "fixtures"
LATEST = date(2026, 7, 1)
SPECIAL_TITLE = r"Costs {fast} at 100% & more_than $5 with $\alpha$-entmax"
HOSTILE = '<script>alert("x")</script>'


def arxiv(n: int, day: date, **kw: object) -> PaperRecord:
    fields: dict[str, object] = {
        "title": f"Community paper {n} on graph attention",
        "abstract": f"Abstract {n}: graphs and attention.",
        "authors": [f"Author{n} Smith", "Ada Lovelace"],
    }
    return arxiv_record(n, day, **{**fields, **kw})


def records() -> list[PaperRecord]:
    out = [arxiv(i, LATEST) for i in range(1, 6)]
    out += [arxiv(10 + i, LATEST - timedelta(days=1)) for i in range(3)]
    out.append(arxiv(20, LATEST - timedelta(days=3), title=SPECIAL_TITLE, doi="10.1000/x_y"))
    out.append(
        arxiv(
            21,
            LATEST - timedelta(days=3),
            title=f"Hostile {HOSTILE} title",
            journal_ref="J. Tests 1 (2026) 1",
            authors=["Zoë Ørsted", "Tom and Jerry"],
        )
    )
    out.append(old_slash_id_paper("Strings and branes."))
    return out


def make_settings(home: Path) -> Settings:
    settings = Settings(home=home)
    with open_store(settings) as store:
        upsert_records(store, records())
        update_index(store, open_index(settings))
    return settings


@dataclass
class Visitor:
    user: User | None
    csrf: str


def act_as(client: TestClient, settings: Settings, email: str | None) -> Visitor:
    """Make the client this user (None: anonymous, with a CSRF cookie and its token)."""
    client.cookies.clear()
    nonce = secrets.token_urlsafe(24)
    client.cookies.set(auth.CSRF_COOKIE, nonce)
    user = None
    if email is not None:
        store: Store = client.app.state.site.store  # type: ignore[attr-defined]
        user, _ = create_user(store, email)
        token = auth.serializer(settings, "session").dumps(
            {"u": user.id, "v": user.session_version}
        )
        client.cookies.set(auth.SESSION_COOKIE, token)
    return Visitor(user, auth.serializer(settings, "csrf").dumps(nonce))


def form_token(html: str) -> str:
    """The csrf_token hidden field of the first form on a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no form with a CSRF token on the page"
    return found.group(1)
