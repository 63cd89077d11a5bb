"""Authors: one normalised name per author string, THE key of author pages, follows and the
digest's "new from" sections.

The key is the index's full-name filter token (paperwire.index.names) without its prefix:

- case and accents are folded ("Łukasz Müller" -> "lukasz-muller"), apostrophes dropped
  ("O'Brien" -> "obrien"), other punctuation separates words;
- "Surname, Given" is read as "Given Surname"; "Jr.", "Sr.", "II", "III", "IV" are dropped;
- initials are kept as written: "Y. LeCun" is "y-lecun", "Yann LeCun" is "yann-lecun". Joining
  an initial to every full name it could stand for would merge different people (every "J.
  Smith"); the author page lists the other names with the same surname and first initial
  instead, so a reader can look there.

So one key may cover several people who write their name the same way, and one person may
have papers under two keys (with and without a middle name or initial). The author page says
so. A one-word name ("Plato") is its own surname: its key finds every author with that surname.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

from markupsafe import Markup, escape

from paperwire.index.names import author_tokens

PREFIX = "author:"


@lru_cache(maxsize=1 << 16)  # names recur across papers and list pages
def author_key(name: str) -> str:
    """The normalised name: "Yann LeCun" and "LeCun, Yann" -> "yann-lecun"; "" without letters.

    >>> author_key("LeCun, Yann"), author_key("Łukasz Kaiser"), author_key("Y. LeCun")
    ('yann-lecun', 'lukasz-kaiser', 'y-lecun')
    """
    tokens = author_tokens(name)
    return tokens[-1][len(PREFIX) :] if tokens else ""


def surname_key(name: str) -> str:
    """The surname part of a name's key: "Yann LeCun" -> "lecun"."""
    tokens = author_tokens(name)
    return tokens[0][len(PREFIX) :] if tokens else ""


def author_query(key: str) -> str:
    """The search query for a key: a one-word value is matched as a whole filter token."""
    return f"{PREFIX}{key}"


@lru_cache(maxsize=1 << 16)
def author_url(name: str) -> str:
    """/author/<key> of an author string ("" when the name has no letters)."""
    key = author_key(name)
    return "/author/" + quote(key, safe="") if key else ""


def author_links(authors: Sequence[str] | None, limit: int = 8) -> Markup:
    """Authors as links to their pages, comma-separated, "and N more" past `limit` (HTML,
    escaped here: a list page shows hundreds, a Jinja loop per name costs more)."""
    names = list(authors or [])
    parts = []
    for name in names[:limit]:
        url = author_url(name)
        text = escape(name)
        parts.append(Markup(f'<a href="{url}">{text}</a>') if url else text)
    out = Markup(", ").join(parts)
    if len(names) > limit:
        out += f" and {len(names) - limit:,} more"
    return out


@dataclass(frozen=True)
class NameCount:
    name: str
    key: str
    papers: int


def spellings(key: str, author_lists: Iterable[Sequence[str]]) -> list[NameCount]:
    """How the papers spell the name of `key`, most used first (then alphabetically)."""
    counts: Counter[str] = Counter()
    for names in author_lists:
        for name in dict.fromkeys(names):
            if author_key(name) == key:
                counts[name] += 1
    return [NameCount(n, key, c) for n, c in sorted(counts.items(), key=lambda x: (-x[1], x[0]))]


def _initial(key: str) -> str:
    return key[:1]


def related_names(
    key: str, author_lists: Iterable[Sequence[str]], limit: int = 10
) -> list[NameCount]:
    """Other keys with the same surname and first initial as `key` (maybe the same person
    with or without a middle name or initial), most papers first."""
    surname = key.rsplit("-", 1)[-1]
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for names in author_lists:
        for name in dict.fromkeys(names):
            other = author_key(name)
            if other == key or not other or surname_key(name) != surname:
                continue
            if "-" in key and _initial(other) != _initial(key):
                continue
            counts[other] += 1
            shown.setdefault(other, name)
    ranked = sorted(counts.items(), key=lambda x: (-x[1], x[0]))[:limit]
    return [NameCount(shown[k], k, c) for k, c in ranked]


def ambiguity_note(total: int, spelled: Sequence[NameCount]) -> str:
    """What the page can and cannot tell about who this is."""
    papers = f"{total:,} paper{'s' if total != 1 else ''}"
    note = f"{papers} under this name; it may cover several people who write their name alike"
    if len(spelled) > 1:
        note += f" (spelled {len(spelled)} ways here)"
    return note + ", and one person's papers under another form of the name are listed apart."


def author_pages(must: Iterable[str]) -> list[dict[str, str]]:
    """The author pages of a parsed query's `author:` filters (its `must` tokens)."""
    keys = [t[len(PREFIX) :] for t in must if t.startswith(PREFIX)]
    return [{"key": k, "url": "/author/" + quote(k, safe="")} for k in dict.fromkeys(keys)]
