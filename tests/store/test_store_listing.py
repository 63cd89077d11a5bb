"""The web's list reads (paperwire.store.listing) on SQLite and PostgreSQL: ranges of listing
days, counts, neighbouring days, categories, and the trending (recency) order."""

from __future__ import annotations

from datetime import date

from paperwire.records import PaperRecord
from paperwire.store import Store, listing
from paperwire.store.papers import upsert_records
from tests.support.paperfactory import paper_record

D1, D2, D3 = date(2026, 6, 22), date(2026, 6, 24), date(2026, 7, 1)


def _paper(n: int, day: date | None, cats: list[str], **kw: object) -> PaperRecord:
    return paper_record(
        title=f"Listing paper {n}",
        arxiv_id=f"2606.{n:05d}",
        categories=cats,
        announced=day,
        source="test",
        **kw,  # type: ignore[arg-type]
    )


def _fill(store: Store) -> None:
    upsert_records(
        store,
        [
            _paper(1, D1, ["cs.CL"]),
            _paper(2, D2, ["cs.LG", "cs.CL"]),
            _paper(3, D3, ["cs.CL"]),
            _paper(4, D3, ["cs.LG"], links=["https://github.com/a/b"]),
            _paper(5, D3, ["cs.LG"]),
            _paper(6, None, ["hep-th"], submitted=date(1999, 1, 4)),  # listed by submission
        ],
    )


def ids(rows: list[dict[str, object]]) -> list[object]:
    return [r["id"] for r in rows]


def test_ranges_counts_and_orders(store: Store) -> None:
    _fill(store)
    assert ids(listing.list_range(store, first=D3, last=D3)) == [
        "2606.00003",
        "2606.00004",
        "2606.00005",
    ]
    recency = listing.list_range(store, first=D2, last=D3, order="recency")
    assert ids(recency) == ["2606.00004", "2606.00003", "2606.00005", "2606.00002"]
    assert listing.count_range(store, first=D2, last=D3) == 4
    assert listing.count_range(store, category="cs.CL") == 3
    assert ids(listing.list_range(store, category="cs.CL", limit=1, offset=1)) == ["2606.00002"]
    assert ids(listing.list_range(store, last=date(2000, 1, 1))) == ["2606.00006"]
    assert listing.count_range(store) == 6


def test_days_neighbours_and_categories(store: Store) -> None:
    assert listing.latest_listing_day(store) is None
    _fill(store)
    assert listing.latest_listing_day(store) == D3
    assert listing.neighbour_days(store, first=D2, last=D2) == (D1, D3)
    assert listing.neighbour_days(store, first=D1, last=D1) == (date(1999, 1, 4), D2)
    assert listing.neighbour_days(store, first=D3, last=date(2026, 7, 5)) == (D2, None)
    assert listing.days_with_counts(store, first=D1, last=D3) == [(D3, 3), (D2, 1), (D1, 1)]
    assert listing.categories_with_counts(store) == [
        ("cs.CL", 3),
        ("cs.LG", 3),
        ("hep-th", 1),
    ]
    assert listing.categories_with_counts(store, primary_only=True)[0] == ("cs.LG", 3)
    assert listing.category_exists(store, "hep-th")
    assert not listing.category_exists(store, "cs.XX")
