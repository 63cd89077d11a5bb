"""One hand-made arXiv paper record for tests: number n becomes arXiv id 2607.0000n, listed
(submitted, announced, version 1) on `day`; any other field can be given."""

from __future__ import annotations

from datetime import date

from paperwire.records import PaperRecord, Version


def arxiv_record(n: int, day: date, **fields: object) -> PaperRecord:
    values: dict[str, object] = {
        "title": f"Paper {n}",
        "abstract": f"Abstract {n}.",
        "authors": [f"Author {n}"],
        "categories": ["cs.LG"],
        "arxiv_id": f"2607.{n:05d}",
        "versions": [Version(1, day)],
        "submitted": day,
        "announced": day,
        "source": "test",
        "origin": f"test:{n}",
    }
    values.update(fields)
    return PaperRecord(**values)  # type: ignore[arg-type]
