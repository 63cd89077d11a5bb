"""Author pages and following authors.

    GET  /author/KEY           the papers under a normalised name (see paperwire.community.
                               authors), newest first, with its ambiguity stated   ?page=
    POST /author/KEY/follow    action=follow|unfollow: a digest section with the author's new
                               papers (signed in, CSRF, FOLLOW_LIMIT per account)

A KEY that is not in normal form (/author/LeCun,%20Yann) answers 301 to the normal one. The
papers come from the search index (the `author:KEY` filter): a paper shows here once indexed,
as in search.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from paperwire.community.authors import (
    ambiguity_note,
    author_key,
    author_query,
    related_names,
    spellings,
)
from paperwire.errors import BadRequest, NotFound
from paperwire.search.service import search
from paperwire.store.subscriptions import (
    add_subscription,
    list_subscriptions,
    remove_subscription,
)
from paperwire.web import auth, data
from paperwire.web.pages import Page, SiteDep, render
from paperwire.web.site import Site
from paperwire.web.urls import signin_url

router = APIRouter(include_in_schema=False)
FOLLOW_LIMIT = (30, 600)  # follows and unfollows per account: events, seconds
RELATED_SCAN = 100  # papers with the same surname read to find related names
MAX_KEY = 300


def author_path(key: str) -> str:
    return f"/author/{key}"


def canonical_key(raw: str) -> str:
    """The normal form of a key or name typed in a URL; NotFound when it has no letters."""
    if len(raw) > MAX_KEY:
        raise BadRequest(f"an author name is at most {MAX_KEY} characters")
    key = author_key(raw)
    if not key:
        raise NotFound(f"{raw[:80]!r} is not an author name: it has no letters")
    return key


def _following(request: Request, site: Site, key: str) -> int | None:
    """The id of the signed-in user's follow of `key`, if any."""
    user = auth.current_user(request)
    if user is None:
        return None
    for sub in list_subscriptions(site.store, user.id):
        if sub.kind == "author" and sub.query == key:
            return sub.id
    return None


def author_page(site: Site, *, key: str, page: int = 1) -> dict[str, Any]:
    """The papers under `key` (normal form), newest first, how they spell it, the names that
    may be the same person, and what the page cannot tell apart."""
    found = search(
        site.store,
        site.search_index(),
        author_query(key) + " sort:date",
        page=page,
        per_page=data.PER_PAGE,
        mode="bm25",
        columns=data.PAGE_COLUMNS,
    )
    papers = [data.paper_view(r) for r in found.hits]
    spelled = spellings(key, (p.get("authors") or [] for p in papers))
    surname = key.rsplit("-", 1)[-1]
    related: list[Any] = []
    if surname != key:
        same = search(
            site.store,
            site.search_index(),
            author_query(surname) + " sort:date",
            per_page=RELATED_SCAN,
            mode="bm25",
            columns=("id", "authors"),
        )
        related = related_names(key, (h.get("authors") or [] for h in same.hits))
    name = spelled[0].name if spelled else key.replace("-", " ").title()
    return {
        "key": key,
        "name": name,
        "title": name,
        "spellings": spelled,
        "related": related,
        "note": ambiguity_note(found.total, spelled),
        "papers": papers,
        "pagination": data.pagination(page, data.PER_PAGE, max(found.total, 1)),
        "total": found.total,
        "search": author_query(key),
    }


@router.get("/author/{raw}")
def author(request: Request, site: SiteDep, raw: str, page: Page = 1) -> Response:
    key = canonical_key(raw)
    if key != raw:
        return RedirectResponse(author_path(key), status_code=301)
    page_data = author_page(site, key=key, page=page)
    page_data["following"] = _following(request, site, key) is not None
    return render(request, "author.html", page_data)


@router.post("/author/{raw}/follow", dependencies=[auth.CSRF])
def follow(
    request: Request,
    site: SiteDep,
    raw: str,
    action: Annotated[str, Form(max_length=16)] = "follow",
) -> Response:
    """Follow (or stop following) an author: their new papers in the digest."""
    if action not in ("follow", "unfollow"):
        raise BadRequest(f"action {action[:20]!r} is not one of: follow, unfollow")
    key = canonical_key(raw)
    user = auth.current_user(request)
    if user is None:
        return RedirectResponse(signin_url(author_path(key)), status_code=303)
    auth.check_rate(request, "follow", limit=FOLLOW_LIMIT[0], window=FOLLOW_LIMIT[1])
    if action == "follow":
        add_subscription(site.store, user.id, "author", key)
    else:
        sub_id = _following(request, site, key)
        if sub_id is not None:
            remove_subscription(site.store, user.id, sub_id)
    return RedirectResponse(author_path(key), status_code=303)
