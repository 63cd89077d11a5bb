"""The query language: exact parses, every error with its message and position, the canonical
rendering round trip, and a fuzz test that nothing but BadQuery ever escapes the parser."""

from __future__ import annotations

import doctest
from datetime import date

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from paperwire.days import day_number
from paperwire.errors import BadQuery, PaperwireError
from paperwire.index.names import author_tokens, fold
from paperwire.search import query as query_module
from paperwire.search.query import (
    MAX_CHARS,
    MAX_TERMS,
    ParsedQuery,
    category_token,
    parse_query,
    query_string,
)


def day(iso: str) -> int:
    return day_number(date.fromisoformat(iso))


Q = ParsedQuery
REL = "relevance"

PARSES: list[tuple[str, ParsedQuery]] = [
    ("", Q()),
    ("   \t\n ", Q()),
    ("token merging", Q(text="token merging", sort=REL)),
    ("  Token   Merging  ", Q(text="Token Merging", sort=REL)),
    (
        '"token merging" vision',
        Q(text="token merging vision", phrases=("token merging",), sort=REL),
    ),
    (
        'vit "  token \n merging "',
        Q(text="vit token merging", phrases=("token merging",), sort=REL),
    ),
    ('foo"bar baz"', Q(text="foo bar baz", phrases=("bar baz",), sort=REL)),
    ('""  -"" x', Q(text="x", sort=REL)),
    ('bert -pruning -"low rank"', Q(text="bert", must_not=("low rank", "pruning"), sort=REL)),
    ("- self-attention --x", Q(text="- self-attention", must_not=("-x",), sort=REL)),
    ("author:smith", Q(must=("author:smith",))),
    ('author:"Yann LeCun" cnn', Q(text="cnn", must=("author:yann-lecun",), sort=REL)),
    ("AUTHOR:Müller author:o'brien", Q(must=("author:muller", "author:obrien"))),
    ('author:"Łukasz  Kaiser"', Q(must=("author:lukasz-kaiser",))),
    ("cat:cs.CL", Q(any_of=(("cat:cs.cl",),))),
    ("category:cs.LG cat:cs.CL cat:cs.cl", Q(any_of=(("cat:cs.cl", "cat:cs.lg"),))),
    (
        "cat:cs.CL,hep-th -cat:cs.CV",
        Q(any_of=(("cat:cs.cl", "cat:hep-th"),), none_of=("cat:cs.cv",)),
    ),
    ("has:code -author:smith", Q(must=("has:code",), none_of=("author:smith",))),
    ("year:2024", Q(day_from=day("2024-01-01"), day_to=day("2024-12-31"))),
    ("year:2020..2024", Q(day_from=day("2020-01-01"), day_to=day("2024-12-31"))),
    ("year:2024..", Q(day_from=day("2024-01-01"))),
    ("year:..2019", Q(day_to=day("2019-12-31"))),
    ("date:2025-03-01..2025-03-31", Q(day_from=day("2025-03-01"), day_to=day("2025-03-31"))),
    ("date:2024-02", Q(day_from=day("2024-02-01"), day_to=day("2024-02-29"))),
    ("date:2025-03-14", Q(day_from=day("2025-03-14"), day_to=day("2025-03-14"))),
    (
        "after:2025-01-01 before:2025-02-01",
        Q(day_from=day("2025-01-01"), day_to=day("2025-01-31")),
    ),
    # Date filters intersect.
    (
        "year:2025 after:2025-06 before:2026",
        Q(day_from=day("2025-06-01"), day_to=day("2025-12-31")),
    ),
    ("llm sort:date", Q(text="llm", sort="date")),
    ("sort:relevance", Q(sort=REL)),
    ("Sort:DATE sort:relevance x", Q(text="x", sort=REL)),  # the last sort: wins
    # A colon whose prefix is not a filter name is plain text.
    (
        "arXiv:2501.01234 https://arxiv.org/abs/2501.01234 3:1 foo:bar",
        Q(text="arXiv:2501.01234 https://arxiv.org/abs/2501.01234 3:1 foo:bar", sort=REL),
    ),
    (
        '"cat:cs.CL" -"year:2024"',
        Q(text="cat:cs.CL", phrases=("cat:cs.CL",), must_not=("year:2024",), sort=REL),
    ),
    # Control characters separate words; invisible format characters are dropped; emoji stay.
    (
        "a\x00b \u200fyear:2024 🤖\u200d🔬",
        Q(text="a b 🤖\u200d🔬", day_from=day("2024-01-01"), day_to=day("2024-12-31"), sort=REL),
    ),
    ("$O(n^2)$ attention", Q(text="$O(n^2)$ attention", sort=REL)),
    (
        '"token merging" author:"Yann LeCun" cat:cs.CV,cs.LG has:code -pruning year:2023.. '
        "sort:date",
        Q(
            text="token merging",
            phrases=("token merging",),
            must=("author:yann-lecun", "has:code"),
            any_of=(("cat:cs.cv", "cat:cs.lg"),),
            must_not=("pruning",),
            day_from=day("2023-01-01"),
            sort="date",
        ),
    ),
]


@pytest.mark.parametrize(("query", "expected"), PARSES, ids=[q or "<empty>" for q, _ in PARSES])
def test_parse(query: str, expected: ParsedQuery) -> None:
    parsed = parse_query(query)
    assert parsed == expected
    assert parse_query(query_string(parsed)) == parsed


def test_canonical_strings() -> None:
    render = {
        '  "token merging"  vision ': '"token merging" vision',
        'author:"Yann LeCun" category:cs.LG cat:cs.CL': "author:yann-lecun cat:cs.cl,cs.lg",
        "-cat:cs.CV -cat:cs.RO -has:code x": "x -has:code -cat:cs.cv,cs.ro",
        "year:2024": "date:2024",
        "date:2025-03-01..2025-03-31": "date:2025-03",
        "after:2025-01-01 before:2025-02-01": "date:2025-01",
        "year:2024..": "after:2024",
        "before:2025-03-15": "date:..2025-03-14",
        "date:2024-12-30..2025-01-02": "date:2024-12-30..2025-01-02",
        "sort:relevance": "sort:relevance",
        "x sort:date": "x sort:date",
        "x sort:relevance": "x",
        '-"year:2024" -"low rank" -arXiv:1': '-arXiv:1 -"low rank" -"year:2024"',
    }
    assert {q: query_string(parse_query(q)) for q in render} == render


def test_equal_queries_compare_equal() -> None:
    assert parse_query("has:code author:b author:a") == parse_query("author:a has:code author:b")
    assert hash(parse_query("x cat:cs.LG cat:cs.CL")) == hash(parse_query("x cat:cs.CL,cs.LG"))


def test_docstring_examples() -> None:
    assert doctest.testmod(query_module).failed == 0


def test_filtered() -> None:
    assert not parse_query("just words").filtered
    assert parse_query("-x").filtered
    assert parse_query("before:2020").filtered


# --- errors ---------------------------------------------------------------------------------

YEAR_HELP = (
    "it takes a year or a range of years: year:2024, year:2020..2024, year:2024.. or year:..2024"
)
DATE_HELP = (
    "it takes a day, month or year, or a range of them: date:2025-03-01, date:2025-03, "
    "date:2025-03-01..2025-03-31, date:2025-03.. or date:..2025"
)
AUTHOR_HELP = 'it takes a name: author:lecun or author:"Yann LeCun"'
CAT_HELP = (
    "it takes an arXiv category, or several separated by commas: cat:cs.CL, cat:hep-th, "
    "cat:cs.CL,cs.LG"
)

ERRORS: list[tuple[str, int, str]] = [
    ("year:abc", 5, f"year: does not take 'abc'; {YEAR_HELP}"),
    ("x year:24", 7, f"year: does not take '24'; {YEAR_HELP}"),
    ("year:2024-03", 5, f"year: does not take '2024-03'; {YEAR_HELP}"),
    ("year:2025..2020", 5, "year: the range 2025..2020 ends before it starts"),
    ("year:..", 5, f"year: a range needs at least one end; {YEAR_HELP}"),
    ("year:2020..2021..2022", 5, f"year: does not take '2021..2022'; {YEAR_HELP}"),
    ("year:", 5, f"year: needs a value right after the colon; {YEAR_HELP}"),
    ("date:2025-13-01", 5, "date: 2025-13-01 is not a real date"),
    ("date:2025-02-29", 5, "date: 2025-02-29 is not a real date"),
    ("date:0000", 5, "date: 0000 is not a real date"),
    ("date:2025-3-1", 5, f"date: does not take '2025-3-1'; {DATE_HELP}"),
    ("date:yesterday", 5, f"date: does not take 'yesterday'; {DATE_HELP}"),
    (
        "after:2025-01-01..",
        6,
        "after: does not take '2025-01-01..'; it takes a day, month or year: "
        "after:2025-01-01, after:2025-01 or after:2025",
    ),
    ("before:0001", 7, "before: 0001 leaves no days before it"),
    (
        "year:2024 before:2023-06-01",
        10,
        "before:2023-06-01 leaves no days together with the date filters before it",
    ),
    ("has:pdf", 4, "has: does not take 'pdf'; it takes one of: has:code"),
    ("sort:best", 5, "sort: does not take 'best'; it takes one of: sort:relevance, sort:date"),
    ("author:", 7, f"author: needs a value right after the colon; {AUTHOR_HELP}"),
    ("author: smith", 7, f"author: needs a value right after the colon; {AUTHOR_HELP}"),
    ('author:""', 7, f"author: needs a value right after the colon; {AUTHOR_HELP}"),
    ('author:"!?"', 7, f"author: '!?' has no letters in it; {AUTHOR_HELP}"),
    ("cat:cs_CL", 4, f"cat: 'cs_CL' is not a category; {CAT_HELP}"),
    ("cat:,", 4, f"cat: ',' is not a category; {CAT_HELP}"),
    ("-year:2024", 0, "year: cannot be negated; only -author:, -cat:, -has: can"),
    ("x -sort:date", 2, "sort: cannot be negated; only -author:, -cat:, -has: can"),
    ('"token merging', 0, "this quote is never closed; quotes come in pairs, around a phrase"),
    ('a "b" 5" screen', 7, "this quote is never closed; quotes come in pairs, around a phrase"),
    ('-"low rank', 1, "this quote is never closed; quotes come in pairs, around a phrase"),
    ('author:"Yann', 7, "this quote is never closed; quotes come in pairs, around a phrase"),
    # Positions count characters as typed, including the invisible ones the parser drops.
    ("\u200f\u200fyear:x", 7, f"year: does not take 'x'; {YEAR_HELP}"),
]


@pytest.mark.parametrize(("query", "position", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(query: str, position: int, message: str) -> None:
    with pytest.raises(BadQuery) as caught:
        parse_query(query)
    assert caught.value.position == position
    assert str(caught.value) == f"{message} (column {position + 1})"


def test_limits() -> None:
    assert parse_query("a" * MAX_CHARS).text == "a" * MAX_CHARS
    with pytest.raises(BadQuery, match=r"^the query is 1,001 characters long; at most 1,000 are"):
        parse_query("a" * (MAX_CHARS + 1))
    assert len(parse_query(" ".join(["w"] * MAX_TERMS)).text.split()) == MAX_TERMS
    with pytest.raises(BadQuery) as caught:
        parse_query(" ".join(["w"] * (MAX_TERMS + 1)))
    assert caught.value.position == 2 * MAX_TERMS
    assert str(caught.value).startswith("the query has more than 64 terms; at most 64 are allowed")


def test_bad_query_is_a_user_error() -> None:
    assert issubclass(BadQuery, PaperwireError)
    assert BadQuery.exit_code == 2


# --- names ----------------------------------------------------------------------------------


def test_author_tokens() -> None:
    assert author_tokens("Yann LeCun") == ["author:lecun", "author:yann-lecun"]
    assert author_tokens("  yann   LECUN ") == ["author:lecun", "author:yann-lecun"]
    assert author_tokens("LeCun") == ["author:lecun"]
    assert author_tokens("José  Ángel García-Márquez") == [
        "author:garcia-marquez",
        "author:jose-angel-garcia-marquez",
    ]
    assert author_tokens("Łukasz Kaiser") == ["author:kaiser", "author:lukasz-kaiser"]
    assert author_tokens("Sebastian Thrun Jr.") == ["author:thrun", "author:sebastian-thrun"]
    assert author_tokens("Y. LeCun") == ["author:lecun", "author:y-lecun"]
    assert author_tokens("Dan O’Neil") == ["author:oneil", "author:dan-oneil"]
    assert author_tokens("Søren Kierkegaard") == ["author:kierkegaard", "author:soren-kierkegaard"]
    assert author_tokens("LeCun, Yann") == ["author:lecun", "author:yann-lecun"]
    assert author_tokens("King, Martin Luther, Jr.") == ["author:king", "author:martin-luther-king"]
    assert author_tokens("Smith, Jr., John") == ["author:smith", "author:john-smith"]
    assert author_tokens("Jr.") == ["author:jr"]
    assert author_tokens("") == author_tokens(" ., ") == []
    # What the parser asks for is one of what the index stores.
    assert parse_query('author:"Yann LeCun"').must[0] in author_tokens("Yann LeCun")
    assert parse_query("author:LeCun").must[0] in author_tokens("Yann LeCun")


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=40))
def test_author_tokens_are_stable(name: str) -> None:
    """A token's value, typed back as a name, gives the same token (the round trip needs it)."""
    tokens = author_tokens(name)
    for token in tokens:
        assert author_tokens(token.removeprefix("author:"))[-1] == token
    assert fold(fold(name)) == fold(name)


def test_category_token() -> None:
    assert category_token(" cs.CL ") == "cat:cs.cl"
    assert parse_query("cat:cs.CL").any_of == ((category_token("cs.CL"),),)


# --- hostile input --------------------------------------------------------------------------

# fmt: off
PIECES = [
    " ", "  ", "\t", "\n", "\x00", "\x7f", "\u200f", "\u202e", "\ufeff", "\u200d", "\u00ad",
    '"', "-", "--", ":", "..", ",", "$", "\\", "<script>", "😀", "👩‍🔬", "é", "Ł", "ﬃ", "İ",
    "ǅ", "ℌ", "²", "٣", "a", "token", "x-y", "arXiv:2501.0001", "author:", "Author:", "cat:",
    "category:", "year:", "date:", "after:", "before:", "has:", "sort:", "cs.CL", "hep-th",
    "Yann LeCun", "2024", "2025-03", "2025-03-01", "0001", "9999", "9999-12-31", "13", "code",
    "date", "relevance", " year:2020..2024 ", " date:2025-03 ", " after:2025-01-01 ",
    " before:2025 ", " date:..2025-03-14 ", " cat:cs.CL,cs.LG ", ' author:"Yann LeCun" ',
    " -has:code ", " sort:date ",
]
# fmt: on

hostile = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=1100),
    st.lists(st.sampled_from(PIECES), max_size=80).map("".join),
)


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(hostile)
def test_only_bad_query_escapes(query: str) -> None:
    try:
        parsed = parse_query(query)
    except BadQuery as error:
        assert 0 <= error.position <= len(query)
        return
    assert isinstance(parsed, ParsedQuery)
    rendered = query_string(parsed)
    # Folding can lengthen a name ('ﬃ' -> 'ffi'), so the canonical string of a query near the
    # length limit may not fit in it; everything else must come back the same.
    assume(len(rendered) <= MAX_CHARS)
    assert parse_query(rendered) == parsed
    assert query_string(parse_query(rendered)) == rendered
