"""arXiv API, arXiv RSS and Hugging Face daily-papers sources on real recorded responses.

Remote sources are exercised against a real HTTP server on 127.0.0.1 (tests/support/httpserver.py)
answering with the recorded bodies; nothing is mocked inside the client.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from paperwire.errors import ConfigError, SourceError
from paperwire.ingest.arxiv_api import ArxivApiFile, ArxivApiQuery, parse_atom
from paperwire.ingest.base import Cursor
from paperwire.ingest.hf_daily import HfDailyPapers
from paperwire.ingest.http import PoliteClient
from paperwire.ingest.rss import ArxivFeed
from paperwire.records import Item, PaperRecord, Rejected, Version
from tests.support.httpserver import RecordedServer, Reply, Route

pytestmark = pytest.mark.network_local

Serve = Callable[[Route], RecordedServer]

PAGE1 = "q_testing_s0_m10_bc5a6c384fe9"
PAGE2 = "q_testing_s10_m10_34e56e15aaac"
HUNDRED = "q_testing_s0_m100_cfe7536492ca"
EMPTY = "id_0000.0000_s0_m100_8b51d9633a68"
PARTLY_MISSING = "id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af"
VERSIONED = "id_2104.12255v1_s0_m100_6ae69987ffe1"
OLD_STYLE = "id_astro-ph_0601001_s0_m100_3150dca9dc76"
BAD_ID = "id_abc_s0_m100_b79c8dcf6bc3"
HF_FILE = "daily_papers.2024-10-25.first2.json"


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def recordings(fixtures_dir: Path) -> Path:
    return fixtures_dir / "arxiv-api" / "current-2026-recordings"


@pytest.fixture
def client() -> Iterator[PoliteClient]:
    with PoliteClient(min_interval=0, max_retries=0, timeout=10, sleep=lambda s: None) as c:
        yield c


def recorded(recordings: Path, name: str) -> Reply:
    """A recording as the server sent it."""
    rec = json.loads((recordings / f"{name}.json").read_text("utf-8"))
    # The recorder decoded arXiv's UTF-8 bytes as Latin-1 ("WÃ¼bben"); encoding the text back
    # as Latin-1 restores the bytes that were on the wire.
    return Reply(rec["status_code"], rec["body"].encode("latin-1"), ATOM_TYPE)


ATOM_TYPE = {"Content-Type": "application/atom+xml; charset=utf-8"}


def by_start(pages: dict[str, Reply]) -> Route:
    """Answer /api/query by its start parameter; anything else is a 404."""

    def route(path: str, query: dict[str, str]) -> Reply:
        if path != "/api/query" or query.get("start") not in pages:
            return Reply(404, b"not recorded")
        return pages[query["start"]]

    return route


def records(items: list[Item]) -> list[PaperRecord]:
    return [i for i in items if isinstance(i, PaperRecord)]


def run(source: Any, resume: dict[str, Any] | None = None) -> list[tuple[Item, Cursor]]:
    return list(source.items(resume))


def ids_in(body: bytes) -> list[str]:
    return [r.arxiv_id or "" for r in records(parse_atom(body))]


# --- arXiv API: one entry --------------------------------------------------------------------


def test_api_entry_fields_current_layout(recordings: Path) -> None:
    first = records(parse_atom(recorded(recordings, PAGE1).body))[0]
    assert first.arxiv_id == "2202.12139"
    assert first.title == (
        "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques"
    )
    assert first.abstract.startswith("Deep Learning (DL) has revolutionized the capabilities")
    assert first.abstract.endswith("discuss its results.")
    assert first.authors == ["Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker"]
    assert first.categories == ["cs.SE", "cs.LG"]
    assert first.versions == [Version(1, date(2022, 2, 24))]
    assert (first.submitted, first.updated) == (date(2022, 2, 24), date(2022, 2, 24))
    assert first.comments == "Artificial Intelligence in Software Testing 2022 workshop @ ICST 2022"
    assert first.journal_ref == (
        "Artificial Intelligence in Software Testing @ 2022 IEEE International Conference on "
        "Software Testing, Verification and Validation Workshops (ICSTW)"
    )
    assert first.doi == "10.1109/icstw55395.2022.00035"
    assert first.abs_url == "https://arxiv.org/abs/2202.12139"
    assert first.pdf_url == "https://arxiv.org/pdf/2202.12139"
    assert (first.source, first.origin, first.announced) == ("arxiv-api", "2202.12139", None)


def test_api_entry_later_version_keeps_both_dates(recordings: Path) -> None:
    by_id = {r.arxiv_id: r for r in records(parse_atom(recorded(recordings, PAGE1).body))}
    rec = by_id["2204.08348"]  # <id> .../2204.08348v3
    assert rec.versions == [Version(1, date(2022, 4, 18)), Version(3, date(2022, 7, 6))]
    assert rec.latest_version == 3
    assert (rec.submitted, rec.updated) == (date(2022, 4, 18), date(2022, 7, 6))


def test_api_old_style_id(recordings: Path) -> None:
    [rec] = parse_atom(recorded(recordings, OLD_STYLE).body)
    assert isinstance(rec, PaperRecord)
    assert rec.arxiv_id == "astro-ph/0601001"
    assert rec.title.startswith("Frequency of Hot Jupiters and Very Hot Jupiters")
    assert rec.abstract.startswith("We derive the frequencies")  # leading blanks trimmed
    assert rec.authors == ["Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski"]
    assert rec.categories == ["astro-ph"]
    assert rec.journal_ref == "ActaAstron.56:1-50,2006"
    assert rec.comments is not None and rec.comments.startswith("62 pages including 16 figures")
    assert rec.abs_url == "https://arxiv.org/abs/astro-ph/0601001"
    assert rec.versions == [Version(1, date(2006, 1, 2))]


def test_api_versioned_id_list_entry_titled_zero(recordings: Path) -> None:
    [rec] = parse_atom(recorded(recordings, VERSIONED).body)
    assert isinstance(rec, PaperRecord)
    assert (rec.arxiv_id, rec.title, rec.latest_version) == ("2104.12255", "0", 1)
    assert rec.authors == ["Quan Thoi Minh Nguyen"]
    assert rec.categories == ["cs.CR"]
    assert rec.doi is None and rec.journal_ref is None and rec.comments is None


def test_api_legacy_layout(fixtures_dir: Path) -> None:
    path = fixtures_dir / "arxiv-api" / "legacy-2016" / "id_list_1111.2011v2.xml"
    [rec] = parse_atom(path.read_bytes())
    assert isinstance(rec, PaperRecord)
    assert rec.arxiv_id == "1111.2011"
    # Hard-wrapped title in the 2016 layout, collapsed.
    assert rec.title == (
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert rec.authors == ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
    assert rec.categories == ["cond-mat.str-el", "cond-mat.stat-mech"]
    assert rec.versions == [Version(1, date(2011, 11, 8)), Version(2, date(2012, 4, 2))]
    assert rec.doi == "10.1103/physrevb.85.115117"
    assert rec.journal_ref == "Phys. Rev. B 85, 115117 (2012)"
    assert rec.comments == "8 pages, 3 figures. Published version"
    assert (rec.abs_url, rec.pdf_url) == (
        "https://arxiv.org/abs/1111.2011",
        "https://arxiv.org/pdf/1111.2011",
    )


def test_api_bulk_hundred_entries_agree_with_pages(recordings: Path) -> None:
    hundred = parse_atom(recorded(recordings, HUNDRED).body)
    good = records(hundred)
    assert len(good) == len(hundred) == 100
    assert all(r.title and r.authors and r.categories and r.submitted for r in good)
    paged = ids_in(recorded(recordings, PAGE1).body) + ids_in(recorded(recordings, PAGE2).body)
    assert [r.arxiv_id for r in good[:20]] == paged


def test_api_entry_without_title_is_rejected(recordings: Path) -> None:
    body = recorded(recordings, VERSIONED).body
    body = body.replace(b"<title>0</title>", b"")
    [item] = parse_atom(body)
    assert isinstance(item, Rejected)
    assert item.origin == "2104.12255"
    assert "2104.12255" in item.reason


def test_api_error_feed_in_file_raises(recordings: Path) -> None:
    with pytest.raises(SourceError, match="incorrect id format for abc"):
        parse_atom(recorded(recordings, BAD_ID).body)


# --- arXiv API: the query source against a server --------------------------------------------


def test_api_pages_until_max_results(recordings: Path, serve: Serve, client: PoliteClient) -> None:
    srv = serve(by_start({"0": recorded(recordings, PAGE1), "10": recorded(recordings, PAGE2)}))
    source = ArxivApiQuery(
        base_url=f"{srv.url}/api/query",
        search_query="testing",
        page_size=10,
        max_results=20,
        sort_by="relevance",
        sort_order="descending",
        client=client,
    )
    assert source.total is None
    out = run(source)
    common = {"search_query": "testing", "sortBy": "relevance", "sortOrder": "descending"}
    assert srv.requests == [
        ("/api/query", {**common, "start": "0", "max_results": "10"}),
        ("/api/query", {**common, "start": "10", "max_results": "10"}),
    ]
    expected = ids_in(recorded(recordings, PAGE1).body) + ids_in(recorded(recordings, PAGE2).body)
    assert [i.arxiv_id for i, _ in out if isinstance(i, PaperRecord)] == expected
    assert [c.state for _, c in out] == [{"start": 0}] * 10 + [{"start": 10}] * 10
    assert out[-1][1].done == 20
    assert (source.total_results, source.total) == (214_881, 20)


def test_api_resume_requests_only_the_second_page(
    recordings: Path, serve: Serve, client: PoliteClient
) -> None:
    srv = serve(by_start({"0": recorded(recordings, PAGE1), "10": recorded(recordings, PAGE2)}))
    source = ArxivApiQuery(
        base_url=f"{srv.url}/api/query",
        search_query="testing",
        page_size=10,
        max_results=20,
        client=client,
    )
    out = run(source, {"start": 10})
    assert [q["start"] for _, q in srv.requests] == ["10"]
    assert [r.arxiv_id for r in records([i for i, _ in out])] == ids_in(
        recorded(recordings, PAGE2).body
    )
    assert len(out) == 10
    assert {c.state["start"] for _, c in out} == {10}
    assert source.total == 20


def test_api_stops_on_an_empty_page(
    recordings: Path, fixtures_dir: Path, serve: Serve, client: PoliteClient
) -> None:
    page = fixtures_dir / "arxiv-api" / "legacy-2016" / "search_query_au_del_maestro.xml"
    first = Reply(200, page.read_bytes(), ATOM_TYPE)  # 10 of totalResults 31
    srv = serve(by_start({"0": first, "10": recorded(recordings, EMPTY)}))
    source = ArxivApiQuery(
        base_url=f"{srv.url}/api/query", search_query="au:del_maestro", page_size=10, client=client
    )
    out = run(source)
    assert len(records([i for i, _ in out])) == 10
    assert [q["start"] for _, q in srv.requests] == ["0", "10"]
    assert srv.requests[0][1]["search_query"] == "au:del_maestro"


def test_api_empty_result(recordings: Path, serve: Serve, client: PoliteClient) -> None:
    srv = serve(by_start({"0": recorded(recordings, EMPTY)}))
    source = ArxivApiQuery(base_url=f"{srv.url}/api/query", id_list=["0000.0000"], client=client)
    items = [i for i, _ in run(source)]
    assert records(items) == []
    assert items == [Rejected("0000.0000", "not returned by the arXiv API (no such paper?)")]
    assert len(srv.requests) == 1
    assert srv.requests[0][1]["id_list"] == "0000.0000"
    assert source.total == 0


def test_api_http_400_carries_arxiv_message(
    recordings: Path, serve: Serve, client: PoliteClient
) -> None:
    reply = recorded(recordings, BAD_ID)
    assert reply.status == 400
    srv = serve(by_start({"0": reply}))
    source = ArxivApiQuery(base_url=f"{srv.url}/api/query", id_list=["abc"], client=client)
    with pytest.raises(SourceError, match=r"HTTP 400: incorrect id format for abc"):
        run(source)
    assert len(srv.requests) == 1  # a 400 is not retried


def test_api_id_list_missing_id_is_rejected(
    recordings: Path, serve: Serve, client: PoliteClient
) -> None:
    srv = serve(by_start({"0": recorded(recordings, PARTLY_MISSING)}))
    source = ArxivApiQuery(
        base_url=f"{srv.url}/api/query", id_list=["0808.05394", "1707.08567"], client=client
    )
    items = [i for i, _ in run(source)]
    assert srv.requests[0][1]["id_list"] == "0808.05394,1707.08567"
    [rec] = records(items)
    assert rec.arxiv_id == "1707.08567"
    assert rec.title == (
        "Proceedings of Workshop AEW10: Concepts in Information Theory and Communications"
    )
    assert len(rec.authors) == 34
    assert "Dirk Wübben" in rec.authors  # decoded from UTF-8 bytes, no mojibake
    assert rec.comments == (
        "44 pages, editors for the proceedings: Yanling Chen and A. J. Han Vinck"
    )
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert [r.origin for r in rejected] == ["0808.05394"]


def test_api_query_needs_a_query(client: PoliteClient) -> None:
    with pytest.raises(ConfigError):
        ArxivApiQuery(client=client)
    with pytest.raises(ConfigError):
        ArxivApiQuery(search_query="x", page_size=0, client=client)


def test_api_file_source_and_resume(fixtures_dir: Path) -> None:
    path = fixtures_dir / "arxiv-api" / "legacy-2016" / "search_query_au_del_maestro.xml"
    source = ArxivApiFile(path)
    assert source.name == "arxiv-api"
    out = run(source)
    assert len(records([i for i, _ in out])) == 10 and source.total == 10
    assert out[0][0].origin == f"{path.name}:1201.4869v1"
    assert [c.state for _, c in out][:2] == [{"index": 0}, {"index": 1}]
    rest = run(source, {"index": 7})
    assert [i for i, _ in rest] == [i for i, _ in out[8:]]


def test_api_file_missing_or_not_xml(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot read"):
        run(ArxivApiFile(tmp_path / "nope.xml"))
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<feed><entry>")
    with pytest.raises(SourceError, match=r"bad\.xml: not well-formed XML"):
        run(ArxivApiFile(bad))


# --- arXiv RSS -------------------------------------------------------------------------------


@pytest.fixture
def rss_path(fixtures_dir: Path) -> Path:
    return fixtures_dir / "rss" / "arxiv_rss_example.xml"


RSS_IDS = [
    "2508.13426",
    "2508.13428",
    "2508.13429",
    "2508.13434",
    "2508.13435",
    "2508.14001",
    "2508.14002",
]


def test_rss_from_file(rss_path: Path) -> None:
    source = ArxivFeed(path=rss_path)
    out = run(source)
    recs = records([i for i, _ in out])
    assert [r.arxiv_id for r in recs] == RSS_IDS
    assert source.total == 7
    assert [c.state for _, c in out] == [{"index": i, "day": "2025-08-20"} for i in range(7)]
    first = recs[0]
    assert first.title == (
        "ALIGN: Word Association Learning for Cross-Cultural Generalization in Large Language "
        "Models"
    )
    assert first.abstract.startswith("As large language models (LLMs) increasingly mediate")
    assert "Announce Type" not in first.abstract and not first.abstract.startswith("arXiv:")
    assert first.abstract.endswith("improving cultural alignment in AI models.")
    assert first.authors == ["Chunhua Liu", "Kabir Manandhar Shrestha", "Sukai Huang"]
    assert first.categories == ["cs.CL", "cs.AI"]
    assert first.versions == [Version(1)]
    assert first.announced == date(2025, 8, 20)
    assert first.submitted is None and first.comments is None
    assert first.abs_url == "https://arxiv.org/abs/2508.13426"
    assert first.source == "arxiv-rss"
    assert recs[2].authors == ["Paulo Andr\\'e Lima de Castro"]  # arXiv's TeX accent, as given
    assert all(r.announced == date(2025, 8, 20) for r in recs)
    assert source.announce_types == {i: "cross" for i in RSS_IDS[:5]} | {
        "2508.14001": "new",
        "2508.14002": "new",
    }


def test_rss_from_server(rss_path: Path, serve: Serve, client: PoliteClient) -> None:
    body = rss_path.read_bytes()
    srv = serve(lambda path, query: Reply(200, body, ATOM_TYPE))
    source = ArxivFeed(url=f"{srv.url}/atom/cs.AI", client=client)
    recs = records([i for i, _ in run(source)])
    assert [r.arxiv_id for r in recs] == RSS_IDS
    assert srv.requests == [("/atom/cs.AI", {})]
    assert source.key == f"arxiv-rss:{srv.url}/atom/cs.AI"


def test_rss_http_error(serve: Serve, client: PoliteClient) -> None:
    srv = serve(lambda path, query: Reply(404, b"Not Found"))
    with pytest.raises(SourceError, match="HTTP 404"):
        run(ArxivFeed(url=f"{srv.url}/atom/cs.XX", client=client))


def test_rss_replacement_still_yields_the_record(rss_path: Path, tmp_path: Path) -> None:
    body = rss_path.read_bytes()
    body = body.replace(b"oai:arXiv.org:2508.13426v1", b"oai:arXiv.org:2508.13426v2")
    body = body.replace(b"<arxiv:announce_type>cross", b"<arxiv:announce_type>replace-cross", 1)
    (tmp_path / "feed.xml").write_bytes(body)
    source = ArxivFeed(path=tmp_path / "feed.xml")
    rec = next(i for i, _ in run(source))
    assert isinstance(rec, PaperRecord)
    assert (rec.arxiv_id, rec.versions) == ("2508.13426", [Version(2)])
    assert rec.announced is None  # announced on an earlier day, not this feed's
    assert source.announce_types["2508.13426"] == "replace-cross"


def test_rss_resume_and_arguments(rss_path: Path) -> None:
    out = run(ArxivFeed(path=rss_path), {"index": 4, "day": "2025-08-20"})
    assert [r.arxiv_id for r in records([i for i, _ in out])] == RSS_IDS[5:]
    # An index saved for another day's listing says nothing about this one.
    assert len(run(ArxivFeed(path=rss_path), {"index": 4, "day": "2025-08-19"})) == 7
    with pytest.raises(ConfigError):
        ArxivFeed()
    with pytest.raises(ConfigError):
        ArxivFeed(url="https://rss.arxiv.org/atom/cs.AI", path=rss_path)


def test_rss_two_flavour(tmp_path: Path) -> None:
    # arXiv documents the same fields in RSS 2.0 <item>s; no real sample was found (fixture README).
    (tmp_path / "feed.rss").write_text(
        """<?xml version="1.0"?><rss version="2.0" xmlns:arxiv="http://arxiv.org/schemas/atom"
        xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>cs.AI updates</title>
        <pubDate>Wed, 20 Aug 2025 00:00:00 -0400</pubDate><item>
        <title>Mitigating Easy Option Bias in Multiple-Choice Question Answering</title>
        <link>https://arxiv.org/abs/2508.13428</link>
        <description>arXiv:2508.13428v1 Announce Type: cross
Abstract: In this early study, we observe an Easy-Options Bias (EOB) issue.</description>
        <guid isPermaLink="false">oai:arXiv.org:2508.13428v1</guid>
        <category>cs.CV</category><category>cs.AI</category>
        <arxiv:announce_type>cross</arxiv:announce_type>
        <dc:creator>Hao Zhang, Chen Li, Basura Fernando</dc:creator></item></channel></rss>""",
        encoding="utf-8",
    )
    [(rec, _)] = run(ArxivFeed(path=tmp_path / "feed.rss"))
    assert isinstance(rec, PaperRecord)
    assert rec.arxiv_id == "2508.13428" and rec.announced == date(2025, 8, 20)
    assert rec.abstract == "In this early study, we observe an Easy-Options Bias (EOB) issue."
    assert rec.categories == ["cs.CV", "cs.AI"]
    assert rec.authors == ["Hao Zhang", "Chen Li", "Basura Fernando"]


# --- Hugging Face daily papers ---------------------------------------------------------------


@pytest.fixture
def hf_path(fixtures_dir: Path) -> Path:
    return fixtures_dir / "hf-daily-papers" / HF_FILE


def test_hf_from_file(hf_path: Path) -> None:
    source = HfDailyPapers(path=hf_path)
    out = run(source)
    recs = records([i for i, _ in out])
    assert [r.arxiv_id for r in recs] == ["2410.17243", "2410.16251"]
    assert source.total == 2
    assert [c.state for _, c in out] == [
        {"index": 0, "day": "2024-10-25"},
        {"index": 1, "day": "2024-10-25"},
    ]
    first = recs[0]
    assert first.title == (
        "Breaking the Memory Barrier: Near Infinite Batch Size Scaling for Contrastive Loss"
    )
    assert first.abstract.startswith("Contrastive loss is a powerful approach for representation")
    assert "\n" not in first.abstract
    assert first.authors == [
        "Zesen Cheng",
        "Hang Zhang",
        "Kehan Li",
        "Sicong Leng",
        "Zhiqiang Hu",
        "Fei Wu",
        "Deli Zhao",
        "Xin Li",
        "Lidong Bing",
    ]
    assert first.submitted == date(2024, 10, 22)  # paper.publishedAt: the arXiv submission
    assert first.announced == date(2024, 10, 25)  # item publishedAt: posted on HF
    assert (first.links, first.categories, first.versions) == ([], [], [])
    assert first.abs_url == "https://arxiv.org/abs/2410.17243"
    assert first.source == "hf-daily"
    assert first.origin == f"{hf_path}[0] (2410.17243)"
    rest = run(source, {"index": 0, "day": "2024-10-25"})
    assert [i.origin for i, _ in rest] == [f"{hf_path}[1] (2410.16251)"]


def test_hf_from_server_with_date(hf_path: Path, serve: Serve, client: PoliteClient) -> None:
    items = json.loads(hf_path.read_bytes())
    # Newer API answers carry code and project links on the paper.
    items[0]["paper"]["githubRepo"] = "https://github.com/DAMO-NLP-SG/Inf-CLIP"
    items[0]["paper"]["projectPage"] = "https://example.org/inf-clip"
    body = json.dumps(items).encode()

    def route(path: str, query: dict[str, str]) -> Reply:
        if path == "/api/daily_papers" and query == {"date": "2024-10-25"}:
            return Reply(200, body, {"Content-Type": "application/json"})
        return Reply(404, b'{"error":"not recorded"}')

    srv = serve(route)
    source = HfDailyPapers(
        base_url=f"{srv.url}/api/daily_papers", day=date(2024, 10, 25), client=client
    )
    recs = records([i for i, _ in run(source)])
    assert srv.requests == [("/api/daily_papers", {"date": "2024-10-25"})]
    assert [r.arxiv_id for r in recs] == ["2410.17243", "2410.16251"]
    assert all(r.announced == date(2024, 10, 25) for r in recs)
    assert recs[0].links == [
        "https://github.com/DAMO-NLP-SG/Inf-CLIP",
        "https://example.org/inf-clip",
    ]
    assert recs[1].links == []


def test_hf_broken_json_names_the_file(hf_path: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_bytes(hf_path.read_bytes()[:-1])  # the closing bracket cut off
    with pytest.raises(SourceError, match=r"broken\.json: not valid JSON"):
        run(HfDailyPapers(path=broken))


def test_hf_not_a_list_names_the_url(serve: Serve, client: PoliteClient) -> None:
    srv = serve(lambda path, query: Reply(200, b'{"error":"Invalid date"}'))
    source = HfDailyPapers(base_url=f"{srv.url}/api/daily_papers", client=client)
    with pytest.raises(SourceError, match=r"/api/daily_papers: expected a JSON list.*Invalid date"):
        run(source)


def test_hf_one_malformed_item_is_rejected(hf_path: Path, tmp_path: Path) -> None:
    items = json.loads(hf_path.read_bytes())
    items.insert(1, {"paper": {"id": "2410.99999", "title": 42}, "publishedAt": "2024-10-25"})
    items.append({"publishedAt": "2024-10-25T00:00:00.000Z"})  # no paper at all
    path = tmp_path / "daily.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    out = [i for i, _ in run(HfDailyPapers(path=path))]
    assert [r.arxiv_id for r in records(out)] == ["2410.17243", "2410.16251"]
    rejected = [i for i in out if isinstance(i, Rejected)]
    assert [r.origin for r in rejected] == [f"{path}[1] (2410.99999)", f"{path}[3]"]
    assert rejected[0].reason == "paper.title is int, not str"
    assert rejected[1].reason == "no paper object"
