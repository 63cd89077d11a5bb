"""List filters: the SQL of the site's lists and the Python of the digest keep the same papers
(category chips, has code, keyword include/exclude, LIKE metacharacters taken literally), on
SQLite and PostgreSQL; and the saved rules' checks."""

from __future__ import annotations

from datetime import date

import pytest

from paperwire.errors import BadRequest
from paperwire.store import Store
from paperwire.store.filters import ListFilter
from paperwire.store.listing import count_range, list_range, rank_inputs
from paperwire.store.papers import upsert_records
from paperwire.store.reading import papers_by_pk
from paperwire.store.rules import MAX_RULES, add_rule, delete_rule, get_rules, set_categories
from paperwire.store.users import create_user
from tests.support.paperfactory import arxiv_record

DAY = date(2026, 7, 1)
PAPERS = [
    (1, "Diffusion models for images", "We denoise.", ["cs.CV"], []),
    (2, "Language models", "Scaling LLMs with 100% recall_rate.", ["cs.CL", "cs.LG"], []),
    (3, "Robot grasping", "A diffusion policy.", ["cs.RO"], ["https://github.com/a/b"]),
    (4, "Quantum gates", "Superconducting qubits.", ["quant-ph"], []),
]
FILTERS = [
    ListFilter(categories=("cs.CL", "cs.RO")),
    ListFilter(has_code=True),
    ListFilter(include=("diffusion",)),
    ListFilter(exclude=("diffusion",)),
    ListFilter(include=("100%",)),
    ListFilter(include=("recall_rate",)),
    ListFilter(include=("l_ms",)),  # "_" is no wildcard
    ListFilter(include=("%",), exclude=("qubits",)),
    ListFilter(categories=("cs.CV", "cs.RO"), exclude=("policy",), has_code=False),
]


@pytest.fixture
def filled(store: Store) -> Store:
    upsert_records(
        store,
        [
            arxiv_record(n, DAY, title=t, abstract=a, categories=c, links=links)
            for n, t, a, c, links in PAPERS
        ],
    )
    return store


@pytest.mark.parametrize("rule", FILTERS)
def test_sql_and_python_keep_the_same_papers(filled: Store, rule: ListFilter) -> None:
    rows = list_range(filled, first=DAY, last=DAY)
    by_python = sorted(r["id"] for r in rows if rule.matches(r))
    by_sql = sorted(r["id"] for r in list_range(filled, first=DAY, last=DAY, filters=rule))
    assert by_sql == by_python
    assert count_range(filled, first=DAY, last=DAY, filters=rule) == len(by_sql)
    assert sorted(i.id for i in rank_inputs(filled, first=DAY, last=DAY, filters=rule)) == by_sql


def test_expected_papers(filled: Store) -> None:
    def ids(rule: ListFilter) -> list[str]:
        return [r["id"] for r in list_range(filled, first=DAY, last=DAY, filters=rule)]

    assert ids(ListFilter(include=("diffusion",))) == ["2607.00001", "2607.00003"]
    assert ids(ListFilter(has_code=True)) == ["2607.00003"]
    assert ids(ListFilter(include=("l_ms",))) == []
    pk = rank_inputs(filled, first=DAY, last=DAY, filters=ListFilter(has_code=True))[0].pk
    assert papers_by_pk(filled, [pk], columns=["id"])[pk]["id"] == "2607.00003"


def test_rules_are_checked_and_per_user(store: Store) -> None:
    alice = create_user(store, "alice@example.org")[0].id
    bob = create_user(store, "bob@example.org")[0].id
    assert add_rule(store, alice, "exclude", "  Diffusion   Models ")
    assert not add_rule(store, alice, "exclude", "diffusion models")  # the same, lower-cased
    assert get_rules(store, alice).exclude == ("diffusion models",)
    assert get_rules(store, bob).exclude == ()
    for kind, value, message in [
        ("exclude", "x", "2 to 100 characters"),
        ("exclude", "y" * 101, "2 to 100 characters"),
        ("drop", "diffusion", "not one of"),
        ("category", "<script>", "not a category name"),
    ]:
        with pytest.raises(BadRequest, match=message):
            add_rule(store, alice, kind, value)
    rule_id = get_rules(store, alice).listed[0].id
    assert not delete_rule(store, bob, rule_id)  # not Bob's
    assert delete_rule(store, alice, rule_id) and get_rules(store, alice).listed == ()
    for i in range(MAX_RULES):
        add_rule(store, alice, "include", f"word{i}")
    with pytest.raises(BadRequest, match=f"at most {MAX_RULES}"):
        add_rule(store, alice, "include", "one more")
    assert set_categories(store, alice, ["cs.CL", "cs.CL", " cs.LG "]) == ["cs.CL", "cs.LG"]
    assert set_categories(store, alice, ["hep-th"]) == ["hep-th"]
    assert get_rules(store, alice).categories == ("hep-th",)
