"""Votes, bookmarks in collections (with BibTeX export) and paper submission.

    POST /vote                         paper=ID, action=vote|unvote|toggle, next=PATH
    POST /bookmark                     paper=ID, collection=NAME (default "Reading list")
    POST /bookmark/remove              paper=ID, collection_id=N
    GET  /collections                  your collections with counts (POST: create one)
    GET  /collections/N                a collection's papers          /collections/N.bib: BibTeX
    POST /collections/N/rename         name=NAME
    POST /collections/N/delete
    GET  /submit, POST /submit         an arXiv id or URL

Every POST takes the CSRF token and is rate-limited per account. Anonymous visitors are sent
to /signin?next=... (htmx requests get an HX-Redirect header instead). Without JavaScript a form
answers 303 to a same-site `next` path; with htmx (HX-Request) the vote answers the new button.
Another user's collection is a 404, never a 403: its existence is not told.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperwire.community.bibtex import to_bibtex
from paperwire.community.submit import submit as submit_paper
from paperwire.errors import BadRequest, NotFound, PaperwireError
from paperwire.store import collections as colls
from paperwire.store.papers import find_paper
from paperwire.store.users import User
from paperwire.store.votes import set_vote
from paperwire.web import auth
from paperwire.web.community_view import Vote, VoteForm
from paperwire.web.data import paper_view
from paperwire.web.models import RowId
from paperwire.web.pages import SiteDep, render
from paperwire.web.urls import here, paper_url, safe_next, signin_url

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

VOTE_LIMIT = (60, 60)  # per account: events, seconds
BOOKMARK_LIMIT = (120, 60)
SUBMIT_LIMIT = (10, 3600)
ACTIONS = {"vote": True, "unvote": False, "toggle": None}

PaperField = Annotated[str, Form(min_length=1, max_length=256)]
NextField = Annotated[str | None, Form(max_length=2000)]
NameField = Annotated[str, Form(max_length=400)]


def _to_signin(request: Request, next_path: str) -> Response:
    url = signin_url(next_path)
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _back(next_path: str | None, default: str) -> Response:
    return RedirectResponse(safe_next(next_path, default), status_code=303)


def _html(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, context, status_code=status
    )
    return response


# --- votes -----------------------------------------------------------------------------------


@router.post("/vote", dependencies=[auth.CSRF])
def vote(
    request: Request,
    site: SiteDep,
    paper: PaperField,
    action: Annotated[str, Form(max_length=16)] = "toggle",
    next: NextField = None,
) -> Response:
    """Upvote or take it back; answers the new button to htmx, else goes back."""
    if action not in ACTIONS:
        raise BadRequest(f"action {action[:20]!r} is not one of: {', '.join(ACTIONS)}")
    pk, paper_id = find_paper(site.store, paper)
    user = auth.current_user(request)
    if user is None:
        return _to_signin(request, paper_url(paper_id))
    auth.check_rate(request, "vote", limit=VOTE_LIMIT[0], window=VOTE_LIMIT[1])
    voted, count = set_vote(site.store, user.id, pk, ACTIONS[action])
    back = safe_next(next, paper_url(paper_id))
    if request.headers.get("HX-Request"):
        form = VoteForm(signed_in=True, csrf=auth.csrf_token(request), next=back)
        p = {"id": paper_id, "vote": Vote(count, voted, form)}
        return _html(request, "_vote_fragment.html", {"p": p})
    return RedirectResponse(back, status_code=303)


# --- bookmarks and collections ---------------------------------------------------------------


def _user_or_none(request: Request) -> User | None:
    return auth.current_user(request)


@router.post("/bookmark", dependencies=[auth.CSRF])
def bookmark(
    request: Request,
    site: SiteDep,
    paper: PaperField,
    collection: NameField = colls.DEFAULT_NAME,
    next: NextField = None,
) -> Response:
    pk, paper_id = find_paper(site.store, paper)
    user = _user_or_none(request)
    if user is None:
        return _to_signin(request, paper_url(paper_id))
    auth.check_rate(request, "bookmark", limit=BOOKMARK_LIMIT[0], window=BOOKMARK_LIMIT[1])
    found, _ = colls.add_bookmark(site.store, user.id, pk, collection)
    return _back(next, f"/collections/{found.id}")


@router.post("/bookmark/remove", dependencies=[auth.CSRF])
def unbookmark(
    request: Request,
    site: SiteDep,
    paper: PaperField,
    collection_id: Annotated[int, Form(ge=1, le=2**62)],
    next: NextField = None,
) -> Response:
    user = _user_or_none(request)
    if user is None:
        return _to_signin(request, f"/collections/{collection_id}")
    auth.check_rate(request, "bookmark", limit=BOOKMARK_LIMIT[0], window=BOOKMARK_LIMIT[1])
    pk, _ = find_paper(site.store, paper)
    colls.remove_bookmark(site.store, user.id, collection_id, pk)
    return _back(next, f"/collections/{collection_id}")


@router.get("/collections")
def collections_page(request: Request, site: SiteDep) -> Response:
    user = _user_or_none(request)
    if user is None:
        return _to_signin(request, "/collections")
    found = colls.list_collections(site.store, user.id)
    return _html(request, "collections.html", {"collections": found, "error": None})


@router.post("/collections", dependencies=[auth.CSRF])
def create_collection(request: Request, site: SiteDep, name: NameField = "") -> Response:
    user = _user_or_none(request)
    if user is None:
        return _to_signin(request, "/collections")
    auth.check_rate(request, "bookmark", limit=BOOKMARK_LIMIT[0], window=BOOKMARK_LIMIT[1])
    try:
        made = colls.collection_named(site.store, user.id, name)
    except BadRequest as exc:
        found = colls.list_collections(site.store, user.id)
        context = {"collections": found, "error": str(exc), "name": name}
        return _html(request, "collections.html", context, status=400)
    return RedirectResponse(f"/collections/{made.id}", status_code=303)


def _owned(request: Request, site: Any, collection_id: int) -> tuple[User, colls.Collection]:
    user = _user_or_none(request)
    if user is None:
        raise _SignIn(here(request))
    return user, colls.get_collection(site.store, user.id, collection_id)


class _SignIn(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


@router.get("/collections/{collection_id:int}")
def collection_page(request: Request, site: SiteDep, collection_id: RowId) -> Response:
    try:
        user, found = _owned(request, site, collection_id)
    except _SignIn as exc:
        return _to_signin(request, exc.next_path)
    rows = colls.collection_papers(site.store, user.id, collection_id)
    page = {"collection": found, "title": found.name, "papers": [paper_view(r) for r in rows]}
    return render(request, "collection.html", page)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()[:60] or "collection"


@router.get("/collections/{collection_id:int}.bib")
def collection_bibtex(request: Request, site: SiteDep, collection_id: RowId) -> Response:
    try:
        user, found = _owned(request, site, collection_id)
    except _SignIn as exc:
        return _to_signin(request, exc.next_path)
    rows = [paper_view(r) for r in colls.collection_papers(site.store, user.id, collection_id)]
    body = to_bibtex(rows, comment=f"paperwire collection: {found.name}")
    return Response(
        body,
        media_type="application/x-bibtex; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_slug(found.name)}.bib"'},
    )


@router.post("/collections/{collection_id:int}/rename", dependencies=[auth.CSRF])
def rename_collection(
    request: Request, site: SiteDep, collection_id: RowId, name: NameField = ""
) -> Response:
    try:
        user, _ = _owned(request, site, collection_id)
    except _SignIn:
        return _to_signin(request, f"/collections/{collection_id}")
    auth.check_rate(request, "bookmark", limit=BOOKMARK_LIMIT[0], window=BOOKMARK_LIMIT[1])
    colls.rename_collection(site.store, user.id, collection_id, name)
    return RedirectResponse(f"/collections/{collection_id}", status_code=303)


@router.post("/collections/{collection_id:int}/delete", dependencies=[auth.CSRF])
def delete_collection(request: Request, site: SiteDep, collection_id: RowId) -> Response:
    try:
        user, _ = _owned(request, site, collection_id)
    except _SignIn:
        return _to_signin(request, f"/collections/{collection_id}")
    colls.delete_collection(site.store, user.id, collection_id)
    return RedirectResponse("/collections", status_code=303)


# --- submitting a paper ----------------------------------------------------------------------


@router.get("/submit")
def submit_form(request: Request) -> Response:
    return _html(request, "submit.html", {"value": "", "error": None})


@router.post("/submit", dependencies=[auth.CSRF])
def submit(
    request: Request, site: SiteDep, paper: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    """Store (fetching it from arXiv if new), index and upvote the paper; go to its page."""
    user = _user_or_none(request)
    if user is None:
        return _to_signin(request, "/submit")
    auth.check_rate(request, "submit", limit=SUBMIT_LIMIT[0], window=SUBMIT_LIMIT[1])
    try:
        done = submit_paper(site.store, site.settings, user.id, paper)
    except (BadRequest, NotFound) as exc:
        return _html(request, "submit.html", {"value": paper, "error": str(exc)}, exc.http_status)
    except PaperwireError as exc:  # SourceError: arXiv unreachable or answering an error
        # The error names the internal API address: the log gets it, the visitor does not.
        log.warning("submit of %r: %s", paper, exc)
        status = re.search(r"\bHTTP \d{3}\b", str(exc))
        answered = f" (it answered {status.group(0)})" if status else ""
        message = f"arXiv could not be asked right now{answered}; try again later"
        return _html(request, "submit.html", {"value": paper, "error": message}, 502)
    return RedirectResponse(paper_url(done.paper_id), status_code=303)
