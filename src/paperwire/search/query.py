"""Reading what a user types into the search box: free text, "phrases", -exclusions and filters.

`parse_query(text)` returns a `ParsedQuery`, or raises `BadQuery` saying what was wrong, what is
allowed, and where (`.position`). Nothing else escapes it, whatever the input.

Tokens are separated by white space. Filter names are case-insensitive; a word whose part before
the colon is not a filter name is plain text (`arXiv:2501.01234`, `https://...`, `3:1`).

    token merging          free text: ranked by BM25 and the dense encoder
    "token merging"        a phrase: in the text for ranking, and listed in `phrases`
    -pruning -"low rank"   exclusions (`must_not`)
    author:lecun           surname            -> must  author:lecun
    author:"Yann LeCun"    full name          -> must  author:yann-lecun
    cat:cs.CL cat:cs.LG    categories, OR-ed  -> any_of (cat:cs.cl, cat:cs.lg); also cat:cs.CL,cs.LG
    has:code               a code link        -> must  has:code
    -author:x -cat:x -has:code                -> none_of (a paper with any of them is left out)
    year:2024  year:2020..2024  year:2024..  year:..2024
    date:2025-03-01  date:2025-03  date:2025-03-01..2025-03-31  date:2025-03..  date:..2025
    after:2025-01-01       on or after (a day, a month or a year)
    before:2025-02-01      strictly before
    sort:date  sort:relevance   (default: relevance when there is text, else date)

Date filters intersect into one inclusive `day_from..day_to` (days since 1970-01-01).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import NoReturn

from paperwire.days import day_number, day_of
from paperwire.errors import BadQuery
from paperwire.index.names import author_tokens
from paperwire.index.query import Query

MAX_CHARS = 1000
MAX_TERMS = 64
SORTS = ("relevance", "date")
HAS_VALUES = ("code",)
HAS_CODE = "has:code"

# Typed name -> canonical name.
_FILTERS = {
    "author": "author",
    "cat": "cat",
    "category": "cat",
    "year": "year",
    "date": "date",
    "after": "after",
    "before": "before",
    "has": "has",
    "sort": "sort",
}
_NEGATABLE = ("author", "cat", "has")

_YEAR_HELP = "a year or a range of years: year:2024, year:2020..2024, year:2024.. or year:..2024"
_DATE_HELP = (
    "a day, month or year, or a range of them: date:2025-03-01, date:2025-03, "
    "date:2025-03-01..2025-03-31, date:2025-03.. or date:..2025"
)
_HELP = {
    "author": 'a name: author:lecun or author:"Yann LeCun"',
    "cat": "an arXiv category, or several separated by commas: cat:cs.CL, cat:hep-th, "
    "cat:cs.CL,cs.LG",
    "year": _YEAR_HELP,
    "date": _DATE_HELP,
    "after": "a day, month or year: after:2025-01-01, after:2025-01 or after:2025",
    "before": "a day, month or year: before:2025-02-01, before:2025-02 or before:2025",
    "has": "one of: " + ", ".join(f"has:{v}" for v in HAS_VALUES),
    "sort": "one of: " + ", ".join(f"sort:{v}" for v in SORTS),
}

# --- names ---------------------------------------------------------------------------------

# Letters NFKD does not take apart; everything else loses its accents by decomposition.
_CATEGORY = re.compile(r"[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)?")


def category_token(category: str) -> str:
    """The filter token of an arXiv category: 'cs.CL' -> 'cat:cs.cl'."""
    return "cat:" + category.strip().lower()


# --- the parsed query ----------------------------------------------------------------------


# A parsed query is the index's one query type (fields and meaning: paperwire.index.query).
ParsedQuery = Query


def query_string(q: Query) -> str:
    """The canonical query string: `parse_query(query_string(q)) == q`."""
    parts = _render_text(q.text, q.phrases)
    parts += [f'-"{w}"' if _needs_quotes(w) else f"-{w}" for w in q.must_not]
    parts += list(q.must)
    parts += [_render_group(group, "") for group in q.any_of]
    cats = tuple(t for t in q.none_of if t.startswith("cat:"))
    parts += [f"-{t}" for t in q.none_of if not t.startswith("cat:")]
    if cats:
        parts.append(_render_group(cats, "-"))
    parts += _render_days(q.day_from, q.day_to)
    if q.sort != _default_sort(q.text):
        parts.append(f"sort:{q.sort}")
    return " ".join(parts)


def parse_query(query: str) -> ParsedQuery:
    """Read a query string (grammar in the module docstring); raise `BadQuery` if it cannot be.

    >>> q = parse_query('"token merging" author:"Yann LeCun" cat:cs.CV -pruning')
    >>> q.text, q.phrases, q.must, q.any_of, q.must_not
    ('token merging', ('token merging',), ('author:yann-lecun',), (('cat:cs.cv',),), ('pruning',))
    """
    if len(query) > MAX_CHARS:
        raise BadQuery(
            f"the query is {len(query):,} characters long; at most {MAX_CHARS:,} are allowed",
            position=MAX_CHARS,
        )
    return _Reader(query).read()


def _default_sort(text: str) -> str:
    return "relevance" if text else "date"


# --- reading ---------------------------------------------------------------------------------

_PERIOD = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
# Zero-width joiners hold emoji and some scripts' words together; other format characters
# (direction marks, zero-width spaces, soft hyphens, BOMs) are dropped.
_KEEP_FORMAT = frozenset("\u200c\u200d")


class _Reader:
    """One pass over one query. Positions are indexes into `s` (the query with control
    characters made spaces and invisible format characters dropped); `where` maps them back."""

    def __init__(self, query: str) -> None:
        chars: list[str] = []
        where: list[int] = []
        for i, ch in enumerate(query):
            category = unicodedata.category(ch)
            if category in ("Cf", "Cs") and ch not in _KEEP_FORMAT:
                continue
            chars.append(" " if category == "Cc" or ch.isspace() else ch)
            where.append(i)
        self.s = "".join(chars)
        self.where = [*where, len(query)]
        self.text: list[str] = []
        self.phrases: list[str] = []
        self.must: list[str] = []
        self.cats: list[str] = []
        self.must_not: list[str] = []
        self.none_of: list[str] = []
        self.day_from: int | None = None
        self.day_to: int | None = None
        self.sort: str | None = None

    def fail(self, at: int, message: str) -> NoReturn:
        position = self.where[min(at, len(self.s))]
        raise BadQuery(f"{message} (column {position + 1})", position=position)

    def read(self) -> ParsedQuery:
        s, n, i, terms = self.s, len(self.s), 0, 0
        while i < n:
            if s[i] == " ":
                i += 1
                continue
            terms += 1
            if terms > MAX_TERMS:
                self.fail(
                    i, f"the query has more than {MAX_TERMS} terms; at most {MAX_TERMS} are allowed"
                )
            negated = s[i] == "-" and i + 1 < n and s[i + 1] != " "
            if negated:
                i += 1
            if s[i] == '"':
                phrase, i = self.quoted(i)
                self.add_phrase(phrase, negated)
                continue
            start, i = i, _word_end(s, i)
            name, colon, value = s[start:i].partition(":")
            if not (colon and name.lower() in _FILTERS):
                (self.must_not if negated else self.text).append(s[start:i])
                continue
            value_at = start + len(name) + 1
            if not value and i < n and s[i] == '"':
                value, i = self.quoted(i)
            self.add_filter(_FILTERS[name.lower()], value, negated, start - negated, value_at)
        text = " ".join(self.text)
        return ParsedQuery(
            text=text,
            phrases=tuple(self.phrases),
            must=_unique(self.must),
            any_of=(_unique(self.cats),) if self.cats else (),
            must_not=_unique(self.must_not),
            none_of=_unique(self.none_of),
            day_from=self.day_from,
            day_to=self.day_to,
            sort=self.sort or _default_sort(text),
        )

    def quoted(self, at: int) -> tuple[str, int]:
        """The text between the quote at `at` and the next one (spaces squeezed), and the
        position after the closing quote."""
        end = self.s.find('"', at + 1)
        if end < 0:
            self.fail(at, "this quote is never closed; quotes come in pairs, around a phrase")
        return " ".join(self.s[at + 1 : end].split()), end + 1

    def add_phrase(self, phrase: str, negated: bool) -> None:
        if not phrase:
            return
        if negated:
            self.must_not.append(phrase)
        else:
            self.text.append(phrase)
            self.phrases.append(phrase)

    def add_filter(self, name: str, value: str, negated: bool, at: int, value_at: int) -> None:
        if negated and name not in _NEGATABLE:
            allowed = ", ".join(f"-{n}:" for n in _NEGATABLE)
            self.fail(at, f"{name}: cannot be negated; only {allowed} can")
        if not value:
            self.fail(
                value_at, f"{name}: needs a value right after the colon; it takes {_HELP[name]}"
            )
        if name == "author":
            tokens = author_tokens(value)
            if not tokens:
                self.fail(
                    value_at, f"author: {value!r} has no letters in it; it takes {_HELP[name]}"
                )
            (self.none_of if negated else self.must).append(tokens[-1])
        elif name == "cat":
            cats = self.categories(value, value_at)
            (self.none_of if negated else self.cats).extend(cats)
        elif name == "has":
            self.choice(name, value, HAS_VALUES, value_at)
            (self.none_of if negated else self.must).append(f"has:{value.lower()}")
        elif name == "sort":
            self.sort = self.choice(name, value, SORTS, value_at)
        else:
            lo, hi = self.days(name, value, value_at)
            self.narrow(lo, hi, at, f"{name}:{value}")

    def choice(self, name: str, value: str, allowed: tuple[str, ...], at: int) -> str:
        if value.lower() not in allowed:
            self.fail(at, f"{name}: does not take {value!r}; it takes {_HELP[name]}")
        return value.lower()

    def categories(self, value: str, at: int) -> list[str]:
        cats = [c.strip().lower() for c in value.split(",") if c.strip()]
        bad = [c for c in cats if not _CATEGORY.fullmatch(c)]
        if bad or not cats:
            self.fail(at, f"cat: {value!r} is not a category; it takes {_HELP['cat']}")
        return [category_token(c) for c in cats]

    def days(self, name: str, value: str, at: int) -> tuple[int | None, int | None]:
        """The inclusive day range a date filter's value stands for."""
        if name in ("after", "before"):
            first, _ = self.period(name, value, at)
            return (first, None) if name == "after" else (None, first - 1)
        low, dots, high = value.partition("..")
        if not dots:
            low = high = value
        elif not low and not high:
            self.fail(at, f"{name}: a range needs at least one end; it takes {_HELP[name]}")
        lo = self.period(name, low, at)[0] if low else None
        hi = self.period(name, high, at)[1] if high else None
        if lo is not None and hi is not None and lo > hi:
            self.fail(at, f"{name}: the range {value} ends before it starts")
        return lo, hi

    def period(self, name: str, text: str, at: int) -> tuple[int, int]:
        """The first and last day of a year, month or day written YYYY[-MM[-DD]]."""
        if name == "year" and not re.fullmatch("[0-9]{4}", text):
            self.fail(at, f"{name}: does not take {text!r}; it takes {_HELP[name]}")
        try:
            days = _period(text)
        except ValueError:
            self.fail(at, f"{name}: {text} is not a real date")
        if days is None:
            self.fail(at, f"{name}: does not take {text!r}; it takes {_HELP[name]}")
        if name == "before" and days[0] == day_number(date.min):
            self.fail(at, f"before: {text} leaves no days before it")
        return days

    def narrow(self, lo: int | None, hi: int | None, at: int, typed: str) -> None:
        """Intersect the query's day range with [lo, hi]."""
        if lo is not None:
            self.day_from = lo if self.day_from is None else max(self.day_from, lo)
        if hi is not None:
            self.day_to = hi if self.day_to is None else min(self.day_to, hi)
        if self.day_from is not None and self.day_to is not None and self.day_from > self.day_to:
            self.fail(at, f"{typed} leaves no days together with the date filters before it")


def _period(text: str) -> tuple[int, int] | None:
    """The first and last day of YYYY, YYYY-MM or YYYY-MM-DD; None if `text` is none of
    them; ValueError if it names no real day (2025-13-01)."""
    match = _PERIOD.fullmatch(text)
    if not match:
        return None
    year, month, day = int(match[1]), match[2], match[3]
    if day:
        first = last = date(year, int(month), int(day))
    elif month:
        first = date(year, int(month), 1)
        last = date(year, 12, 31) if month == "12" else date(year, int(month) + 1, 1) - timedelta(1)
    else:
        first, last = date(year, 1, 1), date(year, 12, 31)
    return day_number(first), day_number(last)


def _word_end(s: str, i: int) -> int:
    """Where the bare word starting at i ends: at a space or a quote."""
    n = len(s)
    while i < n and s[i] != " " and s[i] != '"':
        i += 1
    return i


def _unique(items: list[str]) -> tuple[str, ...]:
    # Sorted: filters and exclusions are sets, and equal queries should compare (and cache) equal.
    return tuple(sorted(set(items)))


# --- rendering -------------------------------------------------------------------------------


def _needs_quotes(word: str) -> bool:
    name, colon, _ = word.partition(":")
    return " " in word or bool(colon and name.lower() in _FILTERS)


def _render_text(text: str, phrases: tuple[str, ...]) -> list[str]:
    """The text's words with each phrase quoted where it occurs (each phrase at the earliest
    place after the previous one: that always succeeds when some placement does)."""
    words = text.split(" ") if text else []
    out: list[str] = []
    i = k = 0
    while i < len(words):
        if k < len(phrases):
            phrase = phrases[k].split(" ")
            if words[i : i + len(phrase)] == phrase:
                out.append(f'"{phrases[k]}"')
                i, k = i + len(phrase), k + 1
                continue
        out.append(words[i])
        i += 1
    return out + [f'"{p}"' for p in phrases[k:]]  # only a hand-made query gets here


def _render_group(tokens: tuple[str, ...], sign: str) -> str:
    if all(t.startswith("cat:") for t in tokens):
        return sign + "cat:" + ",".join(t[4:] for t in tokens)
    return " ".join(sign + t for t in tokens)  # not made by the parser: an OR it cannot express


def _render_days(day_from: int | None, day_to: int | None) -> list[str]:
    if day_from is None:
        return [] if day_to is None else [f"date:..{_period_to(day_to)}"]
    if day_to is None:
        return [f"after:{_period_from(day_from)}"]
    start = day_of(day_from)
    for one in (f"{start.year:04d}", f"{start.year:04d}-{start.month:02d}", start.isoformat()):
        if _period(one) == (day_from, day_to):  # exactly one year, month or day
            return [f"date:{one}"]
    return [f"date:{_period_from(day_from)}..{_period_to(day_to)}"]


def _period_from(day: int) -> str:
    """The shortest YYYY[-MM[-DD]] whose first day is `day`."""
    d = day_of(day)
    if d.day != 1:
        return d.isoformat()
    return f"{d.year:04d}" if d.month == 1 else f"{d.year:04d}-{d.month:02d}"


def _period_to(day: int) -> str:
    """The shortest YYYY[-MM[-DD]] whose last day is `day`."""
    d = day_of(day)
    if d == date.max:
        return "9999"
    after = d + timedelta(days=1)
    if after.day != 1:
        return d.isoformat()
    return f"{d.year:04d}" if after.month == 1 else f"{d.year:04d}-{d.month:02d}"
