"""The web tests' papers: a small hand-made set with the hard cases (a busy day over one page,
$LaTeX$, hostile HTML, an old arXiv id with a slash, a doi: id, a javascript: URL)."""

from __future__ import annotations

from datetime import date, timedelta

from paperwire.records import PaperRecord
from tests.support.paperfactory import arxiv_record, old_slash_id_paper, paper_record

LATEST = date(2026, 7, 1)  # a Wednesday
BUSY_DAY_PAPERS = 35  # more than one page (30)
HOSTILE_TITLE = 'Breaking <script>alert("title")</script> & "quotes"'
HOSTILE_ABSTRACT = (
    "We inject <script>alert('xss')</script> and <img src=x onerror=alert(1)> into "
    "abstracts about robust transformers."
)


def _arxiv(n: int, day: date, **kw: object) -> PaperRecord:
    fields: dict[str, object] = {
        "title": f"Paper number {n} on robust transformers",
        "abstract": f"Abstract {n}: we study robust transformers and attention {n}.",
        "authors": [f"Author {n}", "Ada Lovelace"],
        "categories": ["cs.CL", "cs.LG"] if n % 2 else ["cs.LG"],
    }
    return arxiv_record(n, day, **{**fields, **kw})


def records() -> list[PaperRecord]:
    out = [_arxiv(i, LATEST) for i in range(1, BUSY_DAY_PAPERS + 1)]
    out[2].links = ["https://github.com/example/robust"]
    yesterday = LATEST - timedelta(days=1)
    out += [_arxiv(100 + i, yesterday) for i in range(3)]
    last_week = LATEST - timedelta(days=7)
    out.append(
        _arxiv(
            200,
            last_week,
            title="Sparse attention with $\\alpha$-entmax and $O(n \\log n)$ cost",
            abstract="We show that $\\alpha$-entmax attention costs $O(n\\log n)$ per layer.",
            categories=["cs.LG"],
        )
    )
    out.append(
        _arxiv(
            201,
            last_week,
            title=HOSTILE_TITLE,
            abstract=HOSTILE_ABSTRACT,
            pdf_url="javascript:alert(1)",
            comments="code at https://github.com/evil/repo",
            categories=["cs.CR"],
        )
    )
    out.append(old_slash_id_paper("An old paper about strings, branes and duality."))
    out.append(
        paper_record(
            title="A journal paper without an arXiv id about robust transformers",
            abstract="Published elsewhere; found by its DOI.",
            authors=["Grace Hopper"],
            categories=["cs.CL"],
            doi="10.1234/jp.2026(7)-1",
            announced=yesterday,
            source="test",
            origin="test:doi",
        )
    )
    return out
