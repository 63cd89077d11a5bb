"""The bundled demo corpus: ten days of real arXiv CS listings plus five listing pages."""

from __future__ import annotations

from pathlib import Path

from paperwire.ingest.files import DailyJsonl
from paperwire.ingest.listing import ListingPages
from paperwire.ingest.runner import IngestSummary, run_ingest
from paperwire.store import Store

DATA = Path(__file__).parent / "data"
# The pages' banners carry no year; the demo places them in the corpus's own year.
PAGES_YEAR = 2026


def demo_sources() -> list[DailyJsonl | ListingPages]:
    return [
        DailyJsonl(sorted(DATA.glob("*.jsonl.gz"))),
        ListingPages(sorted(DATA.glob("*.txt")), year=PAGES_YEAR),
    ]


def build_demo(store: Store) -> list[IngestSummary]:
    """Ingest the demo corpus (idempotent: a second build changes nothing)."""
    return [run_ingest(store, source) for source in demo_sources()]
