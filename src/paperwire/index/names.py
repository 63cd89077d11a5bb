"""Author names as filter tokens: THE one definition the index stores and queries ask for."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_LETTERS = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "ŧ": "t",
        "ı": "i",
        "þ": "th",
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "\u2010": "-",
        "\u2011": "-",
    }
)
_APOSTROPHES = re.compile(r"['’`ʼ]")
_NAME_WORD = re.compile(r"[^\W_]+(?:-+[^\W_]+)*")
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


def fold(text: str) -> str:
    """Lowercase with accents taken off: 'Łukasz Müller' -> 'lukasz muller'. Idempotent."""
    for _ in range(4):  # lower() and NFKD can each undo the other once or twice; stop when stable
        folded = unicodedata.normalize("NFKD", text).lower()
        folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
        folded = folded.translate(_LETTERS)
        if folded == text:
            break
        text = folded
    return text


@lru_cache(maxsize=1 << 16)  # authors recur across papers
def _author_tokens(name: str) -> tuple[str, ...]:
    """The filter tokens of one author name: the index stores all of them for each author, and
    `author:` in a query asks for the last one of the value typed.

    >>> author_tokens("Yann LeCun")
    ['author:lecun', 'author:yann-lecun']
    >>> author_tokens("Łukasz Kaiser"), author_tokens("O'Brien")
    (['author:kaiser', 'author:lukasz-kaiser'], ['author:obrien'])
    >>> author_tokens("Skłodowska-Curie, Marie")
    ['author:sklodowska-curie', 'author:marie-sklodowska-curie']
    """
    parts = [_NAME_WORD.findall(part) for part in _APOSTROPHES.sub("", fold(name)).split(",")]
    parts = [p for p in parts if p and not set(p) <= _SUFFIXES] or parts
    # "Curie, Marie" and "King, Martin Luther, Jr." put the surname first.
    words = [re.sub("-+", "-", w) for part in [*parts[1:], *parts[:1]] for w in part]
    while len(words) > 1 and words[-1] in _SUFFIXES:
        words.pop()
    if not words:
        return ()
    surname = f"author:{words[-1]}"
    return (surname,) if len(words) == 1 else (surname, "author:" + "-".join(words))


def author_tokens(name: str) -> list[str]:
    """See `_author_tokens` (cached)."""
    return list(_author_tokens(name))
