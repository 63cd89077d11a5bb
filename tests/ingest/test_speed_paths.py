"""The fast paths of record clean-up give exactly what the straightforward code gave.

`clean_text`, `normalize_title` and `extract_code_links` were rewritten for ingest speed; the
reference versions below are the originals, compared on every code point where a shortcut rests
on a property of Unicode, on generated text, and on the real abstracts when ../shared is there.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire import records
from paperwire.records import clean_text, extract_code_links, normalize_title
from tests.support.shared_data import DATA, need

_WS = re.compile(r"\s+")


def ref_clean_text(text: str | None) -> str:
    return _WS.sub(" ", text).strip() if text else ""


def ref_normalize_title(title: str) -> str:
    s = unicodedata.normalize("NFKD", title)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.lower().replace("$", "").replace("\\", " ")
    s = re.sub(r"[\W_]+", " ", s)
    return s.strip()


def ref_extract_code_links(*texts: str | None) -> list[str]:
    found: list[str] = []
    for text in texts:
        if not text:
            continue
        joined = re.sub(r"/\s*\n\s*", "/", text)
        for m in records._CODE_URL.finditer(joined):
            url = m.group(0).rstrip(".,;:)")
            url = re.sub(r"\.git$", "", url)
            if not url.lower().startswith("http"):
                url = "https://" + url
            url = re.sub(r"^http://", "https://", url, flags=re.I)
            url = re.sub(r"^https://www\.", "https://", url, flags=re.I)
            if url.count("/") < 3 or url.rstrip("/").count("/") < 3:
                continue
            if url not in found:
                found.append(url)
    return found


def test_str_split_separates_on_exactly_the_characters_backslash_s_matches() -> None:
    ws = re.compile(r"\s")
    differ = [c for c in range(sys.maxunicode + 1) if bool(ws.match(chr(c))) != chr(c).isspace()]
    assert differ == []


def test_only_the_turkish_i_s_fold_onto_host_letters_outside_ascii() -> None:
    """_host_positions leaves non-ASCII text to the regex; this pins why lower() alone would not
    do: re.I matches U+0130/U+0131 to 'i'."""
    letters = "".join(sorted(set("".join(records._CODE_HOSTS)) - set("./")))
    any_letter = re.compile(f"[{letters}]", re.I)
    folds = [c for c in range(128, sys.maxunicode + 1) if any_letter.match(chr(c))]
    assert folds == [0x130, 0x131]
    assert all(re.match("i", chr(c), re.I) for c in folds)


PIECES = [
    *"abcghiflmtuwo/.:-_ \n\tGHWSİıé\u0301",
    *("github.com", "GitHub.com", "hf.co", "huggingface.co", "gitlab.com", "https://"),
    *("http://", "www.", ".git", "/\n "),
]
URLISH = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(URLISH, st.one_of(st.none(), URLISH))
def test_code_links_match_the_reference(text: str, comment: str | None) -> None:
    assert extract_code_links(text, comment) == ref_extract_code_links(text, comment)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_clean_text_and_title_key_match_the_reference(text: str) -> None:
    assert clean_text(text) == ref_clean_text(text)
    assert normalize_title(text) == ref_normalize_title(text)


def test_examples_from_real_abstracts() -> None:
    text = "Code: https://www.GitHub.com/foo/\n  bar.git, and hf.co/datasets/x; see gıthub.com/a/b"
    assert extract_code_links(text) == ref_extract_code_links(text)
    assert extract_code_links(text) == [
        "https://GitHub.com/foo/bar",
        "https://hf.co/datasets/x",
        "https://gıthub.com/a/b",
    ]
    assert normalize_title("Ünïcode $\\alpha$-Nets: A_B") == "unicode alpha nets a b"


def test_the_real_corpus_gives_the_same_links_and_keys() -> None:
    days = sorted(need(DATA / "arxiv" / "daily-arxiv-cs-2025-2026").glob("*.jsonl.gz"))[:25]
    checked = 0
    for day in days:
        with gzip.open(day) as lines:
            objs = [json.loads(line) for line in lines]
        for obj in objs:
            abstract, comment = obj.get("summary") or "", obj.get("comment")
            assert extract_code_links(abstract, comment) == ref_extract_code_links(
                abstract, comment
            )
            assert normalize_title(obj["title"]) == ref_normalize_title(obj["title"])
            assert clean_text(abstract) == ref_clean_text(abstract)
            checked += 1
    assert checked > 5000
