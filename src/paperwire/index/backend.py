"""The one small interface every index backend implements (the embedded one, and later Milvus).

Keys are ints (the store's paper pk); the search layer maps them to papers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from paperwire.index.base import Doc, Hits

Mode = Literal["bm25", "dense", "hybrid", "hybrid+rerank"]
MODES: tuple[Mode, ...] = ("bm25", "dense", "hybrid", "hybrid+rerank")
# What users may pick: dense alone scores below BM25 on SciFact, so it is an evaluation
# baseline (`paperwire eval`), not a search mode.
USER_MODES: tuple[Mode, ...] = ("bm25", "hybrid", "hybrid+rerank")


@dataclass(slots=True)
class Query:
    """What a backend is asked: ranked text plus hard constraints (see paperwire.search.query)."""

    text: str = ""
    phrases: list[str] = field(default_factory=list)
    must: list[str] = field(default_factory=list)  # filter tokens, all required
    any_of: list[list[str]] = field(default_factory=list)  # groups, one of each required
    must_not: list[str] = field(default_factory=list)  # words, phrases and filter tokens
    day_from: int | None = None
    day_to: int | None = None
    sort: Literal["relevance", "date"] = "relevance"

    @property
    def constrained(self) -> bool:
        return bool(
            self.phrases
            or self.must
            or self.any_of
            or self.must_not
            or self.day_from is not None
            or self.day_to is not None
        )


class IndexBackend(ABC):
    """Add/update/remove papers, search, similar, save/load, status."""

    @abstractmethod
    def upsert(self, docs: Sequence[Doc]) -> None:
        """Add papers, replacing those with the same key."""

    @abstractmethod
    def remove(self, keys: Iterable[int]) -> None:
        """Forget papers."""

    @abstractmethod
    def search(self, query: Query, *, k: int, mode: Mode = "hybrid") -> Hits:
        """The best k keys for a query (k counts from the first result: pagination slices)."""

    @abstractmethod
    def similar(
        self,
        *,
        keys: Sequence[int] = (),
        text: str | None = None,
        k: int,
        query: Query | None = None,
    ) -> Hits:
        """Papers like these papers (their keys) or like a pasted text, within `query`'s filters."""

    @abstractmethod
    def save(self) -> None:
        """Persist (atomically) what changed."""

    @abstractmethod
    def status(self) -> dict[str, Any]:
        """Counts and state for `paperwire index status`."""
