"""The whole 2025-2026 daily corpus and the seed pages: exact paper counts and merging."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from paperwire.ingest.files import DailyJsonl
from paperwire.ingest.listing import ListingPages
from paperwire.ingest.runner import run_ingest
from paperwire.store import Store, open_store
from paperwire.store.papers import count_papers, get_paper
from tests.support.shared_data import DATA, SHARED, need

pytestmark = pytest.mark.slow
DAILY = DATA / "arxiv" / "daily-arxiv-cs-2025-2026"
SEEDS = SHARED / "seed-pages"


@pytest.fixture(scope="module")
def full_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    need(DAILY)
    db = tmp_path_factory.mktemp("full") / "paperwire.db"
    with open_store(url=f"sqlite:///{db}") as store:
        yield store


def test_daily_corpus_gives_74728_papers_and_a_rerun_adds_nothing(full_store: Store) -> None:
    first = run_ingest(full_store, DailyJsonl([DAILY]))
    assert first.records == 120_405
    assert first.rejected == 0
    assert first.new == 74_728
    assert count_papers(full_store) == 74_728

    second = run_ingest(full_store, DailyJsonl([DAILY]))
    assert (second.new, second.updated, second.merged, second.rejected) == (0, 0, 0, 0)
    assert second.unchanged == 120_405
    assert count_papers(full_store) == 74_728


def test_seed_pages_merge_into_the_daily_papers(full_store: Store) -> None:
    summary = run_ingest(full_store, ListingPages([need(SEEDS)], year=2026))
    # 393 listings of 305 distinct papers, 7 of which are already stored from the daily corpus.
    assert summary.records == 393
    assert summary.new == 305 - 7
    assert summary.merged == 7
    assert count_papers(full_store) == 74_728 + 305 - 7
    paper = get_paper(full_store, "2503.18414")  # "U-REPA: Aligning Diffusion U-Nets to ViTs"
    assert paper["sources"] == ["daily-jsonl", "listing-page"]
    assert paper["authors"][0] == "Yuchuan Tian"


def test_seed_pages_alone_give_305_papers(tmp_path: Path) -> None:
    with open_store(url=f"sqlite:///{tmp_path / 'seeds.db'}") as store:
        summary = run_ingest(store, ListingPages([need(SEEDS)]))
        assert (summary.records, summary.rejected) == (393, 0)
        assert count_papers(store) == 305
        again = run_ingest(store, ListingPages([SEEDS]))
        assert again.changed == 0
