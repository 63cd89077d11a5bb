"""Splitting an abstract into sentences, with their character offsets.

A rule-based splitter (no model): a sentence ends at `.`, `!` or `?` (after optional closing
quotes/brackets) followed by white space and a capital letter, a digit or an opening bracket,
unless the word before is a common abbreviation (`e.g.`, `et al.`, `Fig.`), a single initial
(`J. Smith`) or the stop is inside a `$...$` formula. Abstracts rarely need more, and offsets
let the caller map encoder tokens (which carry offsets) onto sentences.

>>> [s.text for s in split_sentences("We test e.g. BERT. It works well! See Fig. 2 for more.")]
['We test e.g. BERT.', 'It works well!', 'See Fig. 2 for more.']
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
_MATH = re.compile(r"(?<!\\)\$\$[^$]{1,500}?\$\$|(?<!\\)\$[^$]{1,300}?(?<!\\)\$")
_ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "et",
        "al",
        "etc",
        "vs",
        "cf",
        "fig",
        "figs",
        "eq",
        "eqs",
        "ref",
        "refs",
        "no",
        "approx",
        "resp",
        "dr",
        "mr",
        "ms",
        "prof",
        "st",
        "sec",
        "ch",
        "vol",
        "pp",
        "ca",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "inc",
        "ltd",
        "co",
    ]
)
_LAST_WORD = re.compile(r"([A-Za-z][A-Za-z.]*)$")
MIN_CHARS = 12  # shorter pieces ("Results.", "(A)") join the next sentence


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int  # character offsets into the text
    end: int
    text: str


def _is_abbreviation(text: str, stop: int) -> bool:
    """Whether the stop at `stop` ends an abbreviation or an initial, not a sentence."""
    if text[stop] != ".":
        return False
    word = _LAST_WORD.search(text, max(0, stop - 24), stop)  # a bounded look back
    if not word:
        return False
    token = word[1].lower().rstrip(".")
    return token in _ABBREVIATIONS or (len(token) == 1 and word[1].isupper())


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of `text` in order, stripped, with offsets (`text[s.start:s.end]`)."""
    masked = _MATH.sub(lambda m: "x" * len(m[0]), text)  # no stop inside a formula
    cuts = [0]
    for m in _END.finditer(masked):
        if not _is_abbreviation(masked, m.start()):
            cuts.append(m.end())
    cuts.append(len(text))
    out: list[Sentence] = []
    pending: int | None = None  # start of a too-short piece waiting for the next one
    for a, b in itertools.pairwise(cuts):
        start = a + len(text[a:b]) - len(text[a:b].lstrip())
        end = b - (len(text[a:b]) - len(text[a:b].rstrip()))
        if end <= start:
            continue
        if pending is not None:
            start, pending = pending, None
        if end - start < MIN_CHARS and b < len(text):
            pending = start
            continue
        out.append(Sentence(start, end, text[start:end]))
    if pending is not None:  # a short last piece joins the sentence before it
        if out:
            last = out.pop()
            out.append(
                Sentence(last.start, len(text.rstrip()), text[last.start : len(text.rstrip())])
            )
        else:
            end = len(text.rstrip())
            out.append(Sentence(pending, end, text[pending:end]))
    return out
