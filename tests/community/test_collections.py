"""Bookmarks in named collections through the site, owner-only access, names checked and
escaped, and the BibTeX export with LaTeX escaping."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from paperwire.community.bibtex import escape, escape_text, to_bibtex
from paperwire.errors import BadRequest, NotFound
from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store.collections import (
    add_bookmark,
    clean_name,
    collection_papers,
    get_collection,
    list_collections,
    rename_collection,
)
from paperwire.store.papers import find_paper
from paperwire.store.users import create_user
from tests.support.community_kit import HOSTILE, SPECIAL_TITLE, act_as


def post(client: TestClient, url: str, token: str, **data: str) -> object:
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def collection_id(location: str) -> int:
    found = re.fullmatch(r"/collections/(\d+)", location)
    assert found, location
    return int(found.group(1))


def test_bookmark_into_default_and_named_collections(
    client: TestClient, settings: Settings
) -> None:
    me = act_as(client, settings, "kim-coll@example.org")
    r = post(client, "/bookmark", me.csrf, paper="2607.00001")
    reading = collection_id(r.headers["location"])
    post(client, "/bookmark", me.csrf, paper="hep-th/9901001")
    post(client, "/bookmark", me.csrf, paper="hep-th/9901001")  # twice: still once
    r = post(client, "/bookmark", me.csrf, paper="2607.00020", collection="  Thesis  ")
    thesis = collection_id(r.headers["location"])
    back = post(client, "/bookmark", me.csrf, paper="2607.00021", collection="Thesis", next="/")
    assert back.headers["location"] == "/"

    page = client.get("/collections").text
    assert f'<a href="/collections/{reading}">Reading list</a> (2 papers)' in page
    assert f'<a href="/collections/{thesis}">Thesis</a> (2 papers)' in page
    listing = client.get(f"/collections/{reading}").text
    assert "Duality in string theory" in listing and "/paper/2607.00001" in listing
    paper = client.get("/paper/hep-th/9901001").text
    assert "Saved in:" in paper and f'href="/collections/{reading}">Reading list</a>' in paper

    post(client, "/bookmark/remove", me.csrf, paper="hep-th/9901001", collection_id=str(reading))
    assert "Duality in string theory" not in client.get(f"/collections/{reading}").text

    post(client, f"/collections/{thesis}/rename", me.csrf, name="Chapter 2")
    assert "<h1>Chapter 2</h1>" in client.get(f"/collections/{thesis}").text
    clash = post(client, f"/collections/{thesis}/rename", me.csrf, name="Reading list")
    assert clash.status_code == 400
    r = post(client, f"/collections/{thesis}/delete", me.csrf)
    assert r.headers["location"] == "/collections"
    assert client.get(f"/collections/{thesis}").status_code == 404
    assert client.get("/paper/2607.00020").status_code == 200  # the paper stays


def test_only_the_owner_sees_a_collection(client: TestClient, settings: Settings) -> None:
    owner = act_as(client, settings, "owner-coll@example.org")
    r = post(client, "/bookmark", owner.csrf, paper="2607.00002", collection="Secret")
    secret = collection_id(r.headers["location"])
    other = act_as(client, settings, "other-coll@example.org")
    assert client.get(f"/collections/{secret}").status_code == 404
    assert client.get(f"/collections/{secret}.bib").status_code == 404
    assert post(client, f"/collections/{secret}/rename", other.csrf, name="x").status_code == 404
    assert post(client, f"/collections/{secret}/delete", other.csrf).status_code == 404
    removed = post(
        client, "/bookmark/remove", other.csrf, paper="2607.00002", collection_id=str(secret)
    )
    assert removed.status_code == 404
    assert "Secret" not in client.get("/collections").text
    act_as(client, settings, None)
    r = client.get(f"/collections/{secret}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/signin?next=/collections/{secret}"
    assert client.get("/collections", follow_redirects=False).headers["location"] == (
        "/signin?next=/collections"
    )
    anon = act_as(client, settings, None)
    r = post(client, "/bookmark", anon.csrf, paper="2607.00002")
    assert r.headers["location"] == "/signin?next=/paper/2607.00002"
    assert client.post("/bookmark", data={"paper": "2607.00002"}).status_code == 403


def test_collection_names_are_checked_and_escaped(client: TestClient, settings: Settings) -> None:
    me = act_as(client, settings, "names-coll@example.org")
    r = post(client, "/bookmark", me.csrf, paper="2607.00003", collection=HOSTILE)
    cid = collection_id(r.headers["location"])
    page = client.get(f"/collections/{cid}").text
    assert HOSTILE not in page and "&lt;script&gt;" in page
    assert HOSTILE not in client.get("/collections").text
    for bad in ("   ", "x" * 101, "tab\there", "zero\u200bwidth"):
        r = post(client, "/bookmark", me.csrf, paper="2607.00003", collection=bad)
        assert r.status_code == 400, bad
    made = post(client, "/collections", me.csrf, name="Empty one")
    assert "No papers here yet" in client.get(made.headers["location"]).text
    assert post(client, "/collections", me.csrf, name="\x00").status_code == 400


def test_store_collections(site_store: Store) -> None:
    user, _ = create_user(site_store, "store-coll@example.org")
    stranger, _ = create_user(site_store, "stranger-coll@example.org")
    pk, _ = find_paper(site_store, "2607.00004")
    found, added = add_bookmark(site_store, user.id, pk)
    assert added and found.name == "Reading list" and found.papers == 1
    assert add_bookmark(site_store, user.id, pk)[1] is False
    assert [c.name for c in list_collections(site_store, user.id)] == ["Reading list"]
    with pytest.raises(NotFound):
        get_collection(site_store, stranger.id, found.id)
    with pytest.raises(NotFound):
        collection_papers(site_store, stranger.id, found.id)
    assert rename_collection(site_store, user.id, found.id, " To read ").name == "To read"
    assert clean_name("  ok ") == "ok"
    with pytest.raises(BadRequest):
        clean_name("bell\x07")


# --- BibTeX ----------------------------------------------------------------------------------


def test_bibtex_escapes_special_characters() -> None:
    assert escape_text(r"a{b}c\d%e&f#g_h$i^j~k") == (
        r"a\{b\}c\textbackslash{}d\%e\&f\#g\_h\$i\^{}j\~{}k"
    )
    # $...$ formulas stay LaTeX; a lone $ is escaped.
    assert escape(SPECIAL_TITLE) == (
        r"Costs \{fast\} at 100\% \& more\_than \$5 with $\alpha$-entmax"
    )
    assert (
        escape(r"Unbalanced $\frac{1$ formula") == r"Unbalanced \$\textbackslash{}frac\{1\$ formula"
    )


def test_bibtex_entries() -> None:
    papers = [
        {
            "id": "2607.00020",
            "arxiv_id": "2607.00020",
            "title": SPECIAL_TITLE,
            "authors": ["Ann Smith", "Bo Li"],
            "categories": ["cs.LG", "stat.ML"],
            "primary_category": "cs.LG",
            "submitted": "2026-06-28",
            "doi": "10.1000/x_y",
            "abs_link": "https://arxiv.org/abs/2607.00020",
        },
        {
            "id": "doi:10.1/j",
            "title": "Published & cited",
            "authors": ["Tom and Jerry", "Zoë Ørsted"],
            "journal_ref": "J. Tests 1 (2026) 1",
            "doi": "10.1/j",
            "announced": "2026-01-02",
        },
        {"id": "x", "title": "Costs again", "authors": ["Ann Smith"], "submitted": "2026-03-01"},
    ]
    bib = to_bibtex(papers, comment="Reading list 100%")
    assert bib.startswith("% Reading list 100\\%\n")
    assert "@misc{smith2026costs,\n" in bib and "@misc{smith2026costsa,\n" in bib
    assert (
        "  title = {{Costs \\{fast\\} at 100\\% \\& more\\_than \\$5 with $\\alpha$-entmax}},\n"
        in bib
    )
    assert "  author = {Ann Smith and Bo Li},\n" in bib
    assert (
        "  eprint = {2607.00020},\n  archivePrefix = {arXiv},\n  primaryClass = {cs.LG},\n" in bib
    )
    assert "  doi = {10.1000/x_y},\n  url = {https://arxiv.org/abs/2607.00020}\n}" in bib
    assert "@article{jerry2026published," in bib
    assert escape("$5 and $10, and $x$") == r"\$5 and \$10, and $x$"
    assert "  author = {{Tom and Jerry} and Zoë Ørsted},\n" in bib
    assert "  journal = {J. Tests 1 (2026) 1},\n" in bib and "url = {https://doi.org/10.1/j}" in bib
    assert bib.count("{") == bib.count("}") + bib.count("\\{") - bib.count("\\}")


def test_bibtex_download(client: TestClient, settings: Settings) -> None:
    me = act_as(client, settings, "bib-coll@example.org")
    r = post(client, "/bookmark", me.csrf, paper="2607.00020", collection="My {Bib} list")
    cid = collection_id(r.headers["location"])
    post(client, "/bookmark", me.csrf, paper="hep-th/9901001", collection="My {Bib} list")
    post(client, "/bookmark", me.csrf, paper="2607.00021", collection="My {Bib} list")
    bib = client.get(f"/collections/{cid}.bib")
    assert bib.status_code == 200
    assert bib.headers["content-type"].startswith("application/x-bibtex")
    assert bib.headers["content-disposition"] == 'attachment; filename="my-bib-list.bib"'
    text = bib.text
    assert text.startswith("% paperwire collection: My \\{Bib\\} list")
    assert text.count("\n@") == 3
    assert "eprint = {hep-th/9901001}" in text and "primaryClass = {hep-th}" in text
    assert "title = {{Costs \\{fast\\} at 100\\% \\& more\\_than \\$5" in text
    assert "doi = {10.1000/x\\_y}" not in text and "doi = {10.1000/x_y}" in text
    assert "@article{" in text and "Hostile <script>" in text  # BibTeX is not HTML


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/collections/9223372036854775808"),
        ("get", "/collections/18446744073709551616.bib"),
        ("post", "/collections/9223372036854775808/rename"),
        ("post", "/collections/9223372036854775808/delete"),
        ("post", "/account/subscriptions/9223372036854775808/enabled"),
        ("post", "/account/subscriptions/9223372036854775808/remove"),
    ],
)
def test_path_ids_past_64_bits_are_400_not_500(
    client: TestClient, settings: Settings, method: str, url: str
) -> None:
    me = act_as(client, settings, "huge-ids@example.org")
    data = {"csrf_token": me.csrf, "name": "x", "enabled": "1"}
    r = client.get(url) if method == "get" else client.post(url, data=data)
    assert r.status_code == 400, (url, r.status_code)
    small = url.replace("9223372036854775808", "2").replace("18446744073709551616", "2")
    r = client.get(small) if method == "get" else client.post(small, data=data)
    assert r.status_code == 404, (small, r.status_code)  # in range but not theirs
