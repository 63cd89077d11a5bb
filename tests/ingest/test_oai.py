"""OAI-PMH harvests and oai_dc dumps, on real recorded arXiv responses and the March 2017 dump."""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from paperwire.errors import SourceError
from paperwire.ingest.http import PoliteClient
from paperwire.ingest.oai import (
    OaiDump,
    OaiHarvest,
    OaiProtocolError,
    parse_dump_line,
    parse_response,
)
from paperwire.ingest.oai_parse import (
    flip_name,
    parse_record,
    split_author_string,
    subject_to_category,
)
from paperwire.records import PaperRecord, Rejected, Version
from tests.support.httpserver import RecordedServer, Reply, Route
from tests.support.shared_data import need

Serve = Callable[[Route], RecordedServer]
TOKEN = "726959|1001"  # the real resumptionToken of the arXivRaw ListRecords page


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def raw_dir(fixtures_dir: Path) -> Path:
    return need(fixtures_dir / "oai-pmh" / "arxivRaw-mikesaelim")


@pytest.fixture
def nock_dir(fixtures_dir: Path) -> Path:
    return need(fixtures_dir / "oai-pmh" / "arXiv-paperhive-nock")


@pytest.fixture
def dc_dir(shared_data: Path) -> Path:
    return need(shared_data / "arxiv" / "oai-dc-2017-03")


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps: list[float]) -> Iterator[PoliteClient]:
    # arXiv's 3 s rule, but the injected sleep only records what it was asked to wait.
    with PoliteClient(min_interval=3.0, max_retries=2, timeout=10, sleep=sleeps.append) as c:
        yield c


def page_two(raw_dir: Path) -> bytes:
    """The real GetRecord answer re-wrapped as the final ListRecords page after TOKEN."""
    body = (raw_dir / "GetRecordResponse.xml").read_text(encoding="utf-8")
    body = body.replace("<GetRecord>", "<ListRecords>").replace(
        "</GetRecord>", '<resumptionToken cursor="1000" completeListSize="58011"/></ListRecords>'
    )
    return body.encode()


def records(items: Sequence[object]) -> list[PaperRecord]:
    return [i for i in items if isinstance(i, PaperRecord)]


# --- record parsers --------------------------------------------------------------------------


def test_arxiv_raw_record_fields(raw_dir: Path) -> None:
    page = parse_response((raw_dir / "ListRecordsResponse.xml").read_bytes(), "u")
    assert (page.token, page.cursor, page.size) == (TOKEN, 0, 58011)
    got = {r.arxiv_id: r for r in records(list(page.items))}
    assert list(got) == ["0704.0471", "0704.0716", "0704.0874", "0704.1109", "0704.1114",
                         "0704.1586"]  # fmt: skip
    r = got["0704.0716"]
    assert r.title == "Limit distributions and scaling functions"
    assert r.authors == ["Christoph Richard"]
    assert r.categories == ["math-ph", "math.MP"]
    assert r.versions == [
        Version(1, date(2007, 4, 5)),
        Version(2, date(2007, 9, 28)),
        Version(3, date(2008, 2, 29)),
        Version(4, date(2008, 11, 14)),
    ]
    assert (r.submitted, r.updated, r.announced) == (date(2007, 4, 5), date(2008, 11, 14), None)
    assert r.comments == (
        "54 pages, 2 figures; v2 updated and slightly expanded; v3 changes in some proofs; "
        "v4 slightly expanded"
    )
    assert r.journal_ref == (
        "Polygons, polyominoes and polycubes, 247-299, Lecture Notes in Phys., 775, Springer, "
        "Dordrecht, 2009"
    )
    assert r.doi is None
    assert r.abstract.startswith("We discuss the asymptotic behaviour of models of lattice")
    assert r.abstract.endswith("this article is a pedagogic review of known results.")
    assert (r.source, r.origin) == ("arxiv-oai", "oai:arXiv.org:0704.0716")
    # "A, B, and C" with an Oxford comma; two DOIs (paper, erratum): the first is the paper's.
    first = got["0704.0471"]
    assert first.authors == ["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"]
    assert first.doi == "10.1103/physrevc.76.024606"
    assert first.title == (
        "Density dependence of the symmetry energy and the nuclear equation of state: "
        "A Dynamical and Statistical model perspective"
    )
    assert '" stiff " and " soft "' in first.abstract  # &quot; decoded
    assert got["0704.1109"].authors == ["Valeria M. Rosa", "Patricio S. letelier"]


def test_arxiv_format_record_fields(nock_dir: Path) -> None:
    page = parse_response((nock_dir / "response.GetRecord_arXiv_1412.8544.xml").read_bytes(), "u")
    [r] = records(list(page.items))
    assert r.arxiv_id == "1412.8544"
    assert r.title == "A Kochen-Specker system has at least 22 vectors (extended abstract)"
    assert r.authors == ["Sander Uijlen", "Bas Westerbaan"]
    assert r.categories == ["cs.DM"]
    assert (r.submitted, r.updated, r.versions) == (date(2014, 12, 29), date(2014, 12, 29), [])
    assert r.comments == "In Proceedings QPL 2014, arXiv:1412.8102"
    assert r.journal_ref == "EPTCS 172, 2014, pp. 154-164"
    assert r.doi == "10.4204/eptcs.172.11"
    assert r.abstract.startswith("At the heart of the Conway-Kochen Free Will theorem")
    assert r.abs_url == "https://arxiv.org/abs/1412.8544"
    assert (r.source, r.origin, r.announced) == ("arxiv-oai", "oai:arXiv.org:1412.8544", None)

    listing = nock_dir / "response.ListRecords_arXiv_2015-01-01_2015-01-03.xml"
    old = records(list(parse_response(listing.read_bytes(), "u").items))[1]
    assert (old.arxiv_id, old.authors, old.categories) == ("hep-th/9504118", ["M. Requardt"],
                                                           ["hep-th"])  # fmt: skip
    assert old.submitted == date(1995, 4, 24)


def test_oai_dc_json_record_fields(dc_dir: Path) -> None:
    with gzip.open(dc_dir / "2017-03-01.json.gz") as f:
        line = f.readlines()[1]
    r = parse_dump_line(line, "2017-03-01.json.gz:2")
    assert isinstance(r, PaperRecord)
    assert r.arxiv_id == "0903.5365"
    assert r.title == (
        "Deriving the ADM 3+1 evolution equations from the second variation of arc length"
    )
    assert r.authors == ["Leo Brewin"]
    assert r.categories == ["gr-qc"]
    assert r.journal_ref == "Phys.Rev.D80:084030,2009"
    assert r.doi == "10.1103/physrevd.80.084030"
    assert r.comments == "corrected small typos, results unchanged"
    assert r.abstract.startswith("We will show that the ADM 3+1 evolution equations")
    assert (r.submitted, r.updated, r.announced) == (date(2009, 3, 31), date(2017, 2, 28), None)
    assert (r.source, r.origin) == ("arxiv-oai-dump", "2017-03-01.json.gz:2")


def test_oai_dc_xml_record_equals_json(dc_dir: Path) -> None:
    # No real oai_dc XML page exists in the fixtures: wrap a real dump record in arXiv's layout.
    with gzip.open(dc_dir / "2017-03-04.json.gz") as f:
        arxiv_id, fields = json.loads(f.readline())
    dc = "".join(
        f"<dc:{name}>{escape(value)}</dc:{name}>" for name, vals in fields.items() for value in vals
    )
    xml = f"""<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record>
      <header><identifier>oai:arXiv.org:{arxiv_id}</identifier></header><metadata>
      <oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
                 xmlns:dc="http://purl.org/dc/elements/1.1/">{dc}</oai_dc:dc>
    </metadata></record></ListRecords></OAI-PMH>"""
    [from_xml] = parse_response(xml.encode(), "u").items
    from_json = parse_dump_line(json.dumps([arxiv_id, fields]).encode(), "x")
    assert isinstance(from_xml, PaperRecord) and isinstance(from_json, PaperRecord)
    assert from_xml.origin == "oai:arXiv.org:1605.07228"
    from_json.origin, from_json.source = from_xml.origin, from_xml.source
    assert from_xml == from_json
    assert from_xml.authors == ["HM Collins", "P Ginsparg", "L Reyes-Galindo"]
    assert from_xml.categories == ["physics.soc-ph", "cs.DL"]
    assert (from_xml.journal_ref, from_xml.doi) == ("JASIST Dec 2016", "10.1002/asi.23753")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_deleted_record_skipped_and_untitled_rejected(raw_dir: Path) -> None:
    body = (raw_dir / "GetRecordResponse.xml").read_text(encoding="utf-8")
    untitled = body.replace("<title>The Same-Sign Dilepton Signature of RPV/MFV SUSY</title>", "")
    assert parse_response(untitled.encode(), "u").items == [
        Rejected("oai:arXiv.org:1302.2146", "missing title")
    ]
    deleted = body.replace("<header>", '<header status="deleted">')
    assert parse_response(deleted.encode(), "u").items == []
    record = etree.fromstring(deleted.encode()).find(".//{*}record")
    assert parse_record(record) is None


def test_name_helpers() -> None:
    assert flip_name("Gates, Jr., S. James") == "S. James Gates Jr."
    assert flip_name("Collaboration, DM-Ice") == "DM-Ice Collaboration"
    assert flip_name("Planck Collaboration") == "Planck Collaboration"
    assert split_author_string(
        "A. Smith (1 and 2), B. Jones, Jr. ((1) MIT, (2) CERN) and C. Wu"
    ) == ["A. Smith", "B. Jones Jr.", "C. Wu"]
    assert subject_to_category("Computer Science - Learning") == "cs.LG"
    assert subject_to_category("Condensed Matter - Strongly Correlated Electrons") == (
        "cond-mat.str-el"
    )
    assert subject_to_category("Quantum Physics") == "quant-ph"
    assert subject_to_category("05B, 52A01, 52A10") is None  # MSC code, not an arXiv category
    assert subject_to_category("Miscellaneous") == "Miscellaneous"


@pytest.mark.parametrize(
    ("name", "code", "words"),
    [
        ("ErrorResponseBadArgument.xml", "badArgument", "illegal argument 'identifier'"),
        ("ErrorResponseBadVerb.xml", "badVerb", "Verb 'wah' not implemented"),
        ("ErrorResponseIdDoesNotExist.xml", "idDoesNotExist", "oai:arXiv.org:0813.2274"),
    ],
)
def test_oai_error_responses(raw_dir: Path, name: str, code: str, words: str) -> None:
    with pytest.raises(OaiProtocolError) as err:
        parse_response((raw_dir / name).read_bytes(), "http://x/oai2?verb=ListRecords")
    assert err.value.code == code
    assert code in str(err.value) and words in str(err.value)
    assert "http://x/oai2?verb=ListRecords" in str(err.value)


# --- the harvest against a real local server ---------------------------------------------------


def paged_route(raw_dir: Path, second: bytes | None = None) -> Route:
    first = (raw_dir / "ListRecordsResponse.xml").read_bytes()
    second = page_two(raw_dir) if second is None else second

    def route(path: str, query: dict[str, str]) -> Reply:
        if query.get("resumptionToken") == TOKEN:
            return Reply(body=second, headers={"Content-Type": "text/xml"})
        return Reply(body=first, headers={"Content-Type": "text/xml"})

    return route


def test_harvest_follows_resumption_token(
    raw_dir: Path, serve: Serve, client: PoliteClient, sleeps: list[float]
) -> None:
    srv = serve(paged_route(raw_dir))
    harvest = OaiHarvest(base_url=f"{srv.url}/oai2", from_date=date(2014, 10, 1), client=client)
    assert harvest.total is None
    out = list(harvest.items())
    assert srv.requests == [
        ("/oai2", {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "from": "2014-10-01"}),
        ("/oai2", {"verb": "ListRecords", "resumptionToken": TOKEN}),
    ]
    assert [i.arxiv_id for i, _ in out if isinstance(i, PaperRecord)] == [
        "0704.0471", "0704.0716", "0704.0874", "0704.1109", "0704.1114", "0704.1586", "1302.2146",
    ]  # fmt: skip
    assert [c.state for _, c in out] == [{"token": None}] * 6 + [{"token": TOKEN}]
    assert [c.done for _, c in out] == [1, 2, 3, 4, 5, 6, 1001]
    assert harvest.total == 58011
    assert harvest.key.endswith("/oai2?verb=ListRecords&metadataPrefix=arXivRaw&from=2014-10-01")
    # One wait between the two pages, for the rest of arXiv's 3 s interval.
    assert len(sleeps) == 1 and 2.0 < sleeps[0] <= 3.0


def test_harvest_honours_503_retry_after(
    nock_dir: Path, serve: Serve, client: PoliteClient, sleeps: list[float]
) -> None:
    recording = nock_dir / "oaipmh-listrecords---should-list-identifiers-from-arxiv.json"
    replies = []
    for exchange in json.loads(recording.read_text(encoding="utf-8")):
        raw = exchange["rawHeaders"]
        headers = dict(zip(raw[::2], raw[1::2], strict=True))
        keep = {k: v for k, v in headers.items() if k in ("Retry-After", "Content-Type")}
        replies.append(Reply(exchange["status"], exchange["response"].encode(), keep))
    assert [(r.status, r.headers.get("Retry-After")) for r in replies] == [(503, "10"), (200, None)]
    answered: list[Reply] = []

    def route(path: str, query: dict[str, str]) -> Reply:
        answered.append(replies[min(len(answered), 1)])  # the 503 once, then the page
        return answered[-1]

    srv = serve(route)
    harvest = OaiHarvest(
        base_url=f"{srv.url}/oai2",
        metadata_prefix="arXiv",
        from_date=date(2015, 1, 1),
        until=date(2015, 1, 3),
        client=client,
    )
    out = [i for i, _ in harvest.items()]
    assert sleeps[0] == 10.0
    asked = {"verb": "ListRecords", "metadataPrefix": "arXiv", "from": "2015-01-01",
             "until": "2015-01-03"}  # fmt: skip
    assert srv.requests == [("/oai2", asked), ("/oai2", asked)]
    assert [r.arxiv_id for r in records(out)] == ["1412.8544", "hep-th/9504118"]


def test_harvest_resumes_from_saved_token(
    raw_dir: Path, serve: Serve, client: PoliteClient
) -> None:
    srv = serve(paged_route(raw_dir))
    harvest = OaiHarvest(base_url=f"{srv.url}/oai2", client=client)
    out = list(harvest.items(resume={"token": TOKEN}))
    assert srv.requests == [("/oai2", {"verb": "ListRecords", "resumptionToken": TOKEN})]
    assert [(i.arxiv_id, c.state) for i, c in out if isinstance(i, PaperRecord)] == [
        ("1302.2146", {"token": TOKEN})
    ]


def test_harvest_no_records_match_is_empty(
    raw_dir: Path, serve: Serve, client: PoliteClient
) -> None:
    body = (raw_dir / "ErrorResponseNoRecordsMatch.xml").read_bytes()
    srv = serve(lambda path, query: Reply(body=body))
    harvest = OaiHarvest(base_url=f"{srv.url}/oai2", set_spec="moo", client=client)
    assert list(harvest.items()) == []
    assert srv.requests == [
        ("/oai2", {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "set": "moo"})
    ]


def test_harvest_expired_token_says_restart(
    raw_dir: Path, serve: Serve, client: PoliteClient
) -> None:
    body = (raw_dir / "ErrorResponseBadResumptionToken.xml").read_bytes()
    srv = serve(lambda path, query: Reply(body=body))
    harvest = OaiHarvest(base_url=f"{srv.url}/oai2", client=client)
    with pytest.raises(SourceError, match="--restart"):
        list(harvest.items(resume={"token": "3"}))
    assert srv.requests == [("/oai2", {"verb": "ListRecords", "resumptionToken": "3"})]


def test_harvest_broken_xml_names_url_after_good_page(
    raw_dir: Path, serve: Serve, client: PoliteClient
) -> None:
    broken = page_two(raw_dir)[:1500]  # cut mid-record, as a dropped connection would
    srv = serve(paged_route(raw_dir, broken))
    harvest = OaiHarvest(base_url=f"{srv.url}/oai2", client=client)
    got: list[object] = []
    with pytest.raises(SourceError, match="not well-formed XML") as err:
        for item, _ in harvest.items():
            got.append(item)
    assert len(got) == 6  # page 1 only; nothing of the broken page
    assert srv.url in str(err.value) and "resumptionToken=726959" in str(err.value)


# --- the oai_dc dumps ------------------------------------------------------------------------


def test_dump_day_file_matches_manifest(dc_dir: Path) -> None:
    with (dc_dir / "MANIFEST.tsv").open(encoding="utf-8") as f:
        manifest = {row["file"]: int(row["records"]) for row in csv.DictReader(f, delimiter="\t")}
    paths = [dc_dir / "2017-03-04.json.gz", dc_dir / "2017-03-01.json.gz"]  # sorted by OaiDump
    dump = OaiDump(paths)
    out = list(dump.items())
    assert all(isinstance(i, PaperRecord) for i, _ in out)
    assert len(out) == manifest["2017-03-01.json.gz"] + manifest["2017-03-04.json.gz"] == 938
    assert out[0][1].state == {"file": str(dc_dir / "2017-03-01.json.gz"), "line": 1}
    assert out[-1][1].state == {"file": str(dc_dir / "2017-03-04.json.gz"), "line": 1}
    dones = [c.done for _, c in out]
    assert dones == sorted(dones) and dones[-1] == dump.total
    assert dump.total == sum(p.stat().st_size for p in paths)
    assert {i.source for i in records([i for i, _ in out])} == {"arxiv-oai-dump"}


def real_lines(dc_dir: Path, n: int) -> list[bytes]:
    with gzip.open(dc_dir / "2017-03-01.json.gz") as f:
        return [f.readline() for _ in range(n)]


def test_dump_bad_lines_rejected_rest_parsed(dc_dir: Path, tmp_path: Path) -> None:
    good = real_lines(dc_dir, 3)
    arxiv_id, fields = json.loads(good[2])
    untitled = json.dumps([arxiv_id, {**fields, "title": []}]).encode() + b"\n"
    lines = [
        good[0],
        b'["0710.1248", {"title": ["cut off\n',  # broken JSON
        good[1].replace(b"Brewin", b"Brew\xffin"),  # invalid UTF-8
        untitled,
        b'{"id": "0710.1248"}\n',  # valid JSON, wrong shape
        b"\n",
        good[2],
    ]
    path = tmp_path / "2017-03-99.json.gz"
    path.write_bytes(gzip.compress(b"".join(lines)))
    out = [i for i, _ in OaiDump([path]).items()]
    rejected = [i for i in out if isinstance(i, Rejected)]
    assert [r.origin for r in rejected] == [f"{path.name}:{n}" for n in (2, 3, 4, 5)]
    assert "invalid JSON" in rejected[0].reason
    assert "invalid UTF-8" in rejected[1].reason
    assert rejected[2].reason == "missing title"
    assert "expected a JSON array" in rejected[3].reason
    assert [(r.arxiv_id, r.origin) for r in records(out)] == [
        ("0710.1248", f"{path.name}:1"),
        ("1001.2416", f"{path.name}:7"),
    ]


def test_dump_resume_skips_handed_out_lines(dc_dir: Path, tmp_path: Path) -> None:
    lines = real_lines(dc_dir, 5)
    a, b = tmp_path / "2017-03-01.json.gz", tmp_path / "2017-03-02.json.gz"
    a.write_bytes(gzip.compress(b"".join(lines[:3])))
    b.write_bytes(gzip.compress(b"".join(lines[3:])))
    dump = OaiDump([b, a])
    full = [(c.state, c.done) for _, c in dump.items()]
    resumed = list(dump.items(resume={"file": str(a), "line": 2}))
    assert [c.state for _, c in resumed] == [
        {"file": str(a), "line": 3},
        {"file": str(b), "line": 1},
        {"file": str(b), "line": 2},
    ]
    assert [(c.state, c.done) for _, c in resumed] == full[2:]
    assert [c.done for _, c in resumed] == sorted(c.done for _, c in resumed)
    assert list(dump.items(resume={"file": str(b), "line": 2})) == []


# --- harvests that never end (issue 17) ----------------------------------------------------------


def _token_page(raw_dir: Path, token: str, attrs: str = "") -> bytes:
    """page_two's one record, followed by the given resumptionToken."""
    body = page_two(raw_dir).decode()
    old = '<resumptionToken cursor="1000" completeListSize="58011"/>'
    return body.replace(old, f"<resumptionToken{attrs}>{token}</resumptionToken>").encode()


def _harvest_error(srv: RecordedServer, client: PoliteClient) -> str:
    harvest = OaiHarvest(base_url=f"{srv.url}/oai2", client=client)
    with pytest.raises(SourceError) as err:
        list(harvest.items())
    return str(err.value)


def test_harvest_stops_when_tokens_cycle(raw_dir: Path, serve: Serve, client: PoliteClient) -> None:
    nxt = {None: "A", "A": "B", "B": "A"}  # A -> B -> A -> B ... forever
    srv = serve(lambda p, q: Reply(body=_token_page(raw_dir, nxt[q.get("resumptionToken")])))
    assert "resumptionToken 'A' again" in _harvest_error(srv, client)
    assert [q.get("resumptionToken") for _, q in srv.requests] == [None, "A", "B"]


def test_harvest_stops_on_a_cursor_past_the_list_size(
    raw_dir: Path, serve: Serve, client: PoliteClient
) -> None:
    def route(path: str, query: dict[str, str]) -> Reply:
        n = int(query.get("resumptionToken") or 0)
        attrs = f' cursor="{n}" completeListSize="3"'
        return Reply(body=_token_page(raw_dir, str(n + 1), attrs))

    assert "cursor 4 is past completeListSize 3" in _harvest_error(serve(route), client)


def test_harvest_stops_when_new_tokens_never_end(
    raw_dir: Path, serve: Serve, client: PoliteClient
) -> None:
    def route(path: str, query: dict[str, str]) -> Reply:
        n = int(query.get("resumptionToken") or 0)  # no cursor: only the size bounds it
        return Reply(body=_token_page(raw_dir, str(n + 1), ' completeListSize="2"'))

    srv = serve(route)
    assert "103 pages for a list of 2 records" in _harvest_error(srv, client)
    assert len(srv.requests) == 103
