"""The digest tests' papers and constants (imported by conftest.py and the tests)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from paperwire.records import PaperRecord
from paperwire.store.users import User
from tests.support.paperfactory import arxiv_record

DAY1 = date(2026, 6, 30)
DAY2 = date(2026, 7, 1)
HOSTILE_TITLE = 'Graphs <script>alert("t")</script> & "quoted" neural <b>bold</b>'
HOSTILE_QUERY = 'neural <b>"graphs"</b>'
SECRET = "digest-tests-secret-key"


def _paper(n: int, day: date, title: str, abstract: str = "") -> PaperRecord:
    return arxiv_record(
        n,
        day,
        title=title,
        abstract=abstract or f"Abstract {n}: {title.lower()} studied at length.",
        authors=[f"Author {n}", "Grace Hopper"],
    )


def records() -> list[PaperRecord]:
    out = [_paper(i, DAY1, f"Robust transformers part {i}") for i in range(1, 7)]
    out += [_paper(10 + i, DAY2, f"Diffusion models for proteins {i}") for i in range(1, 7)]
    out.append(_paper(30, DAY1, "Neural graphs for chemistry"))
    out.append(_paper(31, DAY2, HOSTILE_TITLE, "We learn neural graphs <img src=x onerror=1>."))
    return out


Subscriber = Callable[..., User]
