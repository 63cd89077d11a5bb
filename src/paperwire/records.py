"""The record every source produces, and the checks every record passes before the store.

A source turns its input into `PaperRecord`s (or `Rejected` entries naming what was wrong and
where); the store decides identity and merging. Nothing here touches the database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote

# Absurd sizes: far beyond any real arXiv record, small enough that one record cannot hurt us.
MAX_TITLE_CHARS = 1_000
MAX_ABSTRACT_CHARS = 20_000
MAX_AUTHORS = 5_000
MAX_AUTHOR_CHARS = 1_000  # real arXiv data has a 512-char garbled author list
MAX_FIELD_CHARS = 5_000
MAX_CATEGORIES = 50
MAX_RECORD_BYTES = 1_000_000  # raw bytes of one JSON line / XML record


@dataclass(slots=True)
class Version:
    """One arXiv version: its number and the date it was submitted (when known)."""

    number: int
    submitted: date | None = None


@dataclass(slots=True)
class PaperRecord:
    """One source's view of one paper. Only `title` is required."""

    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)  # primary first
    arxiv_id: str | None = None  # without version, e.g. "2503.11731" or "hep-th/9901001"
    versions: list[Version] = field(default_factory=list)
    doi: str | None = None
    journal_ref: str | None = None
    comments: str | None = None
    submitted: date | None = None  # first version
    updated: date | None = None  # latest version / metadata update
    announced: date | None = None  # the day it was announced or listed
    abs_url: str | None = None
    pdf_url: str | None = None
    links: list[str] = field(default_factory=list)  # code links a source names explicitly
    source: str = ""  # e.g. "arxiv-oai", "daily-jsonl", "listing-page"
    origin: str = ""  # where it came from, for messages: "file.jsonl:12" or a record id
    # Another site's signal (HF daily papers): its upvote count and submitter, stored apart
    # (store/signals.py), never as our own votes. None: the source gives none.
    upvotes: int | None = None
    submitter: str | None = None

    @property
    def latest_version(self) -> int | None:
        return max((v.number for v in self.versions), default=None)


@dataclass(slots=True, frozen=True)
class Rejected:
    """A record that could not be used: where it was and why."""

    origin: str
    reason: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.reason}"


Item = PaperRecord | Rejected


# --- arXiv identifiers -----------------------------------------------------------------------

_NEW_ID = re.compile(r"(?P<id>\d{4}\.\d{4,5})(?:v(?P<v>\d+))?")
_OLD_ID = re.compile(r"(?P<id>[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<v>\d+))?")
_ID_PREFIX = re.compile(r"^(?:https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/|arxiv:)", re.I)


def parse_arxiv_id(text: str | None) -> tuple[str, int | None] | None:
    """Split "arXiv:2503.11731v2", an abs/pdf URL or an old-style id into (id, version).

    Returns None when the text is not an arXiv identifier.
    """
    if not text:
        return None
    s = _ID_PREFIX.sub("", text.strip())
    s = s.removesuffix(".pdf")
    for pattern in (_NEW_ID, _OLD_ID):
        m = pattern.fullmatch(s)
        if m:
            return m.group("id"), int(m.group("v")) if m.group("v") else None
    return None


def normalize_doi(text: str | None) -> str | None:
    """Lower-cased bare DOI ("10.1103/physrevd.76.013009") or None."""
    if not text:
        return None
    s = text.strip()
    s = re.sub(r"^(?:https?://(?:www\.|dx\.)?doi\.org/|doi:\s*|info:doi/)", "", s, flags=re.I)
    if "%" in s:  # a DOI copied out of a URL: "10.1000%2Fabc" is "10.1000/abc"
        s = unquote(s)
    # Some sources list several DOIs separated by spaces: the first names the paper.
    s = s.split()[0] if s.split() else ""
    return s.lower() if s.startswith("10.") else None


# --- text clean-up ---------------------------------------------------------------------------

_WS = re.compile(r"\s+")


def clean_text(text: str | None) -> str:
    """Collapse arXiv's hard-wrapped whitespace into single spaces, and drop U+FFFD (a decoder's
    replacement for bytes it could not read: it carries nothing, and real metadata has it)."""
    # str.split() splits on exactly the characters `\s` matches (tests/ingest/test_speed_paths.py
    # checks every code point), and is several times faster than _WS.sub(" ", text).strip().
    if not text:
        return ""
    if "\ufffd" in text:
        text = text.replace("\ufffd", "")
    return " ".join(text.split())


_NON_WORD = re.compile(r"[\W_]+")


def normalize_title(title: str) -> str:
    """Title key for cross-source matching: case, accents, LaTeX braces and punctuation removed."""
    s = title
    if not s.isascii():  # NFKD and combining marks leave ASCII alone: skip the per-char pass
        s = unicodedata.normalize("NFKD", s)
        s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.lower().replace("$", "").replace("\\", " ")
    return _NON_WORD.sub(" ", s).strip()


def parse_date(text: str | None) -> date | None:
    """Dates as the sources write them: ISO dates/datetimes and RFC 2822 ("Mon, 2 Apr 2007")."""
    if not text:
        return None
    s = text.strip()
    try:
        return date.fromisoformat(s[:10])
    except ValueError:
        pass
    for fmt in ("%a, %d %b %Y %H:%M:%S %Z", "%a, %d %b %Y %H:%M:%S %z", "%d %b %Y"):
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    return None


# --- code links ------------------------------------------------------------------------------

_CODE_URL = re.compile(
    r"(?:https?://)?(?:www\.)?"
    r"(?:github\.com|gitlab\.com|huggingface\.co|hf\.co)"
    r"/[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)*",
    re.I,
)


# _CODE_URL, tried at every position of every abstract, was the ingest's largest cost. A match
# has one of these hosts right after a scheme/www prefix of one of these lengths, so only the
# positions just before a host need trying (`_code_url_matches` gives what finditer gives).
_CODE_HOSTS = ("github.com", "gitlab.com", "huggingface.co", "hf.co")
_HOST = re.compile("|".join(re.escape(h) for h in _CODE_HOSTS), re.I)
_PREFIX_LENGTHS = (12, 11, 8, 7, 4, 0)  # https://www. http://www. https:// http:// www. ""
_WRAPPED_URL = re.compile(r"/\s*\n\s*")


def _host_positions(text: str) -> list[int]:
    """Where a code host starts, as _CODE_URL (re.I) would see it. No host name overlaps
    another, so non-overlapping matches are all of them."""
    if not text.isascii():  # lower() may change lengths, and re.I folds a few non-ASCII i's
        return [m.start() for m in _HOST.finditer(text)]
    lowered, found = text.lower(), []
    for host in _CODE_HOSTS:
        at = lowered.find(host)
        while at >= 0:
            found.append(at)
            at = lowered.find(host, at + len(host))
    return found


def _code_url_matches(text: str) -> Iterator[re.Match[str]]:
    """The matches `_CODE_URL.finditer(text)` yields, trying only positions before a host."""
    starts = sorted({h - n for h in _host_positions(text) for n in _PREFIX_LENGTHS if h >= n})
    end = 0
    for start in starts:
        if start < end:
            continue
        m = _CODE_URL.match(text, start)
        if m:
            end = m.end()
            yield m


def extract_code_links(*texts: str | None) -> list[str]:
    """GitHub, GitLab and Hugging Face URLs in the given texts, normalised, in order, unique."""
    found: list[str] = []
    for text in texts:
        if not text:
            continue
        # arXiv hard-wraps abstracts, sometimes inside a URL after a slash.
        joined = _WRAPPED_URL.sub("/", text) if "\n" in text else text
        for m in _code_url_matches(joined):
            url = m.group(0).rstrip(".,;:)")
            url = re.sub(r"\.git$", "", url)
            if not url.lower().startswith("http"):
                url = "https://" + url
            url = re.sub(r"^http://", "https://", url, flags=re.I)
            url = re.sub(r"^https://www\.", "https://", url, flags=re.I)
            if url.count("/") < 3 or url.rstrip("/").count("/") < 3:
                continue  # a bare host, not a repository
            if url not in found:
                found.append(url)
    return found


# --- validation ------------------------------------------------------------------------------


def problems(record: PaperRecord) -> list[str]:
    """Why this record cannot be stored; empty when it is fine."""
    out: list[str] = []
    if not record.title.strip():
        out.append("missing title")
    if len(record.title) > MAX_TITLE_CHARS:
        out.append(f"title is {len(record.title):,} characters (at most {MAX_TITLE_CHARS:,})")
    if len(record.abstract) > MAX_ABSTRACT_CHARS:
        out.append(
            f"abstract is {len(record.abstract):,} characters (at most {MAX_ABSTRACT_CHARS:,})"
        )
    if len(record.authors) > MAX_AUTHORS:
        out.append(f"{len(record.authors):,} authors (at most {MAX_AUTHORS:,})")
    if any(len(a) > MAX_AUTHOR_CHARS for a in record.authors):
        out.append(f"an author name is longer than {MAX_AUTHOR_CHARS} characters")
    if len(record.categories) > MAX_CATEGORIES:
        out.append(f"{len(record.categories)} categories (at most {MAX_CATEGORIES})")
    for name in ("journal_ref", "comments", "abs_url", "pdf_url"):
        value = getattr(record, name)
        if value and len(value) > MAX_FIELD_CHARS:
            out.append(f"{name} is {len(value):,} characters (at most {MAX_FIELD_CHARS:,})")
    # One scan of everything the store writes (a JSON "\ud800" escape decodes to a lone
    # surrogate, which no database can encode, and PostgreSQL refuses NUL: either would fail the
    # whole batch at write time).
    if _UNSTORABLE.search("".join(text_fields(record))):
        out.append("invalid characters (NUL or a lone surrogate) in " + _bad_fields(record))
    return out


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_TEXT_FIELDS = ("title", "abstract", "doi", "journal_ref", "comments", "abs_url", "pdf_url")
_LIST_FIELDS = ("authors", "categories", "links")


def text_fields(record: PaperRecord) -> list[str]:
    """Every string of a record that the store writes."""
    texts = [v for name in _TEXT_FIELDS if (v := getattr(record, name))]
    return texts + [v for name in _LIST_FIELDS for v in getattr(record, name)]


def _bad_fields(record: PaperRecord) -> str:
    names = [n for n in _TEXT_FIELDS if _UNSTORABLE.search(getattr(record, n) or "")]
    names += [n for n in _LIST_FIELDS if any(_UNSTORABLE.search(v) for v in getattr(record, n))]
    return ", ".join(names)


def finish(record: PaperRecord) -> Item:
    """Clean a parsed record and check it: the last step of every source."""
    record.title = clean_text(record.title)
    record.abstract = clean_text(record.abstract)
    record.authors = [a for a in map(clean_text, record.authors) if a]
    cats: list[str] = []
    for c in record.categories:
        c = c.strip()
        if c and c not in cats:
            cats.append(c)
    record.categories = cats
    record.comments = clean_text(record.comments) or None
    record.journal_ref = clean_text(record.journal_ref) or None
    record.doi = normalize_doi(record.doi)
    if record.versions:
        record.versions = sorted(
            {v.number: v for v in record.versions}.values(), key=lambda v: v.number
        )
        record.submitted = record.submitted or record.versions[0].submitted
        record.updated = record.updated or record.versions[-1].submitted
    if record.arxiv_id:
        record.abs_url = record.abs_url or f"https://arxiv.org/abs/{record.arxiv_id}"
        record.pdf_url = record.pdf_url or f"https://arxiv.org/pdf/{record.arxiv_id}"
    bad = problems(record)
    if bad:
        return Rejected(record.origin or record.arxiv_id or "?", "; ".join(bad))
    return record


def decode_utf8(raw: bytes, origin: str) -> str | Rejected:
    """Strict UTF-8 decoding: a record with bad bytes is rejected, never silently mangled."""
    if len(raw) > MAX_RECORD_BYTES:
        return Rejected(origin, f"record is {len(raw):,} bytes (at most {MAX_RECORD_BYTES:,})")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejected(origin, f"invalid UTF-8 at byte {exc.start}")


def as_str_list(value: Any) -> list[str]:
    """A JSON field that may hold a string, a list of strings, or nothing."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    return [str(value)]
