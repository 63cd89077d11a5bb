"""Bookmarks in named collections ("Reading list" by default). A collection belongs to one
account: every function takes the owner's id and treats another user's collection as absent."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from paperwire.errors import BadRequest, NotFound
from paperwire.store.db import Store
from paperwire.store.papers import PUBLIC
from paperwire.store.schema import bookmarks, collections, papers
from paperwire.store.votes import utc

DEFAULT_NAME = "Reading list"
MAX_NAME = 100
MAX_COLLECTIONS = 200  # per account
MAX_BOOKMARKS = 10_000  # per collection


@dataclass(frozen=True)
class Collection:
    id: int
    user_id: int
    name: str
    created: datetime
    papers: int = 0


def clean_name(name: str | None) -> str:
    """A collection name as stored: stripped, 1 to 100 characters, no control characters."""
    name = (name or "").strip()
    if not name:
        raise BadRequest("a collection needs a name")
    if len(name) > MAX_NAME:
        raise BadRequest(f"a collection name is at most {MAX_NAME} characters")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in name):
        raise BadRequest("a collection name cannot hold control or invisible characters")
    return name


def _collection(row: Any, count: int = 0) -> Collection:
    m = row._mapping
    return Collection(m["id"], m["user_id"], m["name"], m["created"], count)


def _count(conn: Any, collection_id: int) -> int:
    stmt = (
        select(func.count())
        .select_from(bookmarks)
        .where(bookmarks.c.collection_id == collection_id)
    )
    return int(conn.scalar(stmt) or 0)


def get_collection(store: Store, user_id: int, collection_id: int) -> Collection:
    """One of this user's collections, with its count; NotFound for anyone else's."""
    with store.engine.connect() as conn:
        row = conn.execute(
            select(collections).where(
                collections.c.id == collection_id, collections.c.user_id == user_id
            )
        ).first()
        if row is None:
            raise NotFound(f"you have no collection {collection_id}")
        return _collection(row, _count(conn, collection_id))


def list_collections(store: Store, user_id: int) -> list[Collection]:
    """This user's collections with their paper counts, by name."""
    n = func.count(bookmarks.c.paper_pk)
    stmt = (
        select(collections, n)
        .select_from(
            collections.outerjoin(bookmarks, bookmarks.c.collection_id == collections.c.id)
        )
        .where(collections.c.user_id == user_id)
        .group_by(*collections.c)
        .order_by(collections.c.name, collections.c.id)
    )
    with store.engine.connect() as conn:
        return [_collection(r, int(r[-1])) for r in conn.execute(stmt)]


def collection_named(store: Store, user_id: int, name: str, *, create: bool = True) -> Collection:
    """The user's collection of this name, made when missing (unless `create` is False)."""
    name = clean_name(name)
    for _ in range(2):  # two requests creating it at once: the loser reads the winner's row
        with store.engine.connect() as conn:
            row = conn.execute(
                select(collections).where(
                    collections.c.user_id == user_id, collections.c.name == name
                )
            ).first()
            if row is not None:
                return _collection(row, _count(conn, row._mapping["id"]))
        if not create:
            raise NotFound(f"you have no collection named {name!r}")
        try:
            with store.engine.begin() as conn:
                owned = conn.scalar(
                    select(func.count())
                    .select_from(collections)
                    .where(collections.c.user_id == user_id)
                )
                if (owned or 0) >= MAX_COLLECTIONS:
                    raise BadRequest(f"at most {MAX_COLLECTIONS} collections per account")
                conn.execute(
                    collections.insert().values(user_id=user_id, name=name, created=utc(None))
                )
        except IntegrityError:
            continue
    return collection_named(store, user_id, name, create=False)


def add_bookmark(
    store: Store, user_id: int, paper_pk: int, name: str = DEFAULT_NAME
) -> tuple[Collection, bool]:
    """Save the paper in the named collection (made if new); (collection, newly added)."""
    found = collection_named(store, user_id, name)
    if found.papers >= MAX_BOOKMARKS:
        raise BadRequest(f"a collection holds at most {MAX_BOOKMARKS:,} papers")
    try:
        with store.engine.begin() as conn:
            conn.execute(
                bookmarks.insert().values(
                    collection_id=found.id, paper_pk=paper_pk, created=utc(None)
                )
            )
    except IntegrityError:
        return found, False
    return get_collection(store, user_id, found.id), True


def remove_bookmark(store: Store, user_id: int, collection_id: int, paper_pk: int) -> bool:
    get_collection(store, user_id, collection_id)  # NotFound unless the user owns it
    with store.engine.begin() as conn:
        result = conn.execute(
            delete(bookmarks).where(
                bookmarks.c.collection_id == collection_id, bookmarks.c.paper_pk == paper_pk
            )
        )
    return result.rowcount == 1


def rename_collection(store: Store, user_id: int, collection_id: int, name: str) -> Collection:
    name = clean_name(name)
    get_collection(store, user_id, collection_id)
    try:
        with store.engine.begin() as conn:
            conn.execute(
                update(collections)
                .where(collections.c.id == collection_id, collections.c.user_id == user_id)
                .values(name=name)
            )
    except IntegrityError:
        raise BadRequest(f"you already have a collection named {name!r}") from None
    return get_collection(store, user_id, collection_id)


def delete_collection(store: Store, user_id: int, collection_id: int) -> bool:
    """Delete the collection and its bookmarks (not the papers)."""
    with store.engine.begin() as conn:
        result = conn.execute(
            delete(collections).where(
                collections.c.id == collection_id, collections.c.user_id == user_id
            )
        )
    return result.rowcount == 1


def collection_papers(store: Store, user_id: int, collection_id: int) -> list[dict[str, Any]]:
    """The collection's papers (public columns), most recently saved first."""
    get_collection(store, user_id, collection_id)
    stmt = (
        select(*PUBLIC)
        .select_from(bookmarks.join(papers, papers.c.pk == bookmarks.c.paper_pk))
        .where(bookmarks.c.collection_id == collection_id)
        .order_by(bookmarks.c.created.desc(), papers.c.id)
    )
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def collections_with(store: Store, user_id: int, paper_pk: int) -> list[Collection]:
    """This user's collections that hold the paper, by name."""
    stmt = (
        select(collections)
        .select_from(collections.join(bookmarks, bookmarks.c.collection_id == collections.c.id))
        .where(collections.c.user_id == user_id, bookmarks.c.paper_pk == paper_pk)
        .order_by(collections.c.name)
    )
    with store.engine.connect() as conn:
        return [_collection(r) for r in conn.execute(stmt)]
