"""The one factory of test paper records: every test that stores hand-made papers builds them
here, so a change to PaperRecord is made in one place.

- `paper_record(title=..., **fields)`: a record with exactly these fields (PaperRecord's own
  defaults for the rest).
- `arxiv_record(n, day, **fields)`: a full arXiv paper, number n becoming arXiv id 2607.0000n,
  listed (submitted, announced, version 1) on `day`; any other field can be given.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from paperwire.records import PaperRecord, Version


def paper_record(**fields: Any) -> PaperRecord:
    return PaperRecord(**fields)


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
    return paper_record(**values)


def old_slash_id_paper(abstract: str) -> PaperRecord:
    """Witten's 1999 paper under an old-style arXiv id with a slash (hep-th/9901001)."""
    return paper_record(
        title="Duality in string theory",
        abstract=abstract,
        authors=["Edward Witten"],
        categories=["hep-th"],
        arxiv_id="hep-th/9901001",
        submitted=date(1999, 1, 4),
        announced=date(1999, 1, 4),
        source="test",
        origin="test:old",
    )
