"""Poison pills: one record the parser or the database cannot take must never block the others.

Each JSON-reading source gets a file with good records around lone surrogates ("\\ud800"), NUL
and 100k-deep nesting; every good record must be stored (SQLite and PostgreSQL), every bad one
rejected alone with its file:line, and the ingest_runs row must end `done` or `failed`.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from paperwire.errors import SourceError
from paperwire.ingest.base import Cursor
from paperwire.ingest.files import DailyJsonl, KaggleSnapshot, PlainCsv, PlainJsonl
from paperwire.ingest.hf_daily import HfDailyPapers
from paperwire.ingest.oai import OaiDump
from paperwire.ingest.runner import run_ingest
from paperwire.records import Item, PaperRecord, Rejected
from paperwire.store import Store, open_store
from paperwire.store.checkpoints import load_checkpoint
from paperwire.store.papers import count_papers, get_paper
from paperwire.store.schema import ingest_runs

DEEP = "[" * 100_000 + "]" * 100_000
GOOD = [f"2501.0000{i}" for i in range(1, 6)]


def _runs(store: Store) -> list[tuple[str, str | None]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(ingest_runs.c.status, ingest_runs.c.message))]


def _lines(good: list[str], poison: list[str]) -> tuple[str, list[int]]:
    """Good lines with poison lines between them; (text, 1-based numbers of the poison)."""
    out, bad = [], []
    for i, line in enumerate(good):
        out.append(line)
        if i < len(poison):
            out.append(poison[i])
            bad.append(len(out))
    return "\n".join(out) + "\n", bad


def _daily(arxiv_id: str, **extra: Any) -> str:
    obj = {"id": arxiv_id, "title": f"Paper {arxiv_id}", "summary": "An abstract."} | extra
    return json.dumps(obj)


POISON_DAILY = [
    '{"id": "2501.09991", "title": "bad \\ud800 title", "summary": "x"}',
    '{"id": "2501.09992", "title": "ok", "comment": "a\\u0000b"}',
    DEEP,
    '{"id": "2501.09993", "title": "deep field", "authors": ' + "[" * 5000 + "]" * 5000 + "}",
]


def _kaggle(arxiv_id: str, **extra: Any) -> str:
    obj = {"id": arxiv_id, "title": f"Paper {arxiv_id}", "abstract": "An abstract."} | extra
    return json.dumps(obj)


POISON_KAGGLE = [
    '{"id": "2501.09991", "title": "t", "journal-ref": "J. \\udfff 12"}',
    '{"id": "2501.09992", "title": "t", "doi": "10.1/\\u0000"}',
    DEEP,
]


def _plain(arxiv_id: str) -> str:
    return json.dumps({"arxiv_id": arxiv_id, "title": f"Paper {arxiv_id}"})


POISON_PLAIN = [
    '{"title": "lone \\ud83d half of an emoji"}',
    '{"title": "t", "links": ["https://github.com/a/\\u0000"]}',
    DEEP,
    '{"title": "t", "categories": ["cs.\\udc80"]}',
]


def _oai(arxiv_id: str) -> str:
    return json.dumps([arxiv_id, {"title": [f"Paper {arxiv_id}"], "creator": ["A. B."]}])


POISON_OAI = [
    '["2501.09991", {"title": ["bad \\ud800"]}]',
    '["2501.09992", {"title": ["t"], "description": ["a\\u0000b"]}]',
    DEEP,
]


def _check(store: Store, summary: Any, name: str, bad_lines: list[int]) -> None:
    assert count_papers(store) == len(GOOD), summary.rejects
    for arxiv_id in GOOD:
        assert get_paper(store, arxiv_id)["title"] == f"Paper {arxiv_id}"
    assert summary.rejected == len(bad_lines)
    origins = [r.split(":")[:2] for r in summary.rejects]
    assert [[f, n.split()[0]] for f, n in origins] == [[name, str(n)] for n in bad_lines]
    assert _runs(store) == [("done", None)]


@pytest.mark.parametrize(
    ("kind", "make", "poison"),
    [
        ("daily", _daily, POISON_DAILY),
        ("kaggle", _kaggle, POISON_KAGGLE),
        ("jsonl", _plain, POISON_PLAIN),
        ("oai-dump", _oai, POISON_OAI),
    ],
)
def test_a_file_with_poison_records_stores_every_good_one(
    store: Store, tmp_path: Path, kind: str, make: Any, poison: list[str]
) -> None:
    text, bad = _lines([make(i) for i in GOOD], poison)
    path = tmp_path / "2025-01-02.jsonl.gz"
    path.write_bytes(gzip.compress(text.encode()))
    source = {"daily": DailyJsonl, "kaggle": KaggleSnapshot, "jsonl": PlainJsonl}.get(kind)
    src = source([path]) if source else OaiDump([path])
    summary = run_ingest(store, src, batch_size=2)
    _check(store, summary, path.name, bad)
    again = run_ingest(store, source([path]) if source else OaiDump([path]))  # and on a re-run
    assert (again.rejected, again.unchanged) == (len(bad), len(GOOD))


def _hf_item(arxiv_id: str) -> str:
    paper = {"id": arxiv_id, "title": f"Paper {arxiv_id}", "summary": "An abstract."}
    return json.dumps({"paper": paper, "publishedAt": "2025-01-02T10:00:00.000Z"})


def test_hf_daily_file_with_poison_items_stores_every_good_one(
    store: Store, tmp_path: Path
) -> None:
    items = [_hf_item(i) for i in GOOD]
    deep = '{"paper": ' + DEEP + "}"
    surrogate = '{"paper": {"id": "2501.09991", "title": "bad \\ud800"}}'
    nul = '{"paper": {"id": "2501.09992", "title": "t", "summary": "x\\u0000"}}'
    items[1:1] = [deep, surrogate]
    items.append(nul)
    path = tmp_path / "daily.json"
    path.write_text("[\n" + ",\n".join(items) + "\n]")
    summary = run_ingest(store, HfDailyPapers(path=path))
    assert count_papers(store) == len(GOOD), summary.rejects
    assert [r.split(": ")[0] for r in summary.rejects] == [
        f"{path}[1]",
        f"{path}[2] (2501.09991)",
        f"{path}[7] (2501.09992)",
    ]
    assert "nested too deeply" in summary.rejects[0]
    assert _runs(store) == [("done", None)]


def test_hf_daily_file_that_is_deep_but_not_a_list_fails_clearly(tmp_path: Path) -> None:
    path = tmp_path / "daily.json"
    path.write_text('{"a": ' + DEEP + "}")
    with pytest.raises(SourceError, match="nested too deeply"):
        list(HfDailyPapers(path=path).items())


class _Unchecked:
    """A source whose records skip `finish()`: what the database makes of raw poison."""

    name = "unchecked"
    key = "unchecked:test"
    total = None

    def __init__(self, records: list[PaperRecord], fail_after: int | None = None) -> None:
        self.records, self.fail_after = records, fail_after

    def items(self, resume: dict[str, Any] | None = None) -> Iterator[tuple[Item, Cursor]]:
        for i, record in enumerate(self.records):
            if i == self.fail_after:
                raise RuntimeError("a bug in a parser")
            yield record, Cursor({"i": i}, i + 1)


def _raw(n: int, **fields: Any) -> PaperRecord:
    return PaperRecord(
        title=f"Raw {n}", arxiv_id=f"2502.0000{n}", origin=f"raw:{n}", source="unchecked", **fields
    )


def test_the_database_refusing_one_record_rejects_only_that_record(store: Store) -> None:
    records = [
        _raw(1),
        _raw(2, comments="bad \ud800"),
        _raw(3),
        _raw(4, abs_url="https://x/\udfff"),
    ]
    summary = run_ingest(store, _Unchecked(records), batch_size=10)
    assert count_papers(store) == 2
    assert summary.new == 2 and summary.rejected == 2
    assert [r.split(": ")[0] for r in summary.rejects] == ["raw:2", "raw:4"]
    assert all("the database refused it" in r for r in summary.rejects)
    assert _runs(store) == [("done", None)]


def test_an_unexpected_error_marks_the_run_failed(store: Store) -> None:
    with pytest.raises(RuntimeError):
        run_ingest(store, _Unchecked([_raw(1), _raw(2), _raw(3)], fail_after=2), batch_size=1)
    assert _runs(store) == [("failed", "a bug in a parser")]
    assert count_papers(store) == 2  # committed batches stay


# --- two ingests at once -------------------------------------------------------------------


def test_two_overlapping_ingests_at_once_both_finish(store: Store, tmp_path: Path) -> None:
    """Both match a batch, both find nothing, both insert: without the writer lock the second
    died with IntegrityError UNIQUE papers.arxiv_id."""
    ids = [f"2503.{n:05d}" for n in range(1, 301)]
    files = []
    for name, order in (("a.jsonl", ids), ("b.jsonl", ids[::-1])):
        files.append(tmp_path / name)
        files[-1].write_text("".join(_plain(i) + "\n" for i in order))
    url = store.engine.url.render_as_string(hide_password=False)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def ingest(path: Path) -> None:
        with open_store(url=url) as own:
            start.wait()
            try:
                run_ingest(own, PlainJsonl([path]), batch_size=25)
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=ingest, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert count_papers(store) == len(ids)
    assert sorted(status for status, _ in _runs(store)) == ["done", "done"]


# --- blank lines and files of nothing but rejects -------------------------------------------


def _blank_gzip(path: Path, megabytes: int, tail: bytes) -> Path:
    chunk = b"\n" * (1 << 20)
    with gzip.open(path, "wb", compresslevel=1) as f:
        for _ in range(megabytes):
            f.write(chunk)
        f.write(tail)
    return path


@pytest.mark.parametrize("kind", ["jsonl", "oai-dump"])
def test_100_mb_of_blank_lines_cost_next_to_nothing(tmp_path: Path, kind: str) -> None:
    tail = (_plain("2504.00001") if kind == "jsonl" else _oai("2504.00001")).encode() + b"\n"
    path = _blank_gzip(tmp_path / "blank.jsonl.gz", 100, tail)
    source = PlainJsonl([path]) if kind == "jsonl" else OaiDump([path])
    started = time.process_time()
    items = list(source.items())
    cpu = time.process_time() - started
    assert [(i.origin.split()[0], i.title) for i, _ in items] == [  # type: ignore[union-attr]
        (f"blank.jsonl.gz:{100 * (1 << 20) + 1}", "Paper 2504.00001")
    ]
    # Decompressing 100 MB alone takes ~0.3 s; one Python step per line took minutes.
    assert cpu < 10, f"{cpu:.1f} s of CPU for blank lines"


class _Rejects:
    """A source of nothing but rejects that dies (a crash, not a source error) after `n`."""

    name = "rejects"
    key = "rejects:test"
    total = None

    def __init__(self, n: int) -> None:
        self.n = n

    def items(self, resume: dict[str, Any] | None = None) -> Iterator[tuple[Item, Cursor]]:
        for i in range(int((resume or {}).get("i", -1)) + 1, self.n):
            yield Rejected(f"rejects:{i}", "broken"), Cursor({"i": i}, i + 1)
        raise RuntimeError("killed")


def test_only_rejects_still_checkpoint_progress(store: Store) -> None:
    with pytest.raises(RuntimeError):
        run_ingest(store, _Rejects(35), batch_size=10)
    assert load_checkpoint(store, _Rejects.key) == {"i": 29}  # every 10 items, records or not


# --- smaller holes (issue 17, Low) ----------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "10.1000/ABC.def",
        "https://www.doi.org/10.1000/abc.def",
        "http://dx.doi.org/10.1000/abc.def",
        "https://doi.org/10.1000%2Fabc.def",
        "10.1000%2fabc.def",
        "doi:10.1000/abc.def",
        "info:doi/10.1000/abc.def",
    ],
)
def test_every_doi_spelling_is_the_same_doi(spelling: str) -> None:
    from paperwire.records import normalize_doi

    assert normalize_doi(spelling) == "10.1000/abc.def"


def test_csv_with_a_utf8_bom_reads_its_header(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbftitle,arxiv_id\r\nA paper,2505.00001\r\n")
    items = [item for item, _ in PlainCsv([path]).items()]
    assert [(i.title, i.arxiv_id) for i in items] == [("A paper", "2505.00001")]  # type: ignore[union-attr]


def test_listing_page_with_a_long_title_line(tmp_path: Path) -> None:
    from paperwire.ingest.listing import TITLE_MAX, ListingPages

    long_title = "A very long title " * 20  # 360 characters, over TITLE_MAX
    assert len(long_title.strip()) > TITLE_MAX
    abstract = "We study long titles. " * 40
    page = tmp_path / "page.txt"
    page.write_text(
        f"new\nMar 14\n\n{long_title}\n\n{abstract}\n\nShort title\n\nIts abstract is here.\n"
    )
    items = list(ListingPages([page], year=2025).parse_page(page))
    got = [(i.title, i.abstract[:22], i.origin) for i in items]  # type: ignore[union-attr]
    assert got == [
        (long_title.strip(), "We study long titles. ", "page.txt:4"),
        ("Short title", "Its abstract is here.", "page.txt:8"),
    ]
