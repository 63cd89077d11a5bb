"""Our parsed query's constraints as a Milvus boolean expression, plus the phrase check Milvus
cannot do (Milvus Lite has no PHRASE_MATCH): its expression requires every phrase term
(TEXT_MATCH), and `phrase_holds` verifies the order on the candidates' stored terms.

Filter tokens (`cat:cs.lg`, `author:zeng`, `year:2025`, `has:code`) are exact elements of the
`tags` array; a word without a colon is analysed like text and matched on the analysed text
(in `must` all of its terms are required, in `must_not` any of them excludes; `none_of`
tokens exclude as `must_not` ones do), as the embedded
lexical index does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from paperwire.index.analyze import Analyzer
from paperwire.index.query import Query


def literal(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # Milvus reads no \\u escapes


def _word_terms(word: str, analyzer: Analyzer) -> list[str]:
    return list(dict.fromkeys(analyzer.analyze(word)))


def _all_terms(terms: Sequence[str]) -> str:
    return " and ".join(f"TEXT_MATCH(text, {literal(t)})" for t in terms)


def _token(token: str, analyzer: Analyzer) -> str | None:
    """One required entry: a tag, or all terms of a word (None: a word with no terms)."""
    if ":" in token:
        return f"array_contains(tags, {literal(token.strip().lower())})"
    terms = _word_terms(token, analyzer)
    return f"({_all_terms(terms)})" if terms else None


def _excluded(token: str, analyzer: Analyzer) -> str | None:
    if ":" in token:
        return f"array_contains(tags, {literal(token.strip().lower())})"
    terms = _word_terms(token, analyzer)
    if not terms:
        return None
    return "(" + " or ".join(f"TEXT_MATCH(text, {literal(t)})" for t in terms) + ")"


def expression(q: Query, analyzer: Analyzer) -> str:
    """The Milvus filter for `q`'s constraints ("" when there are none)."""
    parts: list[str] = []
    for token in q.must:
        if (one := _token(token, analyzer)) is not None:
            parts.append(one)
    for group in q.any_of:
        options = [o for t in group if (o := _token(t, analyzer)) is not None]
        if options:
            parts.append("(" + " or ".join(options) + ")")
    for token in q.excluded:
        if (gone := _excluded(token, analyzer)) is not None:
            parts.append(f"not {gone}")
    for phrase in q.phrases:
        terms = _word_terms(phrase, analyzer)
        if terms:
            parts.append(f"({_all_terms(terms)})")
    if q.day_from is not None:
        parts.append(f"day >= {int(q.day_from)}")
    if q.day_to is not None:
        parts.append(f"day <= {int(q.day_to)} and day >= 0")
    return " and ".join(parts)


def both(*exprs: str) -> str:
    kept = [e for e in exprs if e]
    return " and ".join(f"({e})" for e in kept)


def keys_in(keys: Sequence[int]) -> str:
    return f"pk in [{', '.join(str(int(k)) for k in keys)}]"


def phrase_terms(q: Query, analyzer: Analyzer) -> list[list[str]]:
    return [t for p in q.phrases if (t := analyzer.analyze(p))]


def phrase_holds(spans: tuple[list[str], list[str]], phrases: list[list[str]]) -> bool:
    """Every phrase occurs as consecutive terms inside the title or inside the abstract."""
    return all(any(_contains(part, p) for part in spans) for p in phrases)


def _contains(terms: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(terms[i : i + n] == phrase for i in range(len(terms) - n + 1))
