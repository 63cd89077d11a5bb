"""Trending: a time-decayed score of community votes.

    score(p) = Σ over the votes v of p in the window of 0.5 ^ ((now − v.created) / half_life)

with half_life = 1 day for "day", 3 days for "week" and 10 days for "month", and the window
the period (1, 7 or 30 days) ending `now` (default: the current time; with `day`, the end of
that day, UTC). A vote counts 1 when it is cast and half as much a half-life later, so a paper
voted on today passes one with the same number of votes last week. Equal scores (rounded to
9 decimals) are ordered by the newer listing day, then by id. Papers without a vote in the
window are not trending.

The votes of the window are loaded as two arrays (paper pk, time) and scored with numpy; only
the papers that can reach the requested page are looked up for the tie-break.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from paperwire.errors import BadRequest
from paperwire.store import Store
from paperwire.store.votes import rank_keys, utc, votes_between

PERIODS = {"day": 1, "week": 7, "month": 30}
HALF_LIFE_DAYS = {"day": 1.0, "week": 3.0, "month": 10.0}
DECIMALS = 9  # scores are rounded so that equal vote histories tie exactly


def check_period(period: str) -> str:
    """The period if it is one of PERIODS; BadRequest naming the allowed ones otherwise."""
    if period not in PERIODS:
        raise BadRequest(f"period {period[:40]!r} is not one of: {', '.join(PERIODS)}")
    return period


def window(
    period: str, *, day: date | None = None, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """(start, end) of the period: it ends `now`, or at the end of `day` (UTC)."""
    check_period(period)
    if day is not None:
        end = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    else:
        end = utc(now)
    return end - timedelta(days=PERIODS[period]), end


def scores(period: str, pks: np.ndarray, times: np.ndarray, end: datetime) -> dict[int, float]:
    """pk -> score of these votes (pks and epoch-second times, one per vote) at `end`."""
    if len(pks) == 0:
        return {}
    half_life = HALF_LIFE_DAYS[period] * 86400.0
    weights = np.power(0.5, (end.timestamp() - times) / half_life)
    unique, inverse = np.unique(pks, return_inverse=True)
    sums = np.round(np.bincount(inverse, weights=weights), DECIMALS)
    return dict(zip(unique.tolist(), sums.tolist(), strict=True))


def trending(
    store: Store,
    *,
    period: str = "week",
    day: date | None = None,
    limit: int = 20,
    offset: int = 0,
    now: datetime | None = None,
) -> tuple[list[tuple[int, float]], int]:
    """The trending papers of the `period` ending on `day` (default: now, or `now` when
    given): ([(paper pk, score), ...] best first, total number of papers with a score)."""
    start, end = window(period, day=day, now=now)
    pks, times = votes_between(store, start, end)
    scored = scores(period, pks, times, end)
    total = len(scored)
    if total == 0 or limit <= 0 or offset >= total:
        return [], total
    values = np.fromiter(scored.values(), np.float64, total)
    reach = min(offset + limit, total)
    # Everything that can rank above position `reach` scores at least the reach-th best score.
    cutoff = np.partition(values, total - reach)[total - reach]
    candidates = [pk for pk, s in scored.items() if s >= cutoff]
    keys = rank_keys(store, candidates)

    def order(pk: int) -> tuple[float, int, str]:
        day_, paper_id = keys.get(pk, (None, ""))
        newer = -day_.toordinal() if day_ else 0  # no listing day: after every dated paper
        return (-scored[pk], newer, paper_id)

    ranked = sorted((pk for pk in candidates if pk in keys), key=order)
    return [(pk, scored[pk]) for pk in ranked[offset : offset + limit]], total
