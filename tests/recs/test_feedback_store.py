"""store/feedback.py on SQLite and PostgreSQL: likes are votes and bookmarks after the profile
reset, "not interested" marks are set, renewed, undone and dropped by a reset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from paperwire.errors import NotFound
from paperwire.store import Store, feedback
from paperwire.store.papers import upsert_records
from paperwire.store.users import create_user, delete_user, get_user
from tests.support.recsdata import bookmark, pk_of, records, vote

T0 = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def filled(store: Store) -> Store:
    upsert_records(store, records()[:6])
    return store


def test_likes_are_votes_and_bookmarks_newest_first(filled: Store) -> None:
    store = filled
    uid = create_user(store, "a@example.org")[0].id
    other = create_user(store, "b@example.org")[0].id
    p = [pk_of(store, n) for n in range(1, 7)]
    vote(store, uid, p[0], T0)
    bookmark(store, uid, p[1], T0 + timedelta(minutes=2))
    vote(store, uid, p[2], T0 + timedelta(minutes=1))
    bookmark(store, uid, p[2], T0 + timedelta(minutes=3))  # voted and bookmarked: once, newest
    vote(store, other, p[3], T0)
    bookmark(store, other, p[4], T0)
    assert feedback.liked_papers(store, uid) == [p[2], p[1], p[0]]
    assert feedback.liked_papers(store, uid, limit=2) == [p[2], p[1]]
    assert feedback.liked_papers(store, other) == sorted([p[3], p[4]], reverse=True)
    assert feedback.liked_papers(store, 9999) == []


def test_reset_hides_older_likes_and_drops_marks(filled: Store) -> None:
    store = filled
    uid = create_user(store, "reset@example.org")[0].id
    p = [pk_of(store, n) for n in range(1, 7)]
    vote(store, uid, p[0], T0)
    bookmark(store, uid, p[1], T0)
    assert feedback.mark_not_interested(store, uid, p[2])
    when = feedback.reset_profile(store, uid, T0 + timedelta(hours=1))
    user = get_user(store, uid)
    assert user is not None and user.profile_reset is not None
    stored = user.profile_reset
    assert (stored if stored.tzinfo else stored.replace(tzinfo=UTC)) == when  # SQLite: naive UTC
    assert feedback.liked_papers(store, uid) == []
    assert feedback.liked_papers(store, uid, since_reset=False) == sorted(p[:2], reverse=True)
    assert feedback.not_interested(store, uid) == []
    vote(store, uid, p[3], when + timedelta(seconds=1))
    bookmark(store, uid, p[4], when + timedelta(seconds=2))
    assert feedback.liked_papers(store, uid) == [p[4], p[3]]


def test_not_interested_marks(filled: Store) -> None:
    store = filled
    uid = create_user(store, "marks@example.org")[0].id
    p = [pk_of(store, n) for n in range(1, 7)]
    assert feedback.mark_not_interested(store, uid, p[0]) is True
    assert feedback.mark_not_interested(store, uid, p[1]) is True
    assert feedback.mark_not_interested(store, uid, p[0]) is False  # again: renewed, not doubled
    assert feedback.not_interested(store, uid) == [p[0], p[1]]
    marks = feedback.list_marks(store, uid)
    assert [(m.paper_pk, m.paper_id) for m in marks] == [(p[0], "2607.00001"), (p[1], "2607.00002")]
    assert marks[0].title == records()[0].title
    assert feedback.unmark(store, uid, p[0]) is True
    assert feedback.unmark(store, uid, p[0]) is False
    assert feedback.not_interested(store, uid) == [p[1]]
    with pytest.raises(NotFound):
        feedback.mark_not_interested(store, uid, 999_999)


def test_deleting_the_user_deletes_their_feedback(filled: Store) -> None:
    store = filled
    uid = create_user(store, "gone@example.org")[0].id
    feedback.mark_not_interested(store, uid, pk_of(store, 1))
    assert delete_user(store, uid)
    assert feedback.not_interested(store, uid) == []
