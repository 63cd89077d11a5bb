"""What a list can be narrowed to: categories (any of the chips picked), papers with code, and
a user's keyword rules (include: at least one keyword in the title or abstract; exclude: none).

The same rule is applied in SQL to the site's lists (`where`) and in Python to a digest's
candidates (`ListFilter.matches`): a keyword matches as a case-insensitive substring of
"title abstract" (on SQLite `lower()` folds ASCII letters only, so a keyword is stored
lower-cased and non-ASCII capitals in a paper match only as written in lower case).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, String, case, cast, func, not_, or_, select
from sqlalchemy.sql import ColumnElement

from paperwire.store.schema import paper_categories, papers

_S = TypeVar("_S", bound=Select)

# 1 for a paper with at least one code link. `code_links` is a JSON list; an empty one is stored
# as the text "[]" by both SQLite and PostgreSQL's JSON type, so comparing the text works on both.
has_code: ColumnElement[int] = case((cast(papers.c.code_links, String) == "[]", 0), else_=1)


@dataclass(frozen=True)
class ListFilter:
    categories: tuple[str, ...] = ()
    has_code: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.categories or self.has_code or self.include or self.exclude)

    def matches(self, row: Mapping[str, Any]) -> bool:
        """The Python twin of `where`, for rows with title, abstract, categories, code_links."""
        if self.categories and not set(self.categories) & set(row.get("categories") or []):
            return False
        if self.has_code and not row.get("code_links"):
            return False
        text = f"{row.get('title') or ''} {row.get('abstract') or ''}".lower()
        if self.include and not any(k in text for k in self.include):
            return False
        return not any(k in text for k in self.exclude)


def _escape_like(keyword: str) -> str:
    return keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(keyword: str) -> ColumnElement[bool]:
    text = func.lower(papers.c.title + " " + papers.c.abstract)
    return text.like(f"%{_escape_like(keyword)}%", escape="\\")


def where(stmt: _S, filters: ListFilter | None) -> _S:
    """`stmt` (over `papers`) narrowed to the papers `filters` keeps."""
    if not filters:
        return stmt
    if filters.categories:
        in_cats = select(paper_categories.c.paper_pk).where(
            paper_categories.c.category.in_(filters.categories)
        )
        stmt = stmt.where(papers.c.pk.in_(in_cats))
    if filters.has_code:
        stmt = stmt.where(has_code == 1)
    if filters.include:
        stmt = stmt.where(or_(*(_contains(k) for k in filters.include)))
    if filters.exclude:
        stmt = stmt.where(not_(or_(*(_contains(k) for k in filters.exclude))))
    return stmt


__all__ = ["ListFilter", "has_code", "where"]
