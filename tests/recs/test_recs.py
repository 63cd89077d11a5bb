"""recommend() on a real store and index (SQLite; vectors from the test-only HashEncoder, which
puts recsdata's five topics in five clusters): likes make their topic rank first, with reasons;
"not interested" pushes a paper's neighbours down; a reset empties the list."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from paperwire.community import recs
from paperwire.community.recs import recommend
from paperwire.index.embedded import EmbeddedIndex
from paperwire.store import Store, feedback
from paperwire.store.users import create_user
from tests.support.recsdata import (
    OLD_PER_TOPIC,
    PER_TOPIC,
    TOPICS,
    bookmark,
    is_old,
    number_of,
    pk_of,
    topic_of,
    vote,
)

Corpus = tuple[Store, EmbeddedIndex]
PROTEIN = list(range(1, PER_TOPIC + 1))  # paper numbers of the recent protein papers
GALAXY = list(range(PER_TOPIC + 1, 2 * PER_TOPIC + 1))


def user(store: Store, name: str) -> int:
    return create_user(store, f"{name}@example.org")[0].id


def ranking(corpus: Corpus, user_id: int, **kw: object) -> list[int]:
    """Paper numbers, best first, of everything the user could be recommended."""
    store, index = corpus
    return [number_of(store, r.paper_pk) for r in recommend(store, index, user_id, limit=500, **kw)]  # type: ignore[arg-type]


def test_no_likes_no_recommendations(corpus: Corpus) -> None:
    store, index = corpus
    uid = user(store, "nolikes")
    assert recommend(store, index, uid) == []
    feedback.mark_not_interested(store, uid, pk_of(store, 1))  # marks alone teach nothing
    assert recommend(store, index, uid) == []


def test_no_embeddings_no_recommendations(corpus: Corpus) -> None:
    store, _ = corpus
    uid = user(store, "noembeddings")
    vote(store, uid, pk_of(store, 1))
    assert recommend(store, EmbeddedIndex(), uid) == []  # an index without a dense part


def test_liked_topic_ranks_first(corpus: Corpus) -> None:
    store, index = corpus
    uid = user(store, "protein")
    for n in (1, 2, 3):
        vote(store, uid, pk_of(store, n))
    bookmark(store, uid, pk_of(store, 4))
    found = recommend(store, index, uid, limit=10)
    numbers = [number_of(store, r.paper_pk) for r in found]
    assert len(numbers) == 10
    assert all(topic_of(n) == "protein" for n in numbers), numbers
    assert not {1, 2, 3, 4} & set(numbers)  # liked papers are not recommended again
    assert not any(is_old(n) for n in numbers)  # enough recent papers: only those
    scores = [r.score for r in found]
    assert scores == sorted(scores, reverse=True)
    # Over the whole ranking (a limit over the recent papers' count: old ones too), the liked
    # topic comes before every other topic.
    full = ranking(corpus, uid)
    protein_ranks = [i for i, n in enumerate(full) if topic_of(n) == "protein"]
    assert protein_ranks == list(range(len(protein_ranks)))
    assert len(protein_ranks) == PER_TOPIC - 4 + OLD_PER_TOPIC


def test_exclude_and_limit(corpus: Corpus) -> None:
    store, index = corpus
    uid = user(store, "exclude")
    vote(store, uid, pk_of(store, 1))
    first = recommend(store, index, uid, limit=5)
    skipped = {r.paper_pk for r in first[:2]}
    again = recommend(store, index, uid, limit=5, exclude=skipped)
    assert not skipped & {r.paper_pk for r in again}
    assert [r.paper_pk for r in again[:3]] == [r.paper_pk for r in first[2:]]
    assert recommend(store, index, uid, limit=0) == []


def test_reason_names_the_closest_liked_paper_and_shared_terms(corpus: Corpus) -> None:
    store, index = corpus
    uid = user(store, "reasons")
    liked = {1: "protein", PER_TOPIC + 1: "galaxy"}
    for n in liked:
        vote(store, uid, pk_of(store, n))
    titles = {n: store_title(store, n) for n in liked}
    found = recommend(store, index, uid, limit=12)
    assert found
    for rec in found:
        n = number_of(store, rec.paper_pk)
        liked_same_topic = next(m for m, t in liked.items() if t == topic_of(n))
        assert rec.reason.startswith(f"close to “{titles[liked_same_topic]}” you liked; terms: ")
        terms = rec.reason.split("; terms: ")[1].split(", ")
        assert 1 <= len(terms) <= recs.TERMS
        topic_words = set(TOPICS[topic_of(n)].split())
        assert set(terms) <= topic_words, rec.reason  # shared topic words, never the filler


def store_title(store: Store, n: int) -> str:
    from paperwire.store.reading import papers_by_pk

    pk = pk_of(store, n)
    return str(papers_by_pk(store, [pk], columns=["title"])[pk]["title"])


def test_not_interested_pushes_neighbours_down(corpus: Corpus) -> None:
    store, index = corpus
    uid = user(store, "notinterested")
    for n in (1, 2, 3, PER_TOPIC + 1, PER_TOPIC + 2, PER_TOPIC + 3):  # protein and galaxies
        vote(store, uid, pk_of(store, n))
    before_recs = recommend(store, index, uid, limit=500)
    before = [number_of(store, r.paper_pk) for r in before_recs]
    score_before = {number_of(store, r.paper_pk): r.score for r in before_recs}
    x = next(n for n in before if topic_of(n) == "galaxy")  # the best galaxy paper
    assert before.index(x) < 10
    assert index.dense is not None
    near = index.similar(keys=[pk_of(store, x)], k=8, query=None).keys.tolist()
    neighbours = [number_of(store, pk) for pk in near if number_of(store, pk) in score_before]
    neighbours = [n for n in neighbours if topic_of(n) == "galaxy"][:5]
    assert len(neighbours) == 5

    assert feedback.mark_not_interested(store, uid, pk_of(store, x))
    after_recs = recommend(store, index, uid, limit=500)
    after = [number_of(store, r.paper_pk) for r in after_recs]
    score_after = {number_of(store, r.paper_pk): r.score for r in after_recs}
    assert x not in after
    for n in neighbours:
        assert score_after[n] < score_before[n], n
    for n in neighbours:
        assert after.index(n) > before.index(n), n  # measured: ranks ~[3, 39] -> ~[42, 80]

    assert feedback.unmark(store, uid, pk_of(store, x))  # Undo: back to the first ranking
    assert ranking(corpus, uid) == before


def test_reset_empties_until_new_likes(corpus: Corpus) -> None:
    store, index = corpus
    uid = user(store, "reset")
    vote(store, uid, pk_of(store, 1))
    bookmark(store, uid, pk_of(store, 2))
    feedback.mark_not_interested(store, uid, pk_of(store, 3))
    assert recommend(store, index, uid)
    reset_at = feedback.reset_profile(store, uid)
    assert recommend(store, index, uid) == []
    assert feedback.not_interested(store, uid) == []
    vote(store, uid, pk_of(store, PER_TOPIC + 1), when=reset_at + timedelta(seconds=1))
    found = [number_of(store, r.paper_pk) for r in recommend(store, index, uid, limit=5)]
    assert found and all(topic_of(n) == "galaxy" for n in found)
    assert 1 not in found and 2 not in found  # liked before the reset: still not recommended


def test_old_papers_when_recent_ones_run_out(corpus: Corpus) -> None:
    store, index = corpus
    uid = user(store, "old")
    vote(store, uid, pk_of(store, 1))
    recent = recommend(store, index, uid, limit=10)
    assert not any(is_old(number_of(store, r.paper_pk)) for r in recent)
    every_recent = [pk_of(store, n) for n in range(1, len(TOPICS) * PER_TOPIC + 1)]
    # Excluding nearly all recent papers leaves fewer than MIN_RECENT: all papers are candidates.
    rest = recommend(store, index, uid, limit=10, exclude=every_recent[: -recs.MIN_RECENT // 2])
    assert any(is_old(number_of(store, r.paper_pk)) for r in rest)


def test_recommendations_are_reproducible(corpus: Corpus) -> None:
    store, index = corpus
    uid = user(store, "again")
    for n in (1, PER_TOPIC + 5):
        vote(store, uid, pk_of(store, n))
    assert recommend(store, index, uid, limit=20) == recommend(store, index, uid, limit=20)


@pytest.mark.parametrize("n_pos", [1, 20])
def test_fit_logistic_separates_and_converges(n_pos: int) -> None:
    rng = np.random.default_rng(1)
    d = 32
    center = rng.standard_normal(d)

    def unit(x: np.ndarray) -> np.ndarray:
        return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)

    pos = unit(center + 0.6 * rng.standard_normal((n_pos, d)))
    bg = unit(rng.standard_normal((500, d)))
    w, b = recs.train(pos, np.zeros((0, d), np.float32), bg)
    w_long, b_long = recs.fit_logistic(
        np.concatenate([pos, bg]),
        np.r_[np.ones(n_pos), -np.ones(500)].astype(np.float32),
        np.r_[np.full(n_pos, 1 / n_pos), np.full(500, 1 / 500)].astype(np.float32),
        l2=recs.L2,
        iterations=5000,
        tolerance=0.0,
    )
    np.testing.assert_allclose(w, w_long, atol=0.05 * float(np.abs(w_long).max()))
    assert abs(b - b_long) < 0.05 * max(1.0, abs(b_long))
    fresh = unit(center + 0.6 * rng.standard_normal((50, d)))
    assert (fresh @ w + b).mean() > (unit(rng.standard_normal((50, d))) @ w + b).mean() + 1.0
