"""`paperwire ask` and `paperwire eval ask` as a user runs them (the console entry point,
in-process): a tiny store and a tiny BEIR folder, lexical scoring (no model needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paperwire.eval.ask import fit_confidence
from tests.support.clirun import run_main as run

PAPERS = [
    {"title": "Serving language models cheaply", "arxiv_id": "2502.00001",
     "abstract": "Serving is costly. We quantise the key value cache to two bits without "
                 "retraining the model. Memory falls eightfold.", "announced": "2025-02-01"},
    {"title": "Galaxy rotation curves", "arxiv_id": "2502.00002",
     "abstract": "We measure rotation curves of spiral galaxies. Dark matter explains them.",
     "announced": "2025-02-02"},
]  # fmt: skip


@pytest.fixture
def home(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    data = tmp_path / "papers.jsonl"
    data.write_text("".join(json.dumps(p) + "\n" for p in PAPERS))
    home = tmp_path / "home"
    assert run(capsys, "--home", str(home), "ingest", "jsonl", str(data))[0] == 0
    return home


def test_ask_prints_cited_evidence(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--home", str(home), "ask", "which methods quantise the key value cache?"]
    code, out, _ = run(capsys, *args, "--mode", "bm25", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["found"] and result["evidence"][0]["paper_id"] == "2502.00001"
    assert result["evidence"][0]["sentence"].startswith("We quantise the key value cache")
    code, out, _ = run(capsys, *args, "--mode", "bm25")
    assert code == 0 and "[E1] We quantise" in out and "2502.00001" in out
    code, _, err = run(capsys, *args, "--generate")
    assert code == 2 and "PAPERWIRE_LLM_URL" in err
    code, out, _ = run(capsys, "--home", str(home), "ask", "zzyzx qwop", "--mode", "bm25")
    assert code == 0 and "No good evidence found" in out
    code, _, err = run(capsys, "--home", str(home), "ask", "cat:cs.CL")
    assert code == 2 and "in words" in err


def _beir(folder: Path) -> Path:
    docs = [
        ("d1", "Kidney disease and folic acid",
         "Folic acid slows kidney disease. Folic acid dosage matters for kidney patients. "
         "Trials of folic acid in kidney disease ran for years."),
        ("d2", "Liver transplants", "Methadone patients receive liver transplants. Kidney "
         "function was not measured."),
        ("d3", "Prion positivity", "Prion positivity in the United Kingdom is rare. "
         "Prion screening of tonsils found abnormal prion protein."),
        ("d4", "Tonsil surveys", "Tonsils were collected in surveys. Abnormal findings are rare "
         "in surveys."),
    ]  # fmt: skip
    folder.mkdir()
    (folder / "qrels").mkdir()
    (folder / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n" for i, t, x in docs)
    )
    queries = {"q1": "folic acid slows kidney disease", "q2": "abnormal prion positivity"}
    (folder / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in queries.items())
    )
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\n")
    return folder


def test_eval_ask_beats_first_sentences(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    beir = _beir(tmp_path / "tiny")
    args = ["--home", str(tmp_path / "h"), "eval", "ask", str(beir), "--lexical"]
    code, out, _ = run(capsys, *args, "--json")
    assert code == 0
    report = json.loads(out)
    ours, base = report["results"]["ask"], report["results"]["baseline_first_sentences"]
    assert (report["questions"], report["mode"], report["scoring"]) == (2, "bm25", "lexical")
    assert ours["evidence_p@1"] == base["evidence_p@1"] == 1.0
    # Two sentences of the relevant paper, then one of another; the baseline: one per hit.
    assert ours["evidence_p@3"] == round(2 / 3, 4) and base["evidence_p@3"] == round(1 / 3, 4)
    code, out, _ = run(capsys, *args)
    assert code == 0 and "0.6667" in out and "0.3333" in out


def test_confidence_curve_rises_and_sets_the_floor() -> None:
    best = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0] * 5
    correct = [b > 0.45 for b in best]
    correct[0] = correct[-1] = not correct[0]  # not separable: a finite slope
    a, _, floor = fit_confidence(best, correct)
    assert a > 0 and 0.2 < floor < 0.5
