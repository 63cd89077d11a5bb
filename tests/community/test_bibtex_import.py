"""The onboarding's BibTeX reader (community/bibtex_import.py) and pasted-id parser: what it
finds in real-looking exports, and how it refuses what is not BibTeX."""

from __future__ import annotations

import pytest

from paperwire.community.bibtex_import import MAX_BYTES, decode, parse_bibtex, parse_pasted_ids
from paperwire.errors import BadRequest

EXPORT = r"""
% A comment line, then a Google Scholar / Zotero / arXiv-style mix
@string{neurips = "NeurIPS"}
@comment{jabref-meta: databaseType:bibtex;}
@article{vaswani2017,
  title     = {Attention Is {All} You Need},
  author    = {Vaswani, Ashish and others},
  eprint    = {1706.03762},
  archivePrefix = {arXiv},
  primaryClass  = {cs.CL},
}
@misc{doi_style, title="DOI", doi = {10.48550/arXiv.2310.06825}}
@inproceedings{journal_style,
  title = {Journal {"}style{"}},
  journal = {arXiv preprint arXiv:2005.14165},
  booktitle = neurips # " 2020",
}
@article{old, title = {Old}, url = {http://arxiv.org/abs/hep-th/9901001v3}}
@book{no_arxiv, title = {{Deep Learning}}, year = 2016}
@article(parens, title = {Round brackets}, eprint = {2101.00001})
@article{other_eprint, title = {HAL}, eprint = {hal-01234}, archivePrefix = {HAL}}
"""


def test_a_mixed_export() -> None:
    found = parse_bibtex(EXPORT)
    assert found.arxiv_ids == [
        "1706.03762",
        "2310.06825",
        "2005.14165",
        "hep-th/9901001",
        "2101.00001",
    ]
    assert found.titles == ["Deep Learning", "HAL"]
    assert (found.entries, found.skipped) == (7, 0)


def test_broken_entries_are_skipped_and_counted() -> None:
    text = "@article{a, title={Fine}, eprint={2401.00001}}\n@article{b, title={cut off"
    found = parse_bibtex(text)
    assert found.arxiv_ids == ["2401.00001"] and found.skipped == 1
    quotes = parse_bibtex('@misc{q, title = "never closed, eprint={2401.00002}}')
    assert quotes.arxiv_ids == [] and quotes.skipped == 1


@pytest.mark.parametrize(
    "text", ["", "plain text", "@", "@article", "@article{" + "{" * 100_000, "@comment{x}"]
)
def test_no_entries_is_a_clear_error(text: str) -> None:
    with pytest.raises(BadRequest, match="no BibTeX entries found"):
        parse_bibtex(text)


def test_deep_nesting_costs_no_recursion() -> None:
    title = "{" * 20_000 + "x" + "}" * 20_000
    found = parse_bibtex("@article{a, title = " + title + ", eprint = {2401.00003}}")
    assert found.arxiv_ids == ["2401.00003"]


def test_sizes_and_encodings() -> None:
    with pytest.raises(BadRequest, match="at most"):
        decode(b" " * (MAX_BYTES + 1))
    with pytest.raises(BadRequest, match="not UTF-8"):
        decode(b"@article{a, title={Caf\xe9}}")
    assert decode("\ufeff@article{a}".encode()) == "@article{a}"
    many = "".join(f"@misc{{k{i}, title={{T{i}}}}}\n" for i in range(5_001))
    with pytest.raises(BadRequest, match="over 5,000 entries"):
        parse_bibtex(many)


def test_pasted_ids() -> None:
    ids, bad = parse_pasted_ids(
        "2401.00001\n2401.00002v3, https://arxiv.org/pdf/2401.00003.pdf; arXiv:hep-th/9901001 "
        "javascript:alert(1) 2401.00001"
    )
    assert ids == ["2401.00001", "2401.00002", "2401.00003", "hep-th/9901001"]
    assert bad == ["javascript:alert(1)"]
    with pytest.raises(BadRequest, match="at most 200"):
        parse_pasted_ids(" ".join(f"2401.{i:05d}" for i in range(201)))
