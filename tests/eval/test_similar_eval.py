"""The similar-papers evaluation's judgements and set, and the paired comparison statistics."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from paperwire.eval.similar import build_set, judgements, read_daily
from paperwire.eval.stats import compare, paired_randomisation
from tests.support.clirun import run_main as run


def paper(pid: str, title: str, authors: list[str], cat: str = "cs.CL", **extra: str) -> dict:
    return {"id": pid, "title": title, "authors": authors, "categories": [cat], **extra}


def write_day(folder: Path, records: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(folder / "2025-03-18.jsonl.gz", "wt", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r) + "\n")
    return folder


RECORDS = [
    paper("2503.00001", "Parsing with graphs", ["Ada Lovelace", "Alan Turing", "Grace Hopper"]),
    paper("2503.00002", "Graph parsers, again", ["ada lovelace", "Alan  Turing"]),  # 2 shared
    paper("2503.00003", "Vision", ["Ada Lovelace", "Alan Turing"], cat="cs.CV"),  # other area
    paper("2503.00004", "One author only", ["Ada Lovelace", "Kurt Gödel"]),  # 1 shared
    paper("2503.00005", "Same code", ["X Y"], summary="Code: https://github.com/lab/parse."),
    paper("2503.00006", "Uses it", ["Z W"], comment="see github.com/Lab/Parse/tree/main"),
    paper("2503.00007", "Extends 2503.00005", ["Q R"], comment="extends arXiv:2503.00005v2"),
]


def test_judgements_from_authors_repositories_and_mentions(tmp_path: Path) -> None:
    papers = read_daily(write_day(tmp_path / "daily", RECORDS))
    rel = judgements(papers)
    assert rel["2503.00001"] == {"2503.00002": 1}  # not the cs.CV paper, not the 1-author match
    assert rel["2503.00005"] == {"2503.00006": 2, "2503.00007": 2}
    assert rel["2503.00007"] == {"2503.00005": 2}
    assert "2503.00004" not in rel


def test_build_set_is_deterministic_and_holds_every_judged_paper(tmp_path: Path) -> None:
    papers = read_daily(write_day(tmp_path / "daily", RECORDS))
    one, two = build_set(papers, queries=5, docs=7), build_set(papers, queries=5, docs=7)
    assert one.qrels == two.qrels and one.split_of == two.split_of
    assert set(one.queries) == {"2503.00005"}  # the only paper with 2 or more judged papers
    ids = {p.id for p in one.papers}
    assert all(r in ids for q in one.qrels.values() for r in q)


def test_compare_counts_and_paired_randomisation() -> None:
    base = {f"q{i}": 0.5 for i in range(40)}
    better = {q: 0.6 for q in base} | {"q0": 0.4}
    c = compare(better, base)
    assert (c["wins"], c["losses"], c["ties"]) == (39, 1, 0)
    assert c["p_value"] < 0.001 and c["mean_diff"] == 0.095
    same = compare(base, base)
    assert (same["ties"], same["p_value"]) == (40, 1.0)
    noise = np.tile([0.1, -0.1], 20)
    assert paired_randomisation(noise, np.zeros(40)) == 1.0  # mean difference exactly 0
    assert 0.05 < paired_randomisation(noise + 0.01, np.zeros(40)) < 1.0


@pytest.mark.model
def test_eval_similar_command_reports_each_method_and_the_comparison(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PAPERWIRE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PAPERWIRE_ENCODER", raising=False)
    folder = write_day(tmp_path / "daily", RECORDS)
    code, out, err = run(capsys, "eval", "similar", str(folder), "--docs", "7", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["queries"], report["docs"]) == (1, 6)  # 3 judged + 3 cs.CL distractors
    split = next(s for s in report["splits"].values() if s["queries"])
    assert set(split) >= {"lexical", "dense", "fusion", "fusion_vs_lexical", "fusion_vs_dense"}
    assert set(split["fusion"]) == {"ndcg@10", "map@100"}
    assert (
        split["fusion_vs_dense"]["ndcg@10"]["wins"]
        + split["fusion_vs_dense"]["ndcg@10"]["losses"]
        + split["fusion_vs_dense"]["ndcg@10"]["ties"]
        == 1
    )
    code, out, _ = run(capsys, "eval", "similar", str(folder), "--docs", "7")
    assert code == 0 and "similar papers" in out and "fusion" in out
