"""Personal recommendations: a linear model on paper embeddings per user. (Being built.)"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from paperwire.index.backend import IndexBackend
from paperwire.store import Store


@dataclass(frozen=True)
class Recommendation:
    paper_pk: int
    score: float
    reason: str  # shown to the user: "close to <title> you liked; terms: a, b, c"


def recommend(
    store: Store,
    index: IndexBackend,
    user_id: int,
    *,
    limit: int = 10,
    exclude: Collection[int] = (),
) -> list[Recommendation]:
    """The best `limit` papers for this user that are not in `exclude` nor already liked or
    marked "not interested"; [] when the user has no likes yet (after a reset)."""
    raise NotImplementedError
