"""File sources: per-day arXiv JSONL, the Kaggle snapshot, plain JSONL and CSV.

Real files come from ../shared (two small day files, the 200-record Kaggle sample); bad input is
written to tmp files. Every rejection must name its exact `file:line`, and every good line around
it must still come through.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import date
from pathlib import Path

import pytest

from paperwire.errors import NotFound, SourceError
from paperwire.ingest.base import Cursor
from paperwire.ingest.files import DailyJsonl, KaggleSnapshot, PlainCsv, PlainJsonl
from paperwire.ingest.runner import run_ingest
from paperwire.records import MAX_RECORD_BYTES, Item, PaperRecord, Rejected, Version
from paperwire.store import Store
from paperwire.store.papers import get_paper
from tests.support.shared_data import DATA, need

DAILY = DATA / "arxiv" / "daily-arxiv-cs-2025-2026"
KAGGLE = DATA / "arxiv" / "kaggle-snapshot-sample" / "arxiv-metadata-oai-snapshot.json"
DAY_A, DAY_B = "2025-11-15", "2025-11-18"  # 16 and 3 records: small real days


def day_files() -> list[Path]:
    return [need(DAILY / f"{DAY_B}.jsonl.gz"), need(DAILY / f"{DAY_A}.jsonl.gz")]


def all_items(source: DailyJsonl | KaggleSnapshot | PlainJsonl | PlainCsv) -> list[Item]:
    return [item for item, _ in source.items()]


def summary(items: list[Item]) -> list[tuple[str, str]]:
    """(origin, title or rejection reason) per item: compact enough to compare exactly."""
    return [
        (i.origin, i.reason) if isinstance(i, Rejected) else (i.origin, "OK " + i.title)
        for i in items
    ]


def write_lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


# --- daily JSONL -------------------------------------------------------------------------------


def test_daily_jsonl_counts_and_days() -> None:
    source = DailyJsonl(day_files())
    assert [f.name for f in source.files] == [f"{DAY_A}.jsonl.gz", f"{DAY_B}.jsonl.gz"]
    items = all_items(source)
    lines = [gzip.decompress(f.read_bytes()).count(b"\n") for f in source.files]
    assert lines == [16, 3]
    assert len(items) == sum(lines)
    assert all(isinstance(i, PaperRecord) for i in items)
    days = [i.announced for i in items if isinstance(i, PaperRecord)]
    assert days == [date(2025, 11, 15)] * 16 + [date(2025, 11, 18)] * 3
    assert [i.origin for i in items][:2] == [
        f"{DAY_A}.jsonl.gz:1 (2511.10627)",
        f"{DAY_A}.jsonl.gz:2 (2511.10618)",
    ]
    assert items[-1].origin == f"{DAY_B}.jsonl.gz:3 (2511.11563)"
    assert source.total == sum(f.stat().st_size for f in source.files)
    assert source.key.startswith("daily-jsonl:")


def test_daily_jsonl_known_record() -> None:
    items = all_items(DailyJsonl(day_files()))
    rec = items[2]
    assert isinstance(rec, PaperRecord)
    assert rec.arxiv_id == "2511.10621"
    assert rec.title == "SSR: Socratic Self-Refine for Large Language Model Reasoning"
    assert rec.authors == [
        "Haizhou Shi",
        "Ye Liu",
        "Bo Pang",
        "Zeyu Leo Liu",
        "Hao Wang",
        "Silvio Savarese",
        "Caiming Xiong",
        "Yingbo Zhou",
        "Semih Yavuz",
    ]
    assert rec.categories == ["cs.CL", "cs.AI", "cs.LG"]
    assert rec.comments == "Preprint; work in progress"
    assert rec.announced == date(2025, 11, 15)
    assert rec.abs_url == "https://arxiv.org/abs/2511.10621"
    assert rec.pdf_url == "https://arxiv.org/pdf/2511.10621"
    assert rec.versions == [] and rec.latest_version is None
    assert rec.submitted is None and rec.updated is None and rec.doi is None
    assert rec.source == "daily-jsonl"
    assert rec.origin == f"{DAY_A}.jsonl.gz:3 (2511.10621)"
    # arXiv's hard line breaks are collapsed
    assert rec.abstract.startswith("Large Language Models (LLMs) have demonstrated remarkable")
    assert rec.abstract.endswith("github.com/SalesforceAIResearch/socratic-self-refine-reasoning.")
    assert "\n" not in rec.abstract and "  " not in rec.abstract

    last = items[-1]
    assert isinstance(last, PaperRecord)
    assert last.arxiv_id == "2511.11563"
    assert last.announced == date(2025, 11, 18)
    assert last.categories == ["cs.CV"]
    assert last.comments == "project page: https://sylviayuan-sy.github.io/larm-site/"
    # a record listed twice on one day comes through twice (the store dedupes)
    assert [i.arxiv_id for i in items[16:18] if isinstance(i, PaperRecord)] == ["2511.11552"] * 2


def test_daily_jsonl_resume_at_every_record_across_files() -> None:
    source = DailyJsonl(day_files())
    pairs = list(source.items())
    items = [i for i, _ in pairs]
    assert len(items) == 19
    for k, (_, cursor) in enumerate(pairs):
        state = json.loads(json.dumps(cursor.state))  # checkpoints store it as JSON
        assert [i for i, _ in source.items(resume=state)] == items[k + 1 :], k
    # the boundary: after the first file's last record, the second file starts at its line 1
    boundary = pairs[15][1].state
    assert boundary["line"] == 16 and boundary["file"].endswith(f"{DAY_A}.jsonl.gz")
    assert next(iter(source.items(resume=boundary)))[0].origin.startswith(f"{DAY_B}.jsonl.gz:1 ")
    # a state naming a file that is not part of the source starts from the beginning
    assert [i for i, _ in source.items(resume={"file": "/elsewhere.jsonl", "line": 3})] == items


def test_daily_jsonl_needs_a_day_in_the_name(tmp_path: Path) -> None:
    f = write_lines(tmp_path / "listing.jsonl", [b'{"id": "2503.11731", "title": "T"}'])
    with pytest.raises(SourceError, match="YYYY-MM-DD"):
        DailyJsonl([f])


def test_daily_jsonl_record_without_an_arxiv_id(tmp_path: Path) -> None:
    f = write_lines(
        tmp_path / "2025-01-02.jsonl",
        [
            b'{"id": "not-an-id", "title": "T"}',
            b'{"id": "2501.00001v3", "title": "Good", "categories": ["cs.CL"]}',
            b'{"id": "2501.00002", "title": 5}',
        ],
    )
    items = all_items(DailyJsonl([f]))
    assert summary(items) == [
        ("2025-01-02.jsonl:1", "no arXiv id (id='not-an-id')"),
        ("2025-01-02.jsonl:2 (2501.00001)", "OK Good"),
        ("2025-01-02.jsonl:3", "unexpected field value: title should be a string, not int"),
    ]
    good = items[1]
    assert isinstance(good, PaperRecord)
    assert good.versions == [Version(3)]
    assert good.announced == date(2025, 1, 2)
    assert good.abs_url == "https://arxiv.org/abs/2501.00001"


# --- Kaggle snapshot -------------------------------------------------------------------------


def test_kaggle_sample() -> None:
    items = all_items(KaggleSnapshot([need(KAGGLE)]))
    assert len(items) == 200
    assert all(isinstance(i, PaperRecord) for i in items)
    ids = [i.arxiv_id for i in items if isinstance(i, PaperRecord)]
    assert ids == [f"0704.{n:04d}" for n in range(1, 201)]

    rec = items[0]
    assert isinstance(rec, PaperRecord)
    assert rec.title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    # authors_parsed (Unicode), not the TeX-accented `authors` string
    assert rec.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert rec.categories == ["hep-ph"]
    assert rec.versions == [Version(1, date(2007, 4, 2)), Version(2, date(2007, 7, 24))]
    assert rec.latest_version == 2
    assert rec.submitted == date(2007, 4, 2)
    assert rec.updated == date(2008, 11, 26)  # update_date wins over the last version's date
    assert rec.doi == "10.1103/physrevd.76.013009"
    assert rec.journal_ref == "Phys.Rev.D76:013009,2007"
    assert rec.comments == "37 pages, 15 figures; published version"
    assert rec.announced is None
    assert rec.abs_url == "https://arxiv.org/abs/0704.0001"
    assert rec.pdf_url == "https://arxiv.org/pdf/0704.0001"
    assert rec.source == "kaggle"
    assert rec.origin == "arxiv-metadata-oai-snapshot.json:1 (0704.0001)"
    assert rec.abstract.startswith("A fully differential calculation in perturbative quantum")
    assert rec.abstract.endswith("can be obtained with judicious selection of events.")
    assert "\n" not in rec.abstract

    second = items[1]
    assert isinstance(second, PaperRecord)
    assert second.categories == ["math.CO", "cs.CG"]


# --- plain JSONL -----------------------------------------------------------------------------


def test_plain_jsonl_documented_schema(tmp_path: Path) -> None:
    full = {
        "title": "A  Title\n  wrapped",
        "abstract": "Line one\n  line two.",
        "authors": ["Ada Lovelace", " Alan Turing "],
        "categories": "cs.CL cs.AI",
        "arxiv_id": "https://arxiv.org/abs/2503.11731v2",
        "doi": "https://doi.org/10.1000/ABC.def",
        "announced": "2025-03-18",
        "submitted": "2025-03-14",
        "updated": "2025-03-17T10:00:00",
        "journal_ref": "J. Foo 1 (2025)",
        "comments": "10 pages",
        "links": "https://github.com/a/b; https://gitlab.com/c/d",
    }
    minimal = {"title": "Only a title", "authors": "Ada Lovelace; Alan Turing", "categories": "x;y"}
    f = write_lines(
        tmp_path / "plain.jsonl", [json.dumps(full).encode(), json.dumps(minimal).encode()]
    )
    items = all_items(PlainJsonl([f]))
    assert items == [
        PaperRecord(
            title="A Title wrapped",
            abstract="Line one line two.",
            authors=["Ada Lovelace", "Alan Turing"],
            categories=["cs.CL", "cs.AI"],
            arxiv_id="2503.11731",
            versions=[Version(2)],
            doi="10.1000/abc.def",
            journal_ref="J. Foo 1 (2025)",
            comments="10 pages",
            submitted=date(2025, 3, 14),
            updated=date(2025, 3, 17),
            announced=date(2025, 3, 18),
            abs_url="https://arxiv.org/abs/2503.11731",
            pdf_url="https://arxiv.org/pdf/2503.11731",
            links=["https://github.com/a/b", "https://gitlab.com/c/d"],
            source="jsonl",
            origin="plain.jsonl:1",
        ),
        PaperRecord(
            title="Only a title",
            authors=["Ada Lovelace", "Alan Turing"],
            categories=["x", "y"],
            source="jsonl",
            origin="plain.jsonl:2",
        ),
    ]


def test_plain_jsonl_bad_lines_are_rejected_with_their_origin(tmp_path: Path) -> None:
    def good(n: int) -> bytes:
        return json.dumps({"title": f"Good {n}", "abstract": "Fine."}).encode()

    huge = json.dumps({"title": "Huge", "abstract": "x" * 2_000_000}).encode()
    assert len(huge) > MAX_RECORD_BYTES
    lines = [
        good(1),
        b'{"title": broken}',
        good(3),
        b'{"title": "caf\xe9"}',  # Latin-1, not UTF-8
        b'{"abstract": "an abstract without a title"}',
        b'["a", "json", "array"]',
        huge,
        good(8),
        b"",
        b'{"title": "Bad date", "announced": "yesterday"}',
        b'{"title": "Bad id", "arxiv_id": "not an id"}',
        good(12),
    ]
    f = tmp_path / "bad.jsonl"
    f.write_bytes(b"\n".join(lines))  # and no newline after the last line
    items = all_items(PlainJsonl([f]))
    assert summary(items) == [
        ("bad.jsonl:1", "OK Good 1"),
        ("bad.jsonl:2", "broken JSON: Expecting value at column 11"),
        ("bad.jsonl:3", "OK Good 3"),
        ("bad.jsonl:4", "invalid UTF-8 at byte 14"),
        ("bad.jsonl:5", "missing title"),
        ("bad.jsonl:6", "expected a JSON object, got list"),
        ("bad.jsonl:7", "line longer than 1,000,000 bytes"),
        ("bad.jsonl:8", "OK Good 8"),
        ("bad.jsonl:10", "announced 'yesterday' is not a date (use YYYY-MM-DD)"),
        ("bad.jsonl:11", "arxiv_id 'not an id' is not an arXiv identifier"),
        ("bad.jsonl:12", "OK Good 12"),
    ]


def test_replacement_character_is_cleaned_and_the_record_kept(store: Store, tmp_path: Path) -> None:
    # U+FFFD is valid text (a decoder's mark for bytes it could not read), common in metadata.
    record = {
        "title": "Gr\ufffdbner bases\ufffd for robots",
        "abstract": "We study \ufffd\ufffd bases. Universit\ufffd di Roma.",
        "authors": ["Ana Mar\ufffda", "\ufffd"],
        "arxiv_id": "2503.11731",
    }
    f = write_lines(tmp_path / "fffd.jsonl", [json.dumps(record, ensure_ascii=False).encode()])
    (item,) = all_items(PlainJsonl([f]))
    assert isinstance(item, PaperRecord)
    assert (item.title, item.abstract) == (
        "Grbner bases for robots",
        "We study bases. Universit di Roma.",
    )
    assert item.authors == ["Ana Mara"]
    summary = run_ingest(store, PlainJsonl([f]))
    assert (summary.new, summary.rejected) == (1, 0)
    paper = get_paper(store, "2503.11731")
    assert (paper["title"], paper["authors"]) == ("Grbner bases for robots", ["Ana Mara"])


def test_truncated_gzip_keeps_what_was_readable(tmp_path: Path) -> None:
    lines = []
    for i in range(300):  # incompressible enough that half the .gz holds part of the lines
        words = " ".join(hashlib.sha1(f"{i}-{j}".encode()).hexdigest() for j in range(20))
        lines.append(json.dumps({"title": f"Paper {i}", "abstract": words}).encode())
    data = gzip.compress(b"\n".join(lines) + b"\n")
    (tmp_path / "a.jsonl.gz").write_bytes(data[: len(data) // 2])
    write_lines(tmp_path / "b.jsonl", [b'{"title": "Next file"}'])

    items = all_items(PlainJsonl([tmp_path]))
    *good, broken, after = items
    assert 0 < len(good) < 300
    assert summary(good) == [(f"a.jsonl.gz:{n + 1}", f"OK Paper {n}") for n in range(len(good))]
    assert isinstance(broken, Rejected)
    assert broken.origin == f"a.jsonl.gz:{len(good) + 1}"
    assert broken.reason.startswith("file unreadable from here: ")
    assert summary([after]) == [("b.jsonl:1", "OK Next file")]


def test_directory_input_and_missing_paths(tmp_path: Path) -> None:
    write_lines(tmp_path / "b.jsonl", [b'{"title": "B"}'])
    with gzip.open(tmp_path / "a.jsonl.gz", "wb") as gz:
        gz.write(b'{"title": "A"}\n')
    (tmp_path / "notes.txt").write_text("ignored")
    assert summary(all_items(PlainJsonl([tmp_path]))) == [
        ("a.jsonl.gz:1", "OK A"),
        ("b.jsonl:1", "OK B"),
    ]
    with pytest.raises(NotFound, match="no such file or directory"):
        PlainJsonl([tmp_path / "missing.jsonl"])
    with pytest.raises(NotFound, match="no such file or directory"):
        DailyJsonl([Path("/nonexistent/2025-01-01.jsonl.gz")])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SourceError, match="no input files"):
        PlainCsv([empty])


# --- plain CSV -------------------------------------------------------------------------------

CSV_TEXT = (
    "title,abstract,authors,categories,arxiv_id,announced,doi\n"  # line 1
    'First paper,"An abstract\n'  # line 2
    "over three lines,\n"  # line 3
    'with a comma and ""quotes"".",Ada Lovelace; Alan Turing,cs.CL cs.AI,2503.11731v1,'
    "2025-03-18,10.1000/XYZ\n"  # line 4
    "\n"  # line 5: blank rows are skipped
    "Second paper,Short.,Grace Hopper,cs.LG,,2025-02-30,\n"  # line 6: bad date
    "Third paper,,,,,,\n"  # line 7
    ",No title here.,,,,,\n"  # line 8
    "Fourth paper,Last.,,cs.IR;cs.CL,,2025-03-19,\n"  # line 9
)


def test_plain_csv(tmp_path: Path) -> None:
    f = tmp_path / "papers.csv"
    f.write_text(CSV_TEXT, encoding="utf-8")
    items = all_items(PlainCsv([f]))
    assert summary(items) == [
        ("papers.csv:2", "OK First paper"),
        ("papers.csv:6", "announced '2025-02-30' is not a date (use YYYY-MM-DD)"),
        ("papers.csv:7", "OK Third paper"),
        ("papers.csv:8", "missing title"),
        ("papers.csv:9", "OK Fourth paper"),
    ]
    assert items[0] == PaperRecord(
        title="First paper",
        abstract='An abstract over three lines, with a comma and "quotes".',
        authors=["Ada Lovelace", "Alan Turing"],
        categories=["cs.CL", "cs.AI"],
        arxiv_id="2503.11731",
        versions=[Version(1)],
        doi="10.1000/xyz",
        announced=date(2025, 3, 18),
        abs_url="https://arxiv.org/abs/2503.11731",
        pdf_url="https://arxiv.org/pdf/2503.11731",
        source="csv",
        origin="papers.csv:2",
    )
    last = items[-1]
    assert isinstance(last, PaperRecord)
    assert last.categories == ["cs.IR", "cs.CL"]
    assert last.announced == date(2025, 3, 19)


def test_plain_csv_bad_bytes_reject_only_their_row(tmp_path: Path) -> None:
    f = tmp_path / "bytes.csv"
    f.write_bytes(b"Title,Abstract\nGood,Fine.\nBad \xff\xfe,x\nAlso good,Fine.\n")
    assert summary(all_items(PlainCsv([f]))) == [
        ("bytes.csv:2", "OK Good"),
        ("bytes.csv:3", "invalid UTF-8"),
        ("bytes.csv:4", "OK Also good"),
    ]


def test_plain_csv_header_without_title(tmp_path: Path) -> None:
    f = tmp_path / "nohead.csv"
    f.write_text("name,abstract\nx,y\n")
    with pytest.raises(SourceError, match="no 'title' column"):
        list(PlainCsv([f]).items())


def test_plain_csv_resume_at_every_row(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(CSV_TEXT, encoding="utf-8")
    (tmp_path / "b.csv").write_text("title\nB one\nB two\n", encoding="utf-8")
    source = PlainCsv([tmp_path])
    pairs: list[tuple[Item, Cursor]] = list(source.items())
    items = [i for i, _ in pairs]
    assert len(items) == 7
    for k, (_, cursor) in enumerate(pairs):
        state = json.loads(json.dumps(cursor.state))
        assert [i for i, _ in source.items(resume=state)] == items[k + 1 :], k
