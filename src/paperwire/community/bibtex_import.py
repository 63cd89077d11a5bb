"""Reading arXiv ids and titles out of an uploaded BibTeX file (to seed "for you").

A small, careful parser rather than a full BibTeX implementation: it finds `@type{key, ...}`
entries by brace matching (never recursion, so nesting depth costs nothing), reads
`name = {value}`, `name = "value"` and bare values, and skips what it cannot read (an entry
cut off, a stray `@`) while counting it. From each entry it keeps an arXiv id (`eprint` with
`archiveprefix = arXiv` or a value shaped like an arXiv id, an arxiv.org URL, a 10.48550/arXiv
DOI, or "arXiv:ID" in journal/note/howpublished) and the title. `@comment`, `@string` and
`@preamble` are ignored. Absurd inputs fail with a message that says what is allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from paperwire.errors import BadRequest
from paperwire.records import parse_arxiv_id

MAX_BYTES = 2_000_000  # a few thousand entries; anything larger is not a reading list
MAX_ENTRIES = 5_000
MAX_ENTRY_CHARS = 100_000
SKIPPED_TYPES = {"comment", "string", "preamble"}
_ENTRY = re.compile(r"@\s*([A-Za-z]+)\s*([{(])")
_FIELD = re.compile(r"\s*,?\s*([A-Za-z][\w\-:.]*)\s*=\s*")
_ARXIV_IN_TEXT = re.compile(
    r"(?:arxiv(?:\.org/(?:abs|pdf)/|:\s*|\.)|10\.48550/arxiv\.)"
    r"([a-z\-]+(?:\.[A-Z]{2})?/\d{7}|\d{4}\.\d{4,5})(v\d+)?",
    re.IGNORECASE,
)
ID_FIELDS = ("eprint", "arxivid", "arxiv")
TEXT_FIELDS = ("url", "doi", "journal", "note", "howpublished", "eprint")


@dataclass
class BibImport:
    arxiv_ids: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)  # of entries without an arXiv id
    entries: int = 0
    skipped: int = 0  # entries that could not be read


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise BadRequest(
            f"the file has {len(data):,} bytes: at most {MAX_BYTES:,} (export fewer entries)"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("the file is not UTF-8 text: export the BibTeX as UTF-8") from None


def _closing(text: str, start: int, opener: str) -> int:
    """The index of the bracket closing the one before `start`, or -1."""
    closer = "}" if opener == "{" else ")"
    depth = 1
    limit = min(len(text), start + MAX_ENTRY_CHARS)
    for i in range(start, limit):
        ch = text[i]
        if ch == "{" or (opener == "(" and ch == "("):
            depth += 1
        elif ch == "}" or (opener == "(" and ch == ")"):
            depth -= 1
            if depth == 0:
                return i if ch == closer or opener == "{" else -1
    return -1


def _value(body: str, i: int) -> tuple[str, int]:
    """The field value at body[i:] and where it ends (braces, quotes or a bare word; `#`
    concatenations are read as their first part)."""
    if i < len(body) and body[i] == "{":
        end = _closing(body, i + 1, "{")
        if end < 0:
            raise ValueError("unbalanced braces")
        return body[i + 1 : end], end + 1
    if i < len(body) and body[i] == '"':
        depth, j = 0, i + 1
        while j < len(body):
            if body[j] == "{":
                depth += 1
            elif body[j] == "}":
                depth -= 1
            elif body[j] == '"' and depth == 0:
                return body[i + 1 : j], j + 1
            j += 1
        raise ValueError("unclosed quote")
    m = re.compile(r"[^,\s}#]*").match(body, i)
    end = m.end() if m else i
    return body[i:end], end


def _fields(body: str) -> dict[str, str]:
    comma = body.find(",")
    if comma < 0:
        return {}
    out: dict[str, str] = {}
    i = comma
    while True:
        m = _FIELD.match(body, i)
        if not m:
            break
        value, i = _value(body, m.end())
        out.setdefault(m.group(1).lower(), " ".join(value.split()))
        skip = re.compile(r"\s*(?:#\s*(?:\{[^{}]*\}|\"[^\"]*\"|\w+)\s*)*").match(body, i)
        i = skip.end() if skip else i
    return out


def _arxiv_id(fields: dict[str, str]) -> str | None:
    prefix = fields.get("archiveprefix", "").lower()
    for name in ID_FIELDS:
        value = fields.get(name, "").strip()
        parsed = parse_arxiv_id(value) if value else None
        if parsed and (prefix in ("", "arxiv") or name != "eprint"):
            return parsed[0]
    for name in TEXT_FIELDS:
        found = _ARXIV_IN_TEXT.search(fields.get(name, ""))
        if found:
            parsed = parse_arxiv_id(found.group(1))
            if parsed:
                return parsed[0]
    return None


def _clean_title(title: str) -> str:
    return " ".join(title.replace("{", "").replace("}", "").split())


def parse_bibtex(text: str) -> BibImport:
    """The arXiv ids and titles of `text`'s entries; BadRequest when it holds no entry."""
    out = BibImport()
    pos = 0
    while True:
        m = _ENTRY.search(text, pos)
        if not m:
            break
        end = _closing(text, m.end(), m.group(2))
        if end < 0:
            out.skipped += 1
            pos = m.end()
            continue
        pos = end + 1
        if m.group(1).lower() in SKIPPED_TYPES:
            continue
        out.entries += 1
        if out.entries > MAX_ENTRIES:
            raise BadRequest(f"the file has over {MAX_ENTRIES:,} entries: upload fewer")
        try:
            fields = _fields(text[m.end() : end])
        except ValueError:
            out.skipped += 1
            continue
        arxiv_id = _arxiv_id(fields)
        if arxiv_id:
            if arxiv_id not in out.arxiv_ids:
                out.arxiv_ids.append(arxiv_id)
        elif fields.get("title"):
            out.titles.append(_clean_title(fields["title"])[:1000])
        else:
            out.skipped += 1
    if not out.entries:
        raise BadRequest("no BibTeX entries found: expected entries such as @article{key, ...}")
    return out


_ID_TOKEN = re.compile(r"[\s,;]+")
MAX_PASTED_IDS = 200


def parse_pasted_ids(text: str) -> tuple[list[str], list[str]]:
    """(arXiv ids, tokens that are not arXiv ids) of a pasted list: ids or abs/pdf URLs,
    separated by spaces, commas, semicolons or new lines."""
    ids: list[str] = []
    bad: list[str] = []
    for token in _ID_TOKEN.split(text.strip()):
        if not token:
            continue
        parsed = parse_arxiv_id(token)
        if parsed is None:
            bad.append(token[:60])
        elif parsed[0] not in ids:
            ids.append(parsed[0])
        if len(ids) > MAX_PASTED_IDS:
            raise BadRequest(f"paste at most {MAX_PASTED_IDS} arXiv ids")
    return ids, bad
