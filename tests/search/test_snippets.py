"""Snippets: which window of an abstract is shown, what is marked, and that HTML never leaks."""

from __future__ import annotations

import doctest
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.search import snippets
from paperwire.search.snippets import ELLIPSIS, highlight, highlight_html, lowercase_words


def stem(text: str) -> list[str]:
    """A toy stemming analyzer with stop words, standing in for the BM25 index's."""
    out = []
    for word in lowercase_words(text):
        if word in {"the", "of", "a"}:
            continue
        out.append(re.sub(r"(ing|es|ed|s)$", "", word) if len(word) > 4 else word)
    return out


def marked(segments: list[tuple[str, bool]]) -> list[str]:
    return [part for part, match in segments if match]


def test_docstring_examples() -> None:
    assert doctest.testmod(snippets).failed == 0


def test_short_text_whole_with_matches() -> None:
    assert highlight("Token Merging for ViT: merging tokens.", ["merging"]) == [
        ("Token ", False),
        ("Merging", True),
        (" for ViT: ", False),
        ("merging", True),
        (" tokens.", False),
    ]


def test_phrase_words_match_and_words_are_whole() -> None:
    segments = highlight("Tokenizers merge; token merging helps.", ["token merging"])
    assert marked(segments) == ["token", "merging"]  # not the 'Token' inside 'Tokenizers'


def test_no_terms_or_no_match_gives_the_start() -> None:
    text = "one two three four five six seven"
    assert highlight(text, [], max_chars=14) == [("one two three…", False)]
    assert highlight(text, ["absent"], max_chars=14) == [("one two three…", False)]


def test_empty_text() -> None:
    assert highlight("", ["x"]) == []
    assert highlight(" \n ", ["x"]) == []
    assert highlight_html("", ["x"]) == ""


def test_window_with_most_distinct_terms() -> None:
    filler = "lorem ipsum dolor sit amet " * 6
    text = (
        "attention attention attention attention. "
        + filler
        + "We merge tokens: token merging speeds up vision transformers. "
        + filler
    )
    segments = highlight(text, ["token", "merging", "vision", "attention"], max_chars=80)
    # The three distinct terms beat four repeats of one; a third of the room left goes before.
    assert segments == [
        (ELLIPSIS + "merge tokens: ", False),
        ("token", True),
        (" ", False),
        ("merging", True),
        (" speeds up ", False),
        ("vision", True),
        (" transformers. lorem ipsum dolor sit" + ELLIPSIS, False),
    ]
    shown = "".join(part for part, _ in segments).strip(ELLIPSIS)
    assert len(shown) <= 80
    assert shown in text


def test_window_snaps_to_word_boundaries() -> None:
    words = [f"w{i:03d}" for i in range(200)]
    text = " ".join(words)
    segments = highlight(text, ["w120"], max_chars=60)
    shown = "".join(part for part, _ in segments)
    assert shown.startswith(ELLIPSIS) and shown.endswith(ELLIPSIS)
    inner = shown.strip(ELLIPSIS).split(" ")
    assert all(w in words for w in inner)  # no cut word
    assert len(" ".join(inner)) <= 60
    assert 0 < inner.index("w120") < len(inner) - 1  # some context on both sides


def test_window_at_the_end_fills_backwards() -> None:
    text = " ".join(["alpha"] * 30 + ["omega"])
    segments = highlight(text, ["omega"], max_chars=40)
    assert segments[0][0].startswith(ELLIPSIS)
    assert segments[-1] == ("omega", True)
    assert len("".join(p for p, _ in segments).strip(ELLIPSIS)) == 35  # 'alpha ' * 5 + 'omega'


def test_analyzer_decides_what_matches() -> None:
    text = "The merged tokens of the encoder; merging helps."
    assert marked(highlight(text, ["token merging", "the"], analyzer=stem)) == [
        "merged",
        "tokens",
        "merging",
    ]
    # The default analyzer is lowercase equality: no stemming, no stop words.
    assert marked(highlight(text, ["token merging", "the"], analyzer=None)) == [
        "The",
        "the",
        "merging",
    ]


def test_hyphenated_and_apostrophe_words() -> None:
    segments = highlight("Self-attention and BERT's layers.", ["attention", "bert"])
    assert marked(segments) == ["Self-attention", "BERT's"]


def test_latex_is_left_alone() -> None:
    text = r"We get $\mathcal{O}(n \log n)$ time, where log is natural, and $$x^2 + log$$."
    segments = highlight(text, ["log", "mathcal"])
    assert marked(segments) == ["log"]
    assert "".join(p for p, _ in segments) == text


def test_latex_span_is_not_cut() -> None:
    text = "intro words here $a + b + c + d + e$ then the key result and more words after it"
    segments = highlight(text, ["key"], max_chars=40)
    shown = "".join(p for p, _ in segments)
    assert "$" not in shown or "$a + b + c + d + e$" in shown
    assert marked(segments) == ["key"]


def test_long_unbroken_run_is_cut_hard() -> None:
    text = "x" * 1000 + " token"
    assert highlight(text, ["token"], max_chars=50) == [(ELLIPSIS, False), ("token", True)]
    assert highlight("y" * 1000, [], max_chars=50) == [("y" * 50 + ELLIPSIS, False)]


def test_max_chars_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_chars must be at least 1, not 0"):
        highlight("text", ["text"], max_chars=0)


def test_html_escapes_everything_and_marks_matches() -> None:
    abstract = 'We <script>alert("x")</script> study BERT & <b>GPT</b> models.'
    assert highlight_html(abstract, ["bert", "script", "gpt"]) == (
        "We &lt;<mark>script</mark>&gt;alert(&quot;x&quot;)&lt;/<mark>script</mark>&gt; study "
        "<mark>BERT</mark> &amp; &lt;b&gt;<mark>GPT</mark>&lt;/b&gt; models."
    )
    assert "<script" not in highlight_html(abstract, [])


def test_html_of_a_cut_window() -> None:
    text = "a " * 100 + "<img src=x onerror=alert(1)> token " + "b " * 100
    html_text = highlight_html(text, ["token"], max_chars=150)
    assert "<img" not in html_text and "&lt;img" in html_text
    assert "<mark>token</mark>" in html_text
    assert html_text.startswith(ELLIPSIS) and html_text.endswith(ELLIPSIS)


@settings(max_examples=150, deadline=None, database=None)
@given(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=600),
    st.lists(st.text(max_size=12), max_size=4),
    st.integers(min_value=1, max_value=200),
)
def test_any_text(text: str, terms: list[str], max_chars: int) -> None:
    """Whatever the text: segments come from it in order, fit the window, and the HTML carries
    no tag but <mark>."""
    segments = highlight(text, terms, max_chars=max_chars)
    shown = "".join(part for part, _ in segments)
    core = shown.removeprefix(ELLIPSIS).removesuffix(ELLIPSIS) if shown != ELLIPSIS else ""
    assert core in text
    assert len(core) <= max_chars
    assert all(part for part, _ in segments)
    tags = re.findall(r"<[^>]*>", highlight_html(text, terms, max_chars=max_chars))
    assert set(tags) <= {"<mark>", "</mark>"}


def test_each_distinct_word_is_analysed_once() -> None:
    calls: list[str] = []

    def counting(text: str) -> list[str]:
        calls.append(text)
        return stem(text)

    text = "Merging tokens: merging helps, and tokens merge. " * 20
    expected = highlight(text, ["token merging"], analyzer=stem, max_chars=60)
    assert highlight(text, ["token merging"], analyzer=counting, max_chars=60) == expected
    words = [c for c in calls if c != "token merging"]
    assert sorted(words) == sorted(set(lowercase_words(text.lower())) | {"Merging"})
    calls.clear()  # the forms are remembered for the next call with the same analyzer
    assert highlight(text, ["token merging"], analyzer=counting, max_chars=60) == expected
    assert calls == ["token merging"]
