"""Personal recommendations, arxiv-sanity-lite style: per user, a linear model on the papers'
embeddings, trained afresh on each request (no model is stored, so a new like counts at once).

1. Examples. Positives: the papers the user upvoted or bookmarked since their last profile
   reset (the newest `MAX_LIKES`). Negatives: the papers they marked "not interested", each
   weighing `NOT_INTERESTED_WEIGHT` likes, and `BACKGROUND` other papers drawn at random with a
   fixed seed (the same data gives the same recommendations) standing for "probably not".
   Class weights: the likes together weigh 1, the background together 1.
2. Model: L2-regularised logistic regression on the stored unit vectors (the index's int8
   codes, normalised, as float32), fitted in numpy by Nesterov-accelerated gradient descent
   (full-batch steps over at most ~2,500 rows until the parameters settle: ~100 steps,
   tens of milliseconds).
3. Candidates: papers with a vector listed in the `RECENT_DAYS` days up to the newest listing
   day, when at least max(limit, `MIN_RECENT`) of them are left, else every paper with a
   vector; always minus the user's liked papers (before a reset too), their "not interested"
   papers and `exclude`. Papers not embedded yet cannot be scored and are skipped. Scoring is
   one pass of w·x over the candidates' int8 codes, the best rescored exactly in float32
   (`DenseIndex.best_by_dot`).
4. Reason: the liked paper closest (cosine) to the recommendation, and up to `TERMS` words the
   recommendation shares with the liked papers, ranked by their tf-idf weight in the liked set
   (document frequency among the liked papers × the lexical index's idf); words in more than
   ~20% of all papers are never named.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from paperwire.index.analyze import Analyzer
from paperwire.index.backend import IndexBackend
from paperwire.store import Store, feedback
from paperwire.store.reading import papers_by_pk

MAX_LIKES = 500  # newest likes trained on
TERM_LIKES = 100  # newest likes whose words make the "terms" of a reason
BACKGROUND = 2000  # random other papers as background negatives
NOT_INTERESTED_WEIGHT = 3.0  # one "not interested" weighs as much as this many likes
L2 = 0.01  # regularisation (the class weights sum to ~2)
ITERATIONS = 300  # at most; usually stops earlier at TOLERANCE
TOLERANCE = 1e-3  # largest step of any parameter; w is then ~1e-4 (cosine) from converged
SEED = 20260701
RECENT_DAYS = 30
MIN_RECENT = 100
TERMS = 3
MIN_IDF = math.log1p(4)  # terms in over ~20% of papers explain nothing ("method", "new")
TITLE_CHARS = 90


@dataclass(frozen=True)
class Recommendation:
    paper_pk: int
    score: float
    reason: str  # shown to the user: "close to <title> you liked; terms: a, b, c"


@dataclass(frozen=True)
class Profile:
    """A user's trained model and the likes it learnt from (for reasons)."""

    weights: np.ndarray
    bias: float
    liked: np.ndarray  # pks of the liked papers that have a vector, newest like first
    liked_vecs: np.ndarray
    seen: np.ndarray  # every liked (before a reset too) or "not interested" pk, sorted


def user_profile(store: Store, index: IndexBackend, user_id: int) -> Profile | None:
    """The user's model (steps 1 and 2 of the module docstring); None when they have no likes
    with a vector (after a reset), or the index has no embeddings."""
    if not index.status().papers_embedded:
        return None
    liked, pos = _vectors(index, feedback.liked_papers(store, user_id, limit=MAX_LIKES))
    if not len(liked):
        return None
    marked_all = feedback.not_interested(store, user_id)
    _, neg = _vectors(index, marked_all)
    every_like = feedback.liked_papers(store, user_id, since_reset=False)
    seen = np.union1d(np.array(every_like, np.int64), np.array(marked_all, np.int64))
    weights, bias = train(pos, neg, _background(index, seen))
    return Profile(weights, bias, liked, pos, seen)


def recommend(
    store: Store,
    index: IndexBackend,
    user_id: int,
    *,
    limit: int = 10,
    exclude: Collection[int] = (),
) -> list[Recommendation]:
    """The best `limit` papers for this user that are not in `exclude` nor already liked or
    marked "not interested"; [] when the user has no likes yet (after a reset), or the index
    has no embeddings."""
    if limit <= 0:
        return []
    profile = user_profile(store, index, user_id)
    if profile is None:
        return []
    skip = np.union1d(profile.seen, np.fromiter(exclude, np.int64))
    hits = index.by_vector(profile.weights, limit, allow=candidates(index, skip, limit))
    reasons = _reasons(store, index, hits.keys, profile.liked, profile.liked_vecs)
    return [
        Recommendation(int(k), float(s) + profile.bias, reason)
        for k, s, reason in zip(hits.keys, hits.scores, reasons, strict=True)
    ]


def score_papers(index: IndexBackend, profile: Profile, pks: Sequence[int]) -> dict[int, float]:
    """The model's score (w·x + b) of each of `pks` that has a vector: ordering a given list
    (a day, a week) for the user, where `recommend` picks from everything."""
    if not len(pks):
        return {}
    keys = np.asarray(pks, np.int64)
    found, vecs = index.vectors(keys)
    scores = vecs[found] @ profile.weights.astype(np.float32) + np.float32(profile.bias)
    return {int(k): float(v) for k, v in zip(keys[found].tolist(), scores.tolist(), strict=True)}


def explain(
    store: Store, index: IndexBackend, profile: Profile, pks: Sequence[int]
) -> dict[int, str]:
    """Why each of `pks` (those with a vector) ranks where it does: step 4's reason."""
    if not len(pks):
        return {}
    keys = np.asarray(pks, np.int64)
    found, _ = index.vectors(keys)
    keys = keys[found]
    reasons = _reasons(store, index, keys, profile.liked, profile.liked_vecs)
    return dict(zip(keys.tolist(), reasons, strict=True))


# --- examples and the model ----------------------------------------------------------------


def _vectors(index: IndexBackend, pks: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """(pks that have a vector, their unit vectors), in the order given."""
    keys = np.asarray(pks, np.int64)
    found, vecs = index.vectors(keys)
    return keys[found], vecs[found]


def _background(index: IndexBackend, seen: np.ndarray) -> np.ndarray:
    """Vectors of up to BACKGROUND random papers the user has not liked or marked."""
    pool = np.setdiff1d(index.embedded_keys(), seen, assume_unique=True)
    if len(pool) > BACKGROUND:
        pool = np.sort(np.random.default_rng(SEED).choice(pool, BACKGROUND, replace=False))
    return index.vectors(pool)[1]


def train(pos: np.ndarray, neg: np.ndarray, background: np.ndarray) -> tuple[np.ndarray, float]:
    """(weights, bias) of the logistic regression described in the module docstring."""
    n_pos = len(pos)
    x = np.concatenate([pos, neg, background]).astype(np.float32)
    y = np.concatenate([np.ones(n_pos), -np.ones(len(neg) + len(background))]).astype(np.float32)
    c = np.concatenate(
        [
            np.full(n_pos, 1.0 / n_pos),
            np.full(len(neg), NOT_INTERESTED_WEIGHT / n_pos),
            np.full(len(background), 1.0 / max(len(background), 1)),
        ]
    ).astype(np.float32)
    return fit_logistic(x, y, c, l2=L2)


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    c: np.ndarray,
    *,
    l2: float,
    iterations: int = ITERATIONS,
    tolerance: float = TOLERANCE,
) -> tuple[np.ndarray, float]:
    """Minimise sum_i c_i log(1 + exp(-y_i (w·x_i + b))) + l2/2 |w|^2 (labels ±1, example
    weights c) by Nesterov's accelerated gradient with step 1/L, L the gradient's Lipschitz
    bound sum_i c_i (|x_i|^2 + 1) / 4 + l2, until no parameter moves by `tolerance` in a
    step (or `iterations`); the bias is not regularised."""
    n, d = x.shape
    xb = np.concatenate([x, np.ones((n, 1), np.float32)], axis=1)
    lipschitz = float(c @ (np.einsum("ij,ij->i", xb, xb))) / 4 + l2
    step = np.float32(1.0 / lipschitz)
    reg = np.full(d + 1, l2, np.float32)
    reg[d] = 0.0
    theta = np.zeros(d + 1, np.float32)
    previous = theta
    cy = (c * y).astype(np.float32)
    for t in range(iterations):
        look = theta + np.float32(t / (t + 3)) * (theta - previous)
        margin = np.clip(y * (xb @ look), -30.0, 30.0)
        grad = xb.T @ (-cy / (1.0 + np.exp(margin))) + reg * look
        previous, theta = theta, (look - step * grad).astype(np.float32)
        if float(np.abs(theta - previous).max()) < tolerance:
            break
    return theta[:d], float(theta[d])


# --- candidates ------------------------------------------------------------------------------


def candidates(index: IndexBackend, skip: np.ndarray, limit: int) -> np.ndarray:
    """Keys to score: embedded papers not in `skip` (sorted), the recent ones when there are
    enough of them (see the module docstring)."""
    keys = np.setdiff1d(index.embedded_keys(), skip, assume_unique=True)
    days = index.days(keys)
    if len(days) and int(days.max()) >= 0:
        recent = keys[days > int(days.max()) - RECENT_DAYS]
        if len(recent) >= max(limit, MIN_RECENT):
            return recent
    return keys


# --- reasons ---------------------------------------------------------------------------------


def _reasons(
    store: Store,
    index: IndexBackend,
    keys: np.ndarray,
    liked: np.ndarray,
    liked_vecs: np.ndarray,
) -> list[str]:
    if not len(keys):
        return []
    _, vecs = index.vectors(keys)
    closest = np.argmax(vecs @ liked_vecs.T, axis=1)
    texts = papers_by_pk(store, [*keys.tolist(), *liked.tolist()], columns=["title", "abstract"])
    analyzer = index.analyzer
    weight = _liked_weights(index, analyzer, [texts.get(int(k)) for k in liked[:TERM_LIKES]])
    reasons = []
    for key, near in zip(keys.tolist(), closest.tolist(), strict=True):
        liked_title = (texts.get(int(liked[near])) or {}).get("title") or "a paper"
        reason = f"close to “{_short(liked_title)}” you liked"
        words = _shared_words(analyzer, weight, texts.get(key))
        if words:
            reason += f"; terms: {', '.join(words)}"
        reasons.append(reason)
    return reasons


def _text(row: dict[str, str] | None) -> str:
    return f"{row.get('title') or ''}. {row.get('abstract') or ''}" if row else ""


def _liked_weights(
    index: IndexBackend, analyzer: Analyzer, rows: list[dict[str, str] | None]
) -> dict[str, float]:
    """term -> (liked papers containing it) × idf, over the liked papers' titles and abstracts
    (terms no indexed paper has are left out)."""
    df: Counter[str] = Counter()
    for row in rows:
        df.update(set(analyzer.analyze(_text(row))))
    terms = sorted(df)
    if not terms:
        return {}
    known = index.doc_freqs(terms) > 0
    terms = [t for t, ok in zip(terms, known, strict=True) if ok]
    idf = index.idf(terms) if terms else np.zeros(0)
    return {t: df[t] * float(w) for t, w in zip(terms, idf, strict=True) if w >= MIN_IDF}


def _shared_words(
    analyzer: Analyzer, weight: dict[str, float], row: dict[str, str] | None
) -> list[str]:
    """The paper's words whose terms weigh most in the liked set, as the paper writes them."""
    word_of: dict[str, str] = {}
    for word in analyzer.words(_text(row)):
        term = analyzer.term(word)
        if term in weight:
            word_of.setdefault(term, word)
    best = sorted(word_of, key=lambda t: (-weight[t], t))[:TERMS]
    return [word_of[t] for t in best]


def _short(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1].rstrip() + "…"
