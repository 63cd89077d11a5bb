"""Identity and merging of paper records, as pure functions over row dicts (no SQL here).

Rules:
- Identity: the same arXiv id, else the same DOI, else the same normalised title with compatible
  authors (a record without authors, like a listing page, matches on title alone). Two different
  arXiv ids (or DOIs) are never the same paper.
- A record *supersedes* what is stored when it carries a newer arXiv version, a later update date,
  or an arXiv id the stored paper lacked: its non-empty fields then win. Otherwise it only fills
  fields that are empty. Versions, sources and code links are unions; dates keep the earliest
  submission and announcement. So re-ingesting the same data changes nothing.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date
from typing import Any

from paperwire.records import PaperRecord, extract_code_links, normalize_title

Row = dict[str, Any]

# Fields a superseding record overwrites, and the empty value that means "unknown".
SCALARS: dict[str, Any] = {
    "title": "",
    "abstract": "",
    "authors": [],
    "categories": [],
    "doi": None,
    "journal_ref": None,
    "comments": None,
    "updated": None,
    "abs_url": None,
    "pdf_url": None,
}
COMPARED = (
    *SCALARS,
    "id",
    "arxiv_id",
    "submitted",
    "announced",
    "versions",
    "latest_version",
    "code_links",
    "sources",
    "primary_category",
    "title_key",
)


def title_key(title: str) -> str:
    """A fixed-size key of the normalised title (indexable on any database)."""
    return hashlib.sha1(normalize_title(title).encode()).hexdigest()


def public_id(*, arxiv_id: str | None, doi: str | None, tkey: str) -> str:
    if arxiv_id:
        return arxiv_id
    if doi:
        return f"doi:{doi}"
    return f"title-{tkey[:16]}"


def _surnames(authors: list[str]) -> set[str]:
    out = set()
    for name in authors:
        s = unicodedata.normalize("NFKD", name)
        s = "".join(c for c in s if not unicodedata.combining(c)).lower()
        parts = s.replace(".", " ").split()
        if parts:
            out.add(parts[-1])
    return out


def authors_compatible(a: list[str], b: list[str]) -> bool:
    """Same people, allowing for initials and a missing list: half the shorter list's surnames."""
    if not a or not b:
        return True
    sa, sb = _surnames(a), _surnames(b)
    return len(sa & sb) >= max(1, min(len(sa), len(sb)) // 2)


def same_paper_by_title(row: Row, rec: PaperRecord) -> bool:
    if rec.arxiv_id and row["arxiv_id"] and rec.arxiv_id != row["arxiv_id"]:
        return False
    if rec.doi and row["doi"] and rec.doi != row["doi"]:
        return False
    return authors_compatible(row["authors"], rec.authors)


def _versions(rec: PaperRecord) -> list[list[Any]]:
    return [[v.number, v.submitted.isoformat() if v.submitted else None] for v in rec.versions]


def new_row(rec: PaperRecord, tkey: str | None = None) -> Row:
    """The row for a paper seen for the first time (`tkey`: its title_key, when known)."""
    tkey = tkey or title_key(rec.title)
    row: Row = {name: getattr(rec, name) for name in SCALARS}
    row.update(
        id=public_id(arxiv_id=rec.arxiv_id, doi=rec.doi, tkey=tkey),
        arxiv_id=rec.arxiv_id,
        title_key=tkey,
        submitted=rec.submitted,
        announced=rec.announced,
        versions=_versions(rec),
        latest_version=rec.latest_version,
        sources=[rec.source] if rec.source else [],
        code_links=[],
    )
    _derive(row, rec)
    return row


def supersedes(row: Row, rec: PaperRecord) -> bool:
    """Whether the record is newer than what is stored (so its fields win)."""
    if rec.arxiv_id and not row["arxiv_id"]:
        return True
    ver, stored = rec.latest_version, row["latest_version"]
    if ver is not None and stored is not None and ver != stored:
        return ver > stored
    if ver is not None and stored is None:
        return True
    return bool(rec.updated and row["updated"] and rec.updated > row["updated"])


def _min_date(a: date | None, b: date | None) -> date | None:
    return min(a, b) if a and b else a or b


def _merge_versions(old: list[list[Any]], new: list[list[Any]]) -> list[list[Any]]:
    by_number: dict[int, Any] = {}
    for number, day in [*old, *new]:
        by_number[number] = by_number.get(number) or day
    return [[n, by_number[n]] for n in sorted(by_number)]


def _derive(row: Row, rec: PaperRecord) -> None:
    """Fields computed from others: primary category, code links."""
    row["primary_category"] = row["categories"][0] if row["categories"] else None
    links = extract_code_links(row["abstract"], row["comments"])
    for link in [*row["code_links"], *rec.links, *links]:
        if link not in links:
            links.append(link)
    row["code_links"] = links


def merge_into(row: Row, rec: PaperRecord) -> bool:
    """Merge a record into a stored row in place; True when the row changed."""
    before = {k: row[k] for k in COMPARED}
    newer = supersedes(row, rec)
    for name, empty in SCALARS.items():
        value = getattr(rec, name)
        if value in (None, "", []) or value == empty:
            continue
        if newer or row[name] in (None, "", []):
            row[name] = value
    if newer and rec.title:
        row["title_key"] = title_key(rec.title)
    row["arxiv_id"] = row["arxiv_id"] or rec.arxiv_id
    row["submitted"] = _min_date(row["submitted"], rec.submitted)
    row["announced"] = _min_date(row["announced"], rec.announced)
    row["versions"] = _merge_versions(row["versions"], _versions(rec))
    row["latest_version"] = row["versions"][-1][0] if row["versions"] else None
    if rec.source and rec.source not in row["sources"]:
        row["sources"] = sorted([*row["sources"], rec.source])
    row["id"] = _promoted_id(row)
    _derive(row, rec)
    return any(row[k] != before[k] for k in COMPARED)


def _promoted_id(row: Row) -> str:
    """A better id once one is known (title hash -> DOI -> arXiv id); never demoted."""
    current: str = row["id"]
    better = row["arxiv_id"] or (row["doi"] and current.startswith("title-"))
    if better and (current.startswith("title-") or current.startswith("doi:")):
        return public_id(arxiv_id=row["arxiv_id"], doi=row["doi"], tkey=row["title_key"])
    return current
