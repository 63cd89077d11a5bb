"""The one query type: what `paperwire.search.query.parse_query` reads from the search box, what
every index backend is asked, and what the lexical index runs. Immutable and hashable, so it can
key a cache of results.

`text` is the free text and the phrases' words in the order typed (for BM25 and the dense
encoder); `phrases` must occur as typed; `must` filter tokens are ANDed; each `any_of` group
needs one of its tokens; a paper that has any `none_of` filter token, or contains a `must_not`
word or phrase (or filter token), is left out; `day_from`/`day_to` bound the listing day,
inclusive, in days since 1970-01-01 (None: open). `sort` is "relevance" or "date"; left empty
it is the default for the text: relevance when there is text, else date.

Filter tokens look like `cat:cs.lg`, `author:zeng`, `author:xianming-zeng`, `year:2025`,
`has:code`; an entry without a colon is a word, analysed like text (in `must` every one of its
terms is required, in `must_not` any of them excludes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

SORTS = ("relevance", "date")


def _strings(items: Iterable[str]) -> tuple[str, ...]:
    return items if isinstance(items, tuple) else tuple(items)


@dataclass(frozen=True, slots=True)
class Query:
    text: str = ""
    phrases: tuple[str, ...] = ()
    must: tuple[str, ...] = ()
    any_of: tuple[tuple[str, ...], ...] = ()
    must_not: tuple[str, ...] = ()
    none_of: tuple[str, ...] = ()
    day_from: int | None = None
    day_to: int | None = None
    sort: str = ""
    # Analysed terms with their query weights, used in place of `text` by the lexical index
    # when given: an expanded query (index/prf.py) whose terms are stems, not words to analyse.
    # Kept as (term, weight) pairs sorted by term, so equal queries hash alike (a dict given
    # is read as its pairs).
    weighted: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        # Lists are accepted (hand-made queries, tests) and kept as tuples: hashable, immutable.
        for name in ("phrases", "must", "must_not", "none_of"):
            object.__setattr__(self, name, _strings(getattr(self, name)))
        object.__setattr__(self, "any_of", tuple(_strings(g) for g in self.any_of))
        pairs = self.weighted.items() if isinstance(self.weighted, Mapping) else self.weighted
        object.__setattr__(self, "weighted", tuple(sorted((t, float(w)) for t, w in pairs)))
        sort = self.sort or ("relevance" if self.text else "date")
        if sort not in SORTS:
            raise ValueError(f"sort must be 'relevance' or 'date', not {self.sort!r}")
        object.__setattr__(self, "sort", sort)

    @property
    def filtered(self) -> bool:
        """Whether anything besides the text (and its phrases) narrows the results."""
        return bool(
            self.must
            or self.any_of
            or self.must_not
            or self.none_of
            or self.day_from is not None
            or self.day_to is not None
        )

    @property
    def constrained(self) -> bool:
        """Whether some paper can be left out whatever its score (filters or phrases)."""
        return bool(self.phrases) or self.filtered

    @property
    def excluded(self) -> tuple[str, ...]:
        """Everything that leaves a paper out: `must_not` words and phrases and `none_of`."""
        return self.must_not + self.none_of
