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
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, compress, repeat
from operator import add, sub

Analyzer = Callable[[str], list[str]]
Segment = tuple[str, bool]

ELLIPSIS = "…"
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_WORD_SPLIT = re.compile(f"({_WORD.pattern})")
_SPACES = re.compile(r"(\s+)")
_ALNUM = re.compile(r"[^\W_]+")
_MATH = re.compile(r"(?<!\\)\$\$[^$]{1,500}?\$\$|(?<!\\)\$[^$]{1,300}?(?<!\\)\$")


def lowercase_words(text: str) -> list[str]:
    """The default analyzer: the runs of letters and digits, lowercased."""
    return [w.lower() for w in _ALNUM.findall(text)]


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
    plain, solid = _unmath(text)
    starts, ends = _chunks(solid, max_chars)
    if not starts:
        return []
    wanted = frozenset(f for term in terms for f in analyse(term))
    matches = _matches(plain, wanted, analyse, ends) if wanted else []
    first, stop = _place(starts, ends, _best_window(starts, ends, matches, max_chars), max_chars)
    start, end = starts[first], ends[stop - 1]
    segments: list[Segment] = [(ELLIPSIS, False)] if first > 0 else []
    at = start
    for word_start, word_end, chunk, _ in matches:
        if chunk < first:
            continue
        if chunk >= stop:
            break
        word_end = min(word_end, end)
        if word_start > at:
            segments.append((text[at:word_start], False))
        segments.append((text[word_start:word_end], True))
        at = word_end
    if at < end:
        segments.append((text[at:end], False))
    if stop < len(starts):
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


def _unmath(text: str) -> tuple[str, str]:
    """The text with `$...$` spans blanked (where words are looked for), and with the white
    space inside them made solid (where the text is cut into runs)."""
    if "$" not in text:
        return text, text
    plain = _MATH.sub(lambda m: " " * len(m[0]), text)
    solid = _MATH.sub(lambda m: "".join("_" if c.isspace() else c for c in m[0]), text)
    return plain, solid


def _offsets(parts: list[str]) -> list[int]:
    """Where each of these consecutive pieces of a text starts (and, last, where the text ends)."""
    return [0, *accumulate(map(len, parts))]


def _chunks(solid: str, max_chars: int) -> tuple[list[int], list[int]]:
    """Starts and ends of the text's white-space-separated runs (a run longer than max_chars is
    cut into pieces of max_chars)."""
    runs = solid.split()  # str.split and the regex agree on what white space is
    if runs and sum(map(len, runs)) + len(runs) - 1 == len(solid):
        # One white space character between runs, none around them (the common case).
        lengths = list(map(len, runs))
        starts = [0, *accumulate(map(add, lengths, repeat(1, len(runs) - 1)))]
        ends = list(map(add, starts, lengths))
    else:
        parts = _SPACES.split(solid)  # run, space, run, ..., run (the first, last may be "")
        at = _offsets(parts)
        starts, ends = at[0:-1:2], at[1::2]
        if not parts[0]:
            del starts[0], ends[0]
        if starts and not parts[-1]:
            del starts[-1], ends[-1]
    if starts and max(map(sub, ends, starts)) > max_chars:
        cut_starts, cut_ends = [], []
        for run_start, run_end in zip(starts, ends, strict=True):
            for start in range(run_start, run_end, max_chars):
                cut_starts.append(start)
                cut_ends.append(min(start + max_chars, run_end))
        return cut_starts, cut_ends
    return starts, ends


# The analysed forms of the words seen, per analyzer (an analyzer is a pure function of the
# word), and the other way round, the words seen with each form: a page of results shares most
# of its words, and the same words come back with the next query. Bounded: a few analyzers
# (the index's, the default), each with the words of some thousands of abstracts.
_KNOWN: dict[Analyzer, _Known] = {}
_MAX_ANALYZERS = 8
_MAX_WORDS = 200_000


@dataclass(slots=True)
class _Known:
    forms: dict[str, frozenset[str]] = field(default_factory=dict)  # word -> its forms
    words: dict[str, set[str]] = field(default_factory=dict)  # form -> words with it

    def learn(self, words: set[str], analyse: Analyzer) -> None:
        for word in words.difference(self.forms):
            forms = self.forms[word] = frozenset(analyse(word))
            for form in forms:
                self.words.setdefault(form, set()).add(word)


def _known(analyse: Analyzer) -> _Known:
    known = _KNOWN.get(analyse)
    if known is None or len(known.forms) > _MAX_WORDS:
        if len(_KNOWN) >= _MAX_ANALYZERS:
            _KNOWN.clear()
        known = _KNOWN[analyse] = _Known()
    return known


_Match = tuple[int, int, int, frozenset[str]]  # a matched word: start, end, chunk, forms


def _matches(
    plain: str, wanted: frozenset[str], analyse: Analyzer, ends: list[int]
) -> list[_Match]:
    """The words with an analysed form in `wanted`, in order (each distinct word is analysed
    once). Words inside `$...$` are not looked at (they are blanked in `plain`)."""
    parts = _WORD_SPLIT.split(plain)  # space, word, space, ..., word, space
    words = parts[1::2]
    distinct = set(words)
    known = _known(analyse)
    known.learn(distinct, analyse)
    found: dict[str, frozenset[str]] = {}
    for form in wanted:
        for word in distinct.intersection(known.words.get(form, ())):
            if word not in found:
                found[word] = known.forms[word] & wanted
    if not found:
        return []
    at = _offsets(parts)
    out = []
    for i in compress(range(len(words)), map(found.__contains__, words)):
        start, word = at[2 * i + 1], words[i]
        out.append((start, start + len(word), bisect_right(ends, start), found[word]))
    return out


def _best_window(
    starts: list[int], ends: list[int], matches: list[_Match], max_chars: int
) -> tuple[int, int] | None:
    """The first and last matched chunks of the window that fits in max_chars with the most
    distinct matched forms, then the most matched words; the earliest such window. None when
    nothing matched.

    Only windows starting at a matched chunk are tried: one starting elsewhere holds no more
    than the window starting at its first matched chunk."""
    if not matches:
        return None
    chunks: list[int] = []  # the matched chunks, in order
    forms_of: list[list[frozenset[str]]] = []  # the forms of each matched word, per chunk
    for _, _, chunk, forms in matches:
        if chunks and chunks[-1] == chunk:
            forms_of[-1].append(forms)
        else:
            chunks.append(chunk)
            forms_of.append([forms])
    counts: dict[str, int] = {}
    words = 0
    best, best_key = (0, 0), (-1, -1)
    stop = 0
    for first, chunk in enumerate(chunks):
        limit = starts[chunk] + max_chars
        while stop < len(chunks) and ends[chunks[stop]] <= limit:
            for forms in forms_of[stop]:
                for form in forms:
                    counts[form] = counts.get(form, 0) + 1
            words += len(forms_of[stop])
            stop += 1
        key = (len(counts), words)
        if key > best_key:
            best, best_key = (first, stop), key
        for forms in forms_of[first]:
            for form in forms:
                left = counts[form] - 1
                if left:
                    counts[form] = left
                else:
                    del counts[form]
        words -= len(forms_of[first])
    return chunks[best[0]], chunks[best[1] - 1]


def _place(
    starts: list[int], ends: list[int], matched: tuple[int, int] | None, max_chars: int
) -> tuple[int, int]:
    """The chunks [first, stop) shown: the matched chunks with some text before them (a third
    of what they leave free), filled to max_chars (the start of the text when none matched)."""
    if matched:
        lo, hi = matched
        lead = (max_chars - (ends[hi] - starts[lo])) // 3
        first = bisect_left(starts, starts[lo] - lead, 0, lo)
    else:
        first = 0
    stop = bisect_right(ends, starts[first] + max_chars, first + 1)
    first = bisect_left(starts, ends[stop - 1] - max_chars, 0, first)
    return first, stop


def _merge(segments: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for part, match in segments:
        if merged and merged[-1][1] == match:
            merged[-1] = (merged[-1][0] + part, match)
        elif part:
            merged.append((part, match))
    return merged
