"""Text helpers shared by the site and the mails (a neutral module: importable from anywhere)."""

from __future__ import annotations

TEASER_CHARS = 600  # of an abstract in a list (the paper's page has it all)


def teaser(text: str | None, limit: int = TEASER_CHARS) -> str:
    """The text cut at a word boundary near `limit`, never inside a $...$ formula."""
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    if cut.count("$") % 2:  # an open formula: stop before it
        cut = cut[: cut.rfind("$")].rstrip()
    return cut.rstrip(",;:") + " …"


def short_authors(authors: list[str] | None, limit: int = 8) -> str:
    authors = authors or []
    if len(authors) <= limit:
        return ", ".join(authors)
    return ", ".join(authors[:limit]) + f" and {len(authors) - limit:,} more"
