"""Showing where a result matched: the best window of a title or abstract, with matches marked.

A word matches when one of its analysed forms is an analysed form of a query term, so pass the
analyzer the lexical index uses (stemming, folding) and the highlight agrees with the ranking.
Phrase words count like any other word. LaTeX in `$...$` is left as it is: never marked inside,
never cut in two (unless a single run of it is longer than the whole window).

>>> highlight("Token merging speeds up vision transformers.", ["merging"], analyzer=None)
[('Token ', False), ('merging', True), (' speeds up vision transformers.', False)]
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Analyzer = Callable[[str], list[str]]
Segment = tuple[str, bool]

ELLIPSIS = "…"
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_ALNUM = re.compile(r"[^\W_]+")
_MATH = re.compile(r"(?<!\\)\$\$[^$]{1,500}?\$\$|(?<!\\)\$[^$]{1,300}?(?<!\\)\$")


def lowercase_words(text: str) -> list[str]:
    """The default analyzer: the runs of letters and digits, lowercased."""
    return [w.lower() for w in _ALNUM.findall(text)]


@dataclass(slots=True)
class _Chunk:
    """A run of text between white space (a `$...$` span counts as one run)."""

    start: int
    end: int
    matches: list[tuple[int, int, frozenset[str]]]  # matched words: start, end, forms


def highlight(
    text: str,
    terms: Sequence[str],
    *,
    analyzer: Analyzer | None = None,
    max_chars: int = 300,
) -> list[Segment]:
    """The best window of `text`, as (text, is_match) segments.

    The window is at most `max_chars` long (not counting the "…" added where it cuts the text),
    starts and ends at white space, and holds the most distinct matched terms (then the most
    matches, then comes first); with no match it is the start of the text.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, not {max_chars}")
    analyse = analyzer or lowercase_words
    chunks = _chunks(
        text, frozenset(f for term in terms for f in analyse(term)), analyse, max_chars
    )
    if not chunks:
        return []
    first, stop = _place(chunks, _best_window(chunks, max_chars), max_chars)
    start, end = chunks[first].start, chunks[stop - 1].end
    segments: list[Segment] = [(ELLIPSIS, False)] if first > 0 else []
    at = start
    for chunk in chunks[first:stop]:
        for word_start, word_end, _ in chunk.matches:
            word_end = min(word_end, end)
            if word_start > at:
                segments.append((text[at:word_start], False))
            segments.append((text[word_start:word_end], True))
            at = word_end
    if at < end:
        segments.append((text[at:end], False))
    if stop < len(chunks):
        segments.append((ELLIPSIS, False))
    return _merge(segments)


def highlight_html(
    text: str,
    terms: Sequence[str],
    *,
    analyzer: Analyzer | None = None,
    max_chars: int = 300,
) -> str:
    """`highlight` as HTML: everything escaped, matches in `<mark>`. Safe to put in a page as is.

    >>> highlight_html("<b>BERT</b> & co", ["bert"])
    '&lt;b&gt;<mark>BERT</mark>&lt;/b&gt; &amp; co'
    """
    return "".join(
        f"<mark>{html.escape(part)}</mark>" if match else html.escape(part)
        for part, match in highlight(text, terms, analyzer=analyzer, max_chars=max_chars)
    )


def _chunks(text: str, wanted: frozenset[str], analyse: Analyzer, max_chars: int) -> list[_Chunk]:
    """The text's white-space-separated runs (none longer than max_chars), each with its
    matching words. Words inside `$...$` are not looked at."""
    solid, plain = list(text), list(text)
    for math in _MATH.finditer(text):
        for i in range(math.start(), math.end()):
            plain[i] = " "
            if solid[i].isspace():
                solid[i] = "_"
    chunks = [
        _Chunk(start, min(start + max_chars, m.end()), [])
        for m in re.finditer(r"\S+", "".join(solid))
        for start in range(m.start(), m.end(), max_chars)
    ]
    if not wanted or not chunks:
        return chunks
    seen: dict[str, frozenset[str]] = {}
    k = 0
    for word in _WORD.finditer("".join(plain)):
        found = seen.get(word[0])
        if found is None:
            found = seen[word[0]] = frozenset(analyse(word[0])) & wanted
        if found:
            while chunks[k].end <= word.start():
                k += 1
            chunks[k].matches.append((word.start(), word.end(), found))
    return chunks


def _best_window(chunks: list[_Chunk], max_chars: int) -> tuple[int, int]:
    """The chunks [first, stop) that fit in max_chars with the most distinct matched forms,
    then the most matched words; the earliest such window."""
    counts: Counter[str] = Counter()
    words = 0
    best, best_key = (0, 0), (-1, -1)
    stop = 0
    for first in range(len(chunks)):
        while stop < len(chunks) and chunks[stop].end - chunks[first].start <= max_chars:
            for _, _, forms in chunks[stop].matches:
                counts.update(forms)
            words += len(chunks[stop].matches)
            stop += 1
        key = (len(counts), words)
        if key > best_key:
            best, best_key = (first, stop), key
        for _, _, forms in chunks[first].matches:
            counts.subtract(forms)
        counts += Counter()  # drops the forms that reached zero
        words -= len(chunks[first].matches)
    return best


def _place(chunks: list[_Chunk], window: tuple[int, int], max_chars: int) -> tuple[int, int]:
    """Move the window so its matches have some text before them (a third of what they leave
    free), and fill it to max_chars."""
    first, stop = window
    matched = [i for i in range(first, stop) if chunks[i].matches]
    if matched:
        lo, hi = matched[0], matched[-1]
        lead = (max_chars - (chunks[hi].end - chunks[lo].start)) // 3
        first = lo
        while first > 0 and chunks[lo].start - chunks[first - 1].start <= lead:
            first -= 1
    else:
        first = 0
    stop = first + 1
    while stop < len(chunks) and chunks[stop].end - chunks[first].start <= max_chars:
        stop += 1
    while first > 0 and chunks[stop - 1].end - chunks[first - 1].start <= max_chars:
        first -= 1
    return first, stop


def _merge(segments: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for part, match in segments:
        if merged and merged[-1][1] == match:
            merged[-1] = (merged[-1][0] + part, match)
        elif part:
            merged.append((part, match))
    return merged
