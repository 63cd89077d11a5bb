"""The bundled demo corpus: ten days of real arXiv CS listings plus five listing pages."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from paperwire.ingest.files import DailyJsonl
from paperwire.ingest.listing import ListingPages
from paperwire.ingest.runner import IngestSummary, run_ingest
from paperwire.records import Item
from paperwire.store import Store

DATA = Path(__file__).parent / "data"


class UndatedListingPages(ListingPages):
    """The demo's listing pages: their banners (`Mar 14`) carry no year and the papers are from
    several years, so no day is stored rather than an invented one; the site shows them as
    listing-only papers (in search, without a date)."""

    def _record(self, title: str, abstract: str, day: date | None, origin: str) -> Item:
        return super()._record(title, abstract, None, origin)


def demo_sources() -> list[DailyJsonl | ListingPages]:
    return [
        DailyJsonl(sorted(DATA.glob("*.jsonl.gz"))),
        UndatedListingPages(sorted(DATA.glob("*.txt"))),
    ]


def build_demo(store: Store) -> list[IngestSummary]:
    """Ingest the demo corpus (idempotent: a second build changes nothing)."""
    return [run_ingest(store, source) for source in demo_sources()]


def demo_summary(store: Store, *, sample: int = 5) -> dict[str, Any]:
    """What `paperwire demo` prints: one screen, not the whole latest day."""
    from paperwire.store.listing import latest_listing_day
    from paperwire.store.papers import list_papers, stats

    counts = stats(store)
    day = latest_listing_day(store)
    rows = list_papers(store, day=day, limit=10_000) if day else []
    return {
        "papers": counts["papers"],
        "days": counts["days"],
        "first_day": counts["first_day"],
        "last_day": counts["last_day"],
        "sources": counts["sources"],
        "top_categories": dict(list(counts["top_primary_categories"].items())[:5]),
        "latest_day": day,
        "latest_day_papers": len(rows),
        "sample": rows[:sample],
    }
