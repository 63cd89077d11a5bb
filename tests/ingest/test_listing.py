"""Listing pages: the five real seed pages, date banners, and hand-written awkward pages."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from paperwire.ingest.listing import HEADER_LINES, ListingPages, banner_day
from paperwire.records import Item, PaperRecord, Rejected
from tests.support.shared_data import SHARED, need

SEEDS = SHARED / "seed-pages"
GLUED = "001_e9db9a78a920483f.txt"  # its first title is glued to "Subscribe", and no banner
HEADER = (  # lines 1-8 of every captured page
    "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\n"
    "byAK and the research community\n\n"
)
LONG = "This abstract has no title line before it, which is a broken page. " * 6


def items_of(source: ListingPages) -> list[Item]:
    return [item for item, _ in source.items()]


def records(items: list[Item]) -> list[PaperRecord]:
    return [i for i in items if isinstance(i, PaperRecord)]


def page(tmp_path: Path, text: str, name: str = "page.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the real seed pages ---------------------------------------------------------------------


def test_seed_pages() -> None:
    source = ListingPages([need(SEEDS)], today=date(2026, 7, 1))
    assert source.total == 5
    items = items_of(source)
    recs = records(items)
    assert len(items) == 393
    assert len(recs) == 393  # nothing rejected
    assert len({r.title for r in recs}) == 305
    assert all(r.abstract for r in recs)
    assert all(r.source == "listing-page" and r.arxiv_id is None for r in recs)
    assert not any(r.title.lower() in HEADER_LINES or "subscribe" in r.title.lower() for r in recs)
    per_page = Counter((r.origin.split(":")[0], r.announced) for r in recs)
    assert per_page == {
        ("000_e5b9243a71103b27.txt", date(2026, 3, 14)): 60,
        (GLUED, None): 200,
        ("002_d9b553e97c4fd920.txt", date(2026, 6, 6)): 54,
        ("003_77fd6bbfb8f36417.txt", date(2026, 3, 12)): 38,
        ("004_85ee763f968a5807.txt", date(2026, 6, 6)): 41,
    }
    first = recs[0]
    assert first.title == "DPO Meets PPO: Reinforced Token Optimization for RLHF"
    assert first.origin == "000_e5b9243a71103b27.txt:11"
    assert first.abstract.startswith("In the classical Reinforcement Learning from Human Feedback")


def test_title_glued_to_subscribe() -> None:
    source = ListingPages([need(SEEDS / GLUED)])
    recs = records(items_of(source))
    assert len(recs) == 200
    assert recs[0].title == (
        "Token Merging for Training-Free Semantic Binding in Text-to-Image Synthesis"
    )
    assert recs[0].origin == f"{GLUED}:3"
    assert recs[0].abstract.startswith("Although text-to-image (T2I) models exhibit remarkable")
    assert all(r.announced is None for r in recs)  # the page has no banner


def test_seed_pages_year_inferred_from_today() -> None:
    # On 2026-05-01, "Jun 6" has not come yet this year: it is last year's.
    source = ListingPages([need(SEEDS)], today=date(2026, 5, 1))
    days = {r.announced for r in records(items_of(source))}
    assert days == {date(2026, 3, 14), date(2026, 3, 12), date(2025, 6, 6), None}


def test_seed_pages_given_day_and_resume() -> None:
    source = ListingPages([need(SEEDS)], day=date(2026, 1, 2))
    items = items_of(source)
    assert {r.announced for r in records(items)} == {date(2026, 1, 2)}
    pairs = list(source.items())
    assert pairs[-1][1].state == {"pages": 5} and pairs[-1][1].done == 5
    after_two = [i for i, _ in source.items(resume={"pages": 2})]
    assert after_two == items[60 + 200 :]


# --- banners ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "year", "today", "expected"),
    [
        ("Mar 14", 2024, date(2026, 1, 1), date(2024, 3, 14)),  # the given year
        ("Mar 14", None, date(2026, 3, 20), date(2026, 3, 14)),  # already past this year
        ("Mar 14", None, date(2026, 3, 14), date(2026, 3, 14)),  # today counts as past
        ("Mar 14", None, date(2026, 3, 13), date(2025, 3, 14)),  # not yet: last year
        ("Dec 31", None, date(2026, 1, 1), date(2025, 12, 31)),
        ("Mar 14, 2024", 2025, date(2026, 1, 1), date(2024, 3, 14)),  # explicit year wins
        ("March 14", None, date(2026, 12, 31), date(2026, 3, 14)),
        ("  Jun 6 ", None, date(2026, 7, 1), date(2026, 6, 6)),
        ("Feb 29", None, date(2026, 3, 1), date(2024, 2, 29)),  # the latest leap year
        ("Feb 29", None, date(2028, 3, 1), date(2028, 2, 29)),
        ("Feb 29", 2024, date(2026, 1, 1), date(2024, 2, 29)),
        ("Feb 29", 2025, date(2026, 1, 1), None),  # no such day
        ("Feb 30", None, date(2026, 3, 1), None),
        ("Mar 14 2024", None, date(2026, 1, 1), None),
        ("14 Mar", None, date(2026, 1, 1), None),
        ("Mar", None, date(2026, 1, 1), None),
        ("mar 14", None, date(2026, 1, 1), None),
        ("The Mar 14 update", None, date(2026, 1, 1), None),
    ],
)
def test_banner_day(text: str, year: int | None, today: date, expected: date | None) -> None:
    assert banner_day(text, year=year, today=today) == expected


# --- hand-written pages ----------------------------------------------------------------------


def test_missing_abstracts_and_orphan_abstracts(tmp_path: Path) -> None:
    text = HEADER + (
        "Mar 14\n"  # line 9
        "\n"
        f"{LONG}\n"  # line 11: no title before it
        "Title A\n"  # 12
        "\n"
        "Abstract of A.\n"  # 14
        "Title B without an abstract\n"  # 15
        "\n"
        "Title C\n"  # 17
        "Abstract of C.\n"  # 18
        "\n"
        f"{LONG}\n"  # 20: again no title
        "Title D at the end\n"  # 21
    )
    items = items_of(ListingPages([page(tmp_path, text)], year=2024))
    day = date(2024, 3, 14)

    def rec(title: str, abstract: str, line: int) -> PaperRecord:
        return PaperRecord(
            title=title,
            abstract=abstract,
            announced=day,
            source="listing-page",
            origin=f"page.txt:{line}",
        )

    orphan = "abstract without a title line before it"
    assert items == [
        Rejected("page.txt:11", orphan),
        rec("Title A", "Abstract of A.", 12),
        rec("Title B without an abstract", "", 15),
        rec("Title C", "Abstract of C.", 17),
        Rejected("page.txt:20", orphan),
        rec("Title D at the end", "", 21),
    ]


def test_page_without_banner(tmp_path: Path) -> None:
    path = page(tmp_path, "SubscribeA Glued Title\nIts abstract.\nSecond\n\nSecond abstract.\n")
    items = items_of(ListingPages([path], year=2024))
    assert [(r.title, r.abstract, r.announced, r.origin) for r in records(items)] == [
        ("A Glued Title", "Its abstract.", None, "page.txt:1"),
        ("Second", "Second abstract.", None, "page.txt:3"),
    ]
    assert len(items) == 2
    given = records(items_of(ListingPages([path], day=date(2025, 5, 5))))
    assert [r.announced for r in given] == [date(2025, 5, 5)] * 2


def test_given_day_overrides_banners_and_banners_change_day(tmp_path: Path) -> None:
    text = HEADER + "Jun 6\nFirst\nAbstract one.\nJun 7\nSecond\nAbstract two.\n"
    path = page(tmp_path, text)
    banners = records(items_of(ListingPages([path], year=2025)))
    assert [r.announced for r in banners] == [date(2025, 6, 6), date(2025, 6, 7)]
    fixed = records(items_of(ListingPages([path], year=2025, day=date(2025, 1, 1))))
    assert [r.announced for r in fixed] == [date(2025, 1, 1)] * 2


def test_impossible_banner_is_rejected_not_a_crash(tmp_path: Path) -> None:
    text = HEADER + "Feb 30\nA Title\nAn abstract.\n"
    items = items_of(ListingPages([page(tmp_path, text)], today=date(2026, 3, 1)))
    assert items[0] == Rejected("page.txt:9", "date banner 'Feb 30' is not a day")
    assert [(r.title, r.announced) for r in records(items)] == [("A Title", None)]


def test_undecodable_page_is_rejected_whole(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_bytes(b"Title\nAbstract with \xff byte.\n")
    good = page(tmp_path, "Fine title\nFine abstract.\n", name="good.txt")
    items = items_of(ListingPages([tmp_path]))
    assert items[0] == Rejected("bad.txt", "invalid UTF-8 at byte 20")
    assert [r.origin for r in records(items)] == [f"{good.name}:1"]
