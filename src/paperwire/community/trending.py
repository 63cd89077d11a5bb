"""Trending: a time-decayed score of community votes. (Being built: see the docstring of
`trending`.)"""

from __future__ import annotations

from datetime import date

from paperwire.store import Store

PERIODS = {"day": 1, "week": 7, "month": 30}


def trending(
    store: Store, *, period: str = "week", day: date | None = None, limit: int = 20, offset: int = 0
) -> tuple[list[tuple[int, float]], int]:
    """The trending papers of the `period` ending on `day` (default: today): ([(paper pk,
    score), ...] best first, total number of papers with a score)."""
    raise NotImplementedError
