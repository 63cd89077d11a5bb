"""The one interface every index backend implements (the embedded one, Milvus), and the only
index type code outside `paperwire.index` may name (`open_backend` in index/manager.py picks
one from `settings.index`).

Keys are ints (the store's paper pk, or a BEIR doc's position); the search layer maps them to
papers. Everything a caller needs is a method here: search, similar papers, the stored vectors
recommendations train on, the term statistics Ask and the reasons of recommendations weigh
words by, the embedding job's steps, and what `index status` and the readers' reloads read.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from paperwire.index.analyze import Analyzer
from paperwire.index.base import Doc, Hits
from paperwire.index.encoders import Encoder
from paperwire.index.query import Query

__all__ = ["MODES", "USER_MODES", "IndexBackend", "IndexStatus", "Mode", "Query"]

Mode = Literal["bm25", "dense", "hybrid", "hybrid+rerank"]
MODES: tuple[Mode, ...] = ("bm25", "dense", "hybrid", "hybrid+rerank")
# What users may pick: dense alone scores below BM25 on SciFact, so it is an evaluation
# baseline (`paperwire eval`), not a search mode.
USER_MODES: tuple[Mode, ...] = ("bm25", "hybrid", "hybrid+rerank")


@dataclass
class IndexStatus:
    """What a backend holds, for `paperwire index status`, /about, /metrics and the pipeline.
    `details` is backend-specific (the embedded one: lexical segment stats, fusion settings)."""

    backend: str
    papers_indexed: int
    papers_embedded: int
    token_vectors: int = 0
    encoder: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def embedded_fraction(self) -> float:
        return round(self.papers_embedded / self.papers_indexed, 4) if self.papers_indexed else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "papers_indexed": self.papers_indexed,
            "papers_embedded": self.papers_embedded,
            "embedded_fraction": self.embedded_fraction,
            "token_vectors": self.token_vectors,
            "encoder": self.encoder,
            **self.details,
        }


class IndexBackend(ABC):
    """An index of papers. Writes come from one process (the worker, or a CLI command); any
    number of readers (`paperwire serve` hosts) search it and reopen it when `version()`
    changes."""

    #: The backend's name in the store's sync state (`index_applied.backend`): "embedded", or
    #: the Milvus URL. Two processes that name the same index must give the same name.
    name: str = "embedded"

    # --- identity and sync ---------------------------------------------------------------

    @abstractmethod
    def instance(self) -> str:
        """An id made when this index's data was created (a new folder, a new collection): the
        store's record of what was applied counts only for the same instance, so a wiped or
        rebuilt index is filled anew from the store instead of trusted."""

    @abstractmethod
    def version(self) -> str:
        """A token of the index's saved data as it is now (one stat or one query: cheap). It
        changes whenever a writer saved changes; a reader reopens when it differs from the
        token it read before opening."""

    # --- writes --------------------------------------------------------------------------

    @abstractmethod
    def upsert(self, docs: Sequence[Doc]) -> None:
        """Add papers, replacing those with the same key. A paper whose text changed loses its
        vectors (the embedding job makes new ones)."""

    @abstractmethod
    def remove(self, keys: Iterable[int]) -> None:
        """Forget papers (unknown keys are ignored)."""

    @abstractmethod
    def save(self) -> None:
        """Persist (atomically) what changed, so that readers' `version()` moves."""

    # --- the embedding job ---------------------------------------------------------------

    @abstractmethod
    def needs_embedding(self, docs: Sequence[Doc]) -> list[Doc]:
        """The docs whose current text has no vectors yet."""

    @abstractmethod
    def embed(self, docs: Sequence[Doc], *, batch_size: int = 32) -> None:
        """Encode docs (pooled and token vectors) and keep them; each call is durable at once,
        so a killed job resumes without redoing a finished batch."""

    @abstractmethod
    def add_vectors(
        self, keys: np.ndarray, hashes: np.ndarray, pooled: np.ndarray, tokens: Sequence[np.ndarray]
    ) -> None:
        """Keep vectors computed elsewhere (`eval` and `bench` load cached encodings): `hashes`
        are `embedlog.text_hash` of the texts they were encoded from."""

    @abstractmethod
    def fold(self) -> None:
        """End of an embedding job (also when interrupted): make its batches part of the saved
        index."""

    # --- search --------------------------------------------------------------------------

    @abstractmethod
    def search(self, query: Query, *, k: int, mode: Mode = "hybrid") -> Hits:
        """The best k keys for a query (k counts from the first result: pagination slices).
        No text and no filter: every paper, newest first; filters only: newest first."""

    @abstractmethod
    def similar(
        self,
        *,
        keys: Sequence[int] = (),
        text: str | None = None,
        k: int,
        query: Query | None = None,
    ) -> Hits:
        """Papers like these papers (their keys) or like a pasted text, within `query`'s filters;
        the given papers themselves are left out."""

    def similar_lists(
        self,
        *,
        keys: Sequence[int] = (),
        text: str | None = None,
        k: int,
        query: Query | None = None,
    ) -> dict[str, Hits]:
        """The lists `similar` fuses, by name ("lexical", "dense"), for `paperwire eval
        similar`; a backend that fuses inside the engine gives its one list."""
        return {"similar": self.similar(keys=keys, text=text, k=k, query=query)}

    # --- what recommendations, Ask and snippets read -------------------------------------

    @abstractmethod
    def __len__(self) -> int:
        """Papers indexed."""

    @abstractmethod
    def days(self, keys: np.ndarray) -> np.ndarray:
        """Listing day (days since 1970-01-01, -1 unknown) of each key, int32."""

    @abstractmethod
    def embedded_keys(self) -> np.ndarray:
        """Keys that have a dense vector, sorted (int64)."""

    @abstractmethod
    def vectors(self, keys: np.ndarray | Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
        """(found: bool per key, unit dense vectors float32 [len(keys), dim], zero rows where
        not found), in the order given."""

    @abstractmethod
    def by_vector(self, weights: np.ndarray, k: int, *, allow: np.ndarray | None = None) -> Hits:
        """The k embedded papers (of `allow`, sorted keys, when given) with the largest dot
        product with `weights` (a recommendation model's weight vector), exact."""

    @property
    @abstractmethod
    def analyzer(self) -> Analyzer:
        """The text analyzer of the lexical index (words -> terms), for highlighting and
        weighing words as the index does."""

    @abstractmethod
    def doc_freqs(self, terms: Sequence[str]) -> np.ndarray:
        """Live documents containing each analysed term (int64; 0 for an unknown term)."""

    def idf(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 idf (Lucene's) of each analysed term, from `doc_freqs`."""
        df = self.doc_freqs(terms).astype(np.float64)
        n = max(1, len(self))
        return np.log1p((n - df + 0.5) / (df + 0.5))

    @property
    @abstractmethod
    def encoder(self) -> Encoder:
        """The encoder queries (and the embedding job) go through."""

    def remember_query(self, text: str, pooled: np.ndarray, tokens: np.ndarray) -> None:  # noqa: B027
        """Keep a query's vectors computed beforehand (`eval` reads them from its cache, `bench
        search` times searches without the encoding); a backend without a query cache
        encodes the query again."""

    @abstractmethod
    def query_tokens(self, text: str) -> np.ndarray:
        """The query's token vectors (as the search that came before used them)."""

    @abstractmethod
    def token_sims(
        self, qtokens: np.ndarray, keys: Sequence[int], hashes: Sequence[int]
    ) -> list[np.ndarray | None]:
        """Per key, the similarities [doc tokens, query tokens] of its stored token vectors
        with `qtokens` (in document order), or None when the key has none or they were made
        from another text than the one whose `text_hash` is given."""

    # --- status --------------------------------------------------------------------------

    @abstractmethod
    def status(self) -> IndexStatus:
        """Counts and state for `paperwire index status`."""
