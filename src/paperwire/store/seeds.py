"""Finding the papers a new user names at onboarding (pasted arXiv ids, a BibTeX file's ids
and titles): one query per kind, however many they name."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select

from paperwire.errors import BadRequest
from paperwire.store.collections import MAX_BOOKMARKS, collection_named
from paperwire.store.db import Store
from paperwire.store.merge import title_key
from paperwire.store.schema import bookmarks, papers

CHUNK = 500


def pks_by_arxiv_id(store: Store, arxiv_ids: Sequence[str]) -> dict[str, int]:
    """arXiv id (without version) -> pk, for those stored."""
    found: dict[str, int] = {}
    wanted = list(dict.fromkeys(arxiv_ids))
    with store.engine.connect() as conn:
        for i in range(0, len(wanted), CHUNK):
            stmt = select(papers.c.arxiv_id, papers.c.pk).where(
                papers.c.arxiv_id.in_(wanted[i : i + CHUNK])
            )
            found.update({str(a): int(pk) for a, pk in conn.execute(stmt)})
    return found


def pks_by_title(store: Store, titles: Sequence[str]) -> dict[str, int]:
    """title -> pk for titles that name exactly one stored paper (by the normalised title the
    store matches records with: case, accents and punctuation aside)."""
    keys = {t: title_key(t) for t in titles}
    wanted = list(dict.fromkeys(keys.values()))
    by_key: dict[str, list[int]] = {}
    with store.engine.connect() as conn:
        for i in range(0, len(wanted), CHUNK):
            stmt = select(papers.c.title_key, papers.c.pk).where(
                papers.c.title_key.in_(wanted[i : i + CHUNK])
            )
            for key, pk in conn.execute(stmt):
                by_key.setdefault(str(key), []).append(int(pk))
    return {t: by_key[k][0] for t, k in keys.items() if len(by_key.get(k, [])) == 1}


SEED_COLLECTION = "Seed papers"  # onboarding's picks: bookmarks, so they count as likes


def seed_bookmarks(
    store: Store, user_id: int, pks: Sequence[int], name: str = SEED_COLLECTION
) -> int:
    """Bookmark `pks` in the user's collection `name` (made if new) in one transaction;
    returns how many were not there yet. Bookmarks are likes for recommendations
    (store/feedback.py), and the user can see and remove them like any others."""
    found = collection_named(store, user_id, name)
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        have = {
            int(pk)
            for (pk,) in conn.execute(
                select(bookmarks.c.paper_pk).where(bookmarks.c.collection_id == found.id)
            )
        }
        new = [pk for pk in dict.fromkeys(pks) if pk not in have]
        if len(have) + len(new) > MAX_BOOKMARKS:
            raise BadRequest(f"a collection holds at most {MAX_BOOKMARKS:,} papers")
        if new:
            conn.execute(
                bookmarks.insert(),
                [{"collection_id": found.id, "paper_pk": pk, "created": now} for pk in new],
            )
    return len(new)
