"""Hugging Face daily papers' upvotes and submitter: kept as an external signal of the paper
(paper_signals), replaced on a later ingest, never added to our own votes; a malformed count
drops the signal, not the paper."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from paperwire.ingest.hf_daily import HfDailyPapers
from paperwire.ingest.runner import run_ingest
from paperwire.store import Store
from paperwire.store.schema import votes
from paperwire.store.signals import signals_by_id

HF_FILE = "daily_papers.2024-10-25.first2.json"
IDS = ["2410.17243", "2410.16251"]


@pytest.fixture
def hf_items(fixtures_dir: Path) -> list[dict]:
    data: list[dict] = json.loads((fixtures_dir / "hf-daily-papers" / HF_FILE).read_bytes())
    return data


def _ingest(store: Store, items: list[dict], tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(json.dumps(items))
    summary = run_ingest(store, HfDailyPapers(path=path))
    assert summary.rejected == 0, summary.rejects


def test_upvotes_and_submitter_are_kept_apart(
    store: Store, hf_items: list[dict], tmp_path: Path
) -> None:
    _ingest(store, hf_items, tmp_path, "day.json")
    found = signals_by_id(store, IDS)
    assert [(s.label, s.upvotes, s.submitter) for s in found["2410.17243"]] == [
        ("HF", 64, "Zesen Cheng")
    ]
    assert [(s.upvotes, s.submitter) for s in found["2410.16251"]] == [(41, "Canyu Chen")]
    with store.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(votes)) == 0


def test_a_later_ingest_replaces_the_count(
    store: Store, hf_items: list[dict], tmp_path: Path
) -> None:
    _ingest(store, hf_items, tmp_path, "first.json")
    hf_items[0]["paper"]["upvotes"] = 99
    hf_items[0]["submittedBy"] = {"name": "only-a-handle"}
    _ingest(store, hf_items, tmp_path, "second.json")
    signals = signals_by_id(store, IDS)["2410.17243"]
    assert [(s.upvotes, s.submitter) for s in signals] == [(99, "only-a-handle")]


@pytest.mark.parametrize("bad", ["12", -3, True, 10**12, None, [1]])
def test_a_malformed_count_drops_the_signal_not_the_paper(
    store: Store, hf_items: list[dict], tmp_path: Path, bad: object
) -> None:
    hf_items[0]["paper"]["upvotes"] = bad
    hf_items[0]["submittedBy"] = "not an object"
    _ingest(store, hf_items, tmp_path, "bad.json")
    found = signals_by_id(store, IDS)
    assert "2410.17243" not in found and found["2410.16251"][0].upvotes == 41
