"""Benchmark corpora: real papers from the daily arXiv files, then synthetic papers recombined
from real sentences (real vocabulary and lengths, not real meaning) up to any size."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from paperwire.index.base import Doc

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def real_docs(folder: Path, limit: int | None = None) -> list[Doc]:
    """Unique papers of the per-day files (first listing wins), keys 0..n-1 in file order."""
    docs: list[Doc] = []
    seen: set[str] = set()
    for f in sorted(folder.glob("*.jsonl.gz")):
        day = int(np.datetime64(f.name[:10], "D").astype(np.int64))
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            for line in fh:
                o = json.loads(line)
                if o["id"] in seen:
                    continue
                seen.add(o["id"])
                docs.append(
                    Doc(
                        key=len(docs),
                        title=" ".join(o["title"].split()),
                        abstract=" ".join(o["summary"].split()),
                        authors=o["authors"],
                        categories=o["categories"],
                        day=day,
                        has_code="github.com" in o["summary"],
                    )
                )
                if limit is not None and len(docs) >= limit:
                    return docs
    return docs


def synthetic_docs(base: list[Doc], n: int, *, seed: int = 0) -> Iterator[Doc]:
    """`n` docs: the real ones first, then recombinations (title from one paper, abstract of
    sentences from several, authors and categories of another), keys continuing."""
    yield from base[:n]
    rng = np.random.default_rng(seed)
    sentences = [s for d in base for s in _SENTENCE.split(d.abstract) if len(s) > 20]
    lengths = np.array([len(_SENTENCE.split(d.abstract)) for d in base])
    for key in range(len(base), n):
        a, b = rng.integers(len(base), size=2)
        count = int(lengths[rng.integers(len(lengths))])
        picks = rng.integers(len(sentences), size=max(1, count))
        yield Doc(
            key=key,
            title=base[a].title,
            abstract=" ".join(sentences[i] for i in picks),
            authors=base[b].authors,
            categories=base[b].categories,
            day=base[b].day,
            has_code=base[a].has_code,
        )
