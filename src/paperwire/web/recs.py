"""The recommendations page and its buttons (signed-in users; anonymous ones are sent to sign in):

    GET  /recommendations          papers for you, each with why, a "Not interested" button
                                   ?marked=ID  (after a mark: says so, with an Undo button)
                                   ?reset=1    (after a reset: says so)
    POST /paper-feedback           paper=ID signal=not-interested|undo   303 back to the page
    POST /recommendations/reset    forget likes so far and every "not interested" mark

Plain forms (every page works without JavaScript); each POST takes `auth.CSRF`.
How the list is made: paperwire.community.recs.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from paperwire.community.recs import recommend
from paperwire.errors import BadRequest
from paperwire.store import feedback
from paperwire.store.papers import MAX_ID_CHARS, find_paper
from paperwire.store.reading import papers_by_pk
from paperwire.store.users import User
from paperwire.web import auth
from paperwire.web.data import paper_view
from paperwire.web.pages import SiteDep, render
from paperwire.web.site import Site
from paperwire.web.urls import signin_url

router = APIRouter(include_in_schema=False)
PAGE = "/recommendations"
SIGNIN = signin_url(PAGE)
PER_PAGE = 20
MARKS_SHOWN = 50
SIGNALS = ("not-interested", "undo")


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def recommendations_page(site: Site, user: User, *, marked: str | None = None) -> dict[str, Any]:
    """What the page shows: the papers with their reasons, the user's "not interested" marks,
    and whether there is anything to learn from yet."""
    recs = recommend(site.store, site.index, user.id, limit=PER_PAGE)
    rows = papers_by_pk(site.store, [r.paper_pk for r in recs])
    papers = []
    for rec in recs:
        row = rows.get(rec.paper_pk)
        if row is not None:  # deleted since the index saw it
            papers.append({**paper_view(row), "reason": rec.reason, "score": rec.score})
    marks = feedback.list_marks(site.store, user.id, limit=MARKS_SHOWN)
    just_marked = next((m for m in marks if m.paper_id == marked), None) if marked else None
    return {
        "title": "Recommended for you",
        "papers": papers,
        "likes": len(feedback.liked_papers(site.store, user.id)),
        "marks": marks,
        "just_marked": just_marked,
    }


@router.get(PAGE)
def recommendations(
    request: Request,
    site: SiteDep,
    user: auth.OptionalUser,
    marked: Annotated[str | None, Query(max_length=MAX_ID_CHARS)] = None,
    reset: Annotated[int, Query(ge=0, le=1)] = 0,
) -> Response:
    if user is None:
        return _see_other(SIGNIN)
    page = recommendations_page(site, user, marked=marked)
    page["reset"] = bool(reset)
    return render(request, "recommendations.html", page)


def _paper_pk(site: Site, paper_id: str) -> int:
    paper_id = paper_id.strip()
    if not paper_id:
        raise BadRequest("say which paper: the form field `paper` holds its id")
    return find_paper(site.store, paper_id)[0]


@router.post("/paper-feedback", dependencies=[auth.CSRF])
def paper_feedback(
    site: SiteDep,
    user: auth.OptionalUser,
    paper: Annotated[str, Form(max_length=MAX_ID_CHARS)],
    signal: Annotated[str, Form(max_length=32)] = "not-interested",
) -> Response:
    if user is None:
        return _see_other(SIGNIN)
    if signal not in SIGNALS:
        raise BadRequest(f"signal {signal[:32]!r} is not one of {', '.join(SIGNALS)}")
    pk = _paper_pk(site, paper)
    if signal == "undo":
        feedback.unmark(site.store, user.id, pk)
        return _see_other(PAGE)
    feedback.mark_not_interested(site.store, user.id, pk)
    paper_id = papers_by_pk(site.store, [pk], columns=["id"])[pk]["id"]
    return _see_other(f"{PAGE}?marked={quote(paper_id, safe='')}")


@router.post(f"{PAGE}/reset", dependencies=[auth.CSRF])
def reset_recommendations(site: SiteDep, user: auth.OptionalUser) -> Response:
    if user is None:
        return _see_other(SIGNIN)
    feedback.reset_profile(site.store, user.id)
    return _see_other(f"{PAGE}?reset=1")
