"""`paperwire bench ask`'s synthetic vectors: recombined from a pool, yet laid out so that Ask
maps each paper's tokens onto its own sentences (token counts and text hashes match)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

from paperwire.bench.ask import add_synthetic_vectors
from paperwire.index.embedded import EmbeddedIndex
from paperwire.index.encoders import load_encoder
from paperwire.index.manager import iter_docs, update_index
from paperwire.search.ask import ask
from paperwire.store import open_store
from paperwire.store.papers import upsert_records
from tests.support.paperfactory import paper_record

PAPERS = [
    paper_record(title=f"Paper {n} on caches", arxiv_id=f"2502.0000{n}", source="test",
                announced=date(2025, 2, n),
                abstract=f"Key value caches take memory. Method {n} quantises the cache "
                         "without retraining. " * n)
    for n in range(1, 4)
]  # fmt: skip
QUESTION = "which methods quantise the key value cache without retraining?"


def test_synthetic_vectors_line_up_with_each_paper(tmp_path: Path) -> None:
    encoder = load_encoder(None)
    with open_store(url=f"sqlite:///{tmp_path}/db") as store:
        upsert_records(store, PAPERS)
        folder = tmp_path / "index"
        update_index(store, EmbeddedIndex.open(folder))
        add_synthetic_vectors(store, folder, encoder, pool_size=2, cache_dir=tmp_path / "cache")
        index = EmbeddedIndex.open(folder, encoder=encoder)
        docs = [d for batch in iter_docs(store) for d in batch]
        counts = [len(o) for o in encoder.token_offsets([d.text() for d in docs], kind="doc")]  # type: ignore[attr-defined]
        assert index.tokens is not None and len(index.tokens) == len(PAPERS)
        stored = index.tokens.token_counts(np.array([d.key for d in docs]))
        assert stored.tolist() == counts
        assert index.dense is not None and len(index.dense) == len(PAPERS)
        result = ask(store, index, QUESTION)
        assert result["scoring"] == "maxsim+lexical"  # the tokens were taken as the papers' own
