"""BibTeX export of a list of papers (a collection's `.bib`).

Text fields are escaped for LaTeX: `\\ { } % & # _ $ ^ ~` become `\\textbackslash{} \\{ \\}
\\% \\& \\# \\_ \\$ \\^{} \\~{}`, so any stored title gives a file BibTeX reads. Inline formulas
(`$...$` with balanced braces) are kept as they are: they are LaTeX already. Titles are in
double braces so styles keep their capitals. A paper with a journal reference is an @article,
the rest @misc; arXiv papers carry eprint, archivePrefix and primaryClass.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "$": r"\$",
    "^": r"\^{}",
    "~": r"\~{}",
}
_SPECIAL = re.compile(r"[\\{}%&#_$^~]")
# As pandoc reads TeX math: no space just inside the dollars, no digit right after the closing
# one ("$5 and $10" is money, "$\alpha$-entmax" a formula).
_MATH = re.compile(r"\$(?=[^\s$])[^$\n]*(?<=[^\s$])\$(?!\d)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
_URL_UNSAFE = re.compile(r"[\s{}\\%#\"<>]")


def _balanced(text: str) -> bool:
    depth = 0
    for i, c in enumerate(text):
        if c in "{}" and i and text[i - 1] == "\\":
            continue
        depth += 1 if c == "{" else -1 if c == "}" else 0
        if depth < 0:
            return False
    return depth == 0


def escape_text(text: str) -> str:
    """Plain text as LaTeX: every special character escaped, whitespace collapsed."""
    text = _SPACES.sub(" ", _CONTROL.sub(" ", text))
    return _SPECIAL.sub(lambda m: SPECIAL[m.group()], text)


def escape(text: str | None) -> str:
    """Text that may hold `$...$` formulas: those kept (when their braces balance and they
    hold no `%`, which would comment out the rest of the line), the rest escaped."""
    text = _SPACES.sub(" ", _CONTROL.sub(" ", text or "")).strip()
    out, last = [], 0
    for m in _MATH.finditer(text):
        body = m.group()
        if not _balanced(body) or "%" in body:
            continue
        out.append(escape_text(text[last : m.start()]))
        out.append(body)
        last = m.end()
    out.append(escape_text(text[last:]))
    return "".join(out)


_FOLD = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "AE",
        "ß": "ss",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "œ": "oe",
        "Œ": "OE",
        "þ": "th",
        "Þ": "Th",
    }
)


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    folded = folded.encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]", "", folded).lower()


def _year(paper: dict[str, Any]) -> int | None:
    for key in ("submitted", "announced", "day"):
        value = paper.get(key)
        if isinstance(value, date):
            return value.year
        if isinstance(value, str) and re.match(r"\d{4}-", value):
            return int(value[:4])
    return None


def cite_key(paper: dict[str, Any]) -> str:
    """lastname + year + first title word, ASCII: "vaswani2017attention"."""
    authors = paper.get("authors") or []
    last = _ascii_word(authors[0].split()[-1]) if authors and authors[0].split() else ""
    words = [w for w in (_ascii_word(t) for t in re.split(r"\s+", paper.get("title") or "")) if w]
    common = {"a", "an", "the", "on", "of", "in", "for", "and", "to", "with"}
    first = next((w for w in words if w not in common), words[0] if words else "")
    key = f"{last or 'anon'}{_year(paper) or ''}{first[:20]}"
    return key or "paper"


def _author(name: str) -> str:
    name = escape_text(name.strip())
    # A name that holds the word "and" would split into two authors: protect it.
    return f"{{{name}}}" if re.search(r"\band\b", name, re.IGNORECASE) else name


def _url(value: str | None) -> str | None:
    if value and re.match(r"https?://", value) and not _URL_UNSAFE.search(value):
        return value
    return None


def entry(paper: dict[str, Any], key: str) -> str:
    """One @article or @misc entry."""
    arxiv_id = paper.get("arxiv_id")
    journal = paper.get("journal_ref")
    fields: list[tuple[str, str]] = [("title", "{" + escape(paper.get("title")) + "}")]
    authors = [a for a in paper.get("authors") or [] if a and a.strip()]
    if authors:
        fields.append(("author", " and ".join(_author(a) for a in authors)))
    year = _year(paper)
    if year:
        fields.append(("year", str(year)))
    if journal:
        fields.append(("journal", escape_text(journal.strip())))
    if arxiv_id:
        fields.append(("eprint", escape_text(arxiv_id)))
        fields.append(("archivePrefix", "arXiv"))
        primary = paper.get("primary_category") or next(iter(paper.get("categories") or []), None)
        if primary:
            fields.append(("primaryClass", escape_text(primary)))
    doi = paper.get("doi")
    if doi and not _URL_UNSAFE.search(doi):
        fields.append(("doi", doi))
    url = _url(paper.get("abs_link") or paper.get("abs_url"))
    if url is None and arxiv_id:
        url = f"https://arxiv.org/abs/{arxiv_id}"
    if url is None and doi and not _URL_UNSAFE.search(doi):
        url = f"https://doi.org/{doi}"
    if url:
        fields.append(("url", url))
    kind = "article" if journal else "misc"
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{kind}{{{key},\n{body}\n}}\n"


def unique_keys(papers: Sequence[dict[str, Any]]) -> list[str]:
    """A cite key per paper, made unique with a, b, c... suffixes."""
    keys: list[str] = []
    seen: dict[str, int] = {}
    for paper in papers:
        base = cite_key(paper)
        n = seen.get(base, 0)
        seen[base] = n + 1
        keys.append(base if n == 0 else f"{base}{_suffix(n)}")
    return keys


def _suffix(n: int) -> str:
    letters = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        letters = chr(ord("a") + r) + letters
    return letters


def to_bibtex(papers: Iterable[dict[str, Any]], *, comment: str = "") -> str:
    """A .bib file of the papers, in order."""
    items = list(papers)
    head = f"% {escape_text(comment)}\n\n" if comment else ""
    return head + "\n".join(entry(p, k) for p, k in zip(items, unique_keys(items), strict=True))
