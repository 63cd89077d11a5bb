"""Discussion on paper pages: threaded comments, Markdown rendered inert (script, HTML,
`javascript:` links, `<img onerror>`), edit/delete own only (403), upvotes, reports,
moderator hide (403 for others), rate limits (429), CSRF, counts on lists, the thread's Atom
feed, page weight; and the comment store on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import re

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from lxml import etree, html

from paperwire.errors import BadRequest, NotFound
from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store import comments as sc
from paperwire.store.papers import find_paper, upsert_records
from paperwire.store.users import create_user
from paperwire.web import discussion
from tests.support.community_kit import LATEST, act_as, arxiv

ATOM = "{http://www.w3.org/2005/Atom}"


def post(client: TestClient, token: str, paper: str, body: str, **kw: object) -> Response:
    data = {"csrf_token": token, "paper": paper, "body": body, **kw}
    return client.post("/comments", data=data, follow_redirects=False)


def act(client: TestClient, token: str, comment_id: int, what: str, **kw: str) -> Response:
    data = {"csrf_token": token, **kw}
    return client.post(f"/comments/{comment_id}/{what}", data=data, follow_redirects=False)


def new_id(r: Response) -> int:
    assert r.status_code == 303, r.text[:300]
    found = re.search(r"#c-(\d+)$", r.headers["location"])
    assert found, r.headers["location"]
    return int(found.group(1))


def comment_li(page: str, comment_id: int) -> html.HtmlElement:
    tree = html.fromstring(page)
    found = tree.xpath(f'//li[@id="c-{comment_id}"]')
    assert found, f"comment {comment_id} not on the page"
    return found[0]


# --- security: what a comment can carry ------------------------------------------------------

HOSTILE = """<script>alert("x")</script> plain <b onmouseover="x()">bold</b>
<img src=x onerror="alert(1)">
[click](javascript:alert(1)) [data](data:text/html,<script>x</script>) [ok](https://example.org/a)
<a href="javascript:alert(2)">raw link</a> ![pixel](https://tracker.example/p.gif)
[mail](mailto:ada@example.org) **real bold**"""


def test_script_html_and_javascript_links_are_inert(client: TestClient, settings: Settings) -> None:
    eve = act_as(client, settings, "eve-talk@example.org")
    cid = new_id(post(client, eve.csrf, "2607.00001", HOSTILE))
    page = client.get("/paper/2607.00001").text
    li = comment_li(page, cid)
    body = li.xpath('.//div[@class="cbody"]')[0]
    # No element that runs or loads anything, no event handler, no style, in the comment.
    assert not body.xpath(".//script|.//img|.//iframe|.//style|.//b")
    assert not [a for el in body.iter() for a in el.attrib if a.startswith("on") or a == "style"]
    hrefs = [a.get("href") for a in body.xpath(".//a")]
    assert hrefs == [
        "https://example.org/a",
        "https://tracker.example/p.gif",
        "mailto:ada@example.org",
    ]
    assert all(a.get("rel") == "nofollow noopener ugc" for a in body.xpath(".//a"))
    assert body.xpath(".//strong/text()") == ["real bold"]
    text = body.text_content()
    assert '<script>alert("x")</script>' in text  # shown as typed, as text
    assert "javascript:alert(1)" in text  # the link not made
    # The page's only scripts are the site's own files (the CSP forbids inline ones anyway).
    scripts = html.fromstring(page).xpath("//script")
    assert all(
        s.get("src", "").startswith("/static/") and not (s.text or "").strip() for s in scripts
    )


def test_markup_unit() -> None:
    from paperwire.community.markup import render

    assert render("<script>x</script>") == "<p>&lt;script&gt;x&lt;/script&gt;</p>\n"
    assert "href" not in render("[a](JaVaScRiPt:alert(1))")
    assert "href" not in render("[a](&#106;avascript:alert(1))")
    assert "<img" not in render('<img src=x onerror="a()">')  # text, not a tag
    assert render("# Big") == "<h3>Big</h3>\n"  # below the page's headings


# --- threads, edit, delete -------------------------------------------------------------------


def test_reply_edit_delete_and_403_for_others(client: TestClient, settings: Settings) -> None:
    ann = act_as(client, settings, "ann-talk@example.org")
    top = new_id(post(client, ann.csrf, "2607.00002", "Top comment"))
    bob = act_as(client, settings, "bob-talk@example.org")
    reply = new_id(post(client, bob.csrf, "2607.00002", "A reply", parent=str(top)))
    deeper = new_id(post(client, bob.csrf, "2607.00002", "Deeper", parent=str(reply)))
    page = client.get("/paper/2607.00002").text
    classes = [comment_li(page, c).get("class") for c in (top, reply, deeper)]
    assert classes == ["comment indent-0", "comment indent-1", "comment indent-2"]
    order = [int(m) for m in re.findall(r'<li id="c-(\d+)"', page)]
    assert order.index(top) < order.index(reply) < order.index(deeper)

    # Bob cannot change or delete Ann's comment.
    assert act(client, bob.csrf, top, "edit", body="pwned").status_code == 403
    assert act(client, bob.csrf, top, "delete").status_code == 403
    assert "Top comment" in client.get("/paper/2607.00002").text

    act_as(client, settings, "ann-talk@example.org")
    ann = act_as(client, settings, "ann-talk@example.org")
    r = act(client, ann.csrf, top, "edit", body="Top comment, *edited*")
    assert r.status_code == 303 and r.headers["location"] == f"/paper/2607.00002#c-{top}"
    li = comment_li(client.get("/paper/2607.00002").text, top)
    assert li.xpath('.//div[@class="cbody"]//em/text()') == ["edited"]
    assert "edited" in li.xpath('.//p[@class="cmeta"]')[0].text_content()
    assert act(client, ann.csrf, top, "edit", body="   ").status_code == 400
    assert act(client, ann.csrf, top, "delete").status_code == 303
    page = client.get("/paper/2607.00002").text
    assert "[deleted]" in comment_li(page, top).text_content()  # replies keep their place
    assert "Top comment" not in page and "A reply" in page
    assert act(client, ann.csrf, top, "edit", body="back").status_code == 404
    assert act(client, ann.csrf, 10**9, "delete").status_code == 404


def test_reply_to_another_papers_comment_is_400(client: TestClient, settings: Settings) -> None:
    cat = act_as(client, settings, "cat-talk@example.org")
    cid = new_id(post(client, cat.csrf, "2607.00003", "here"))
    assert post(client, cat.csrf, "2607.00004", "there", parent=str(cid)).status_code == 400
    assert post(client, cat.csrf, "2607.00004", "").status_code == 400
    assert post(client, cat.csrf, "nope-0000", "x").status_code == 404


def test_refused_text_comes_back_in_its_form(client: TestClient, settings: Settings) -> None:
    """Bad input loses nothing: the page comes back (400) with the reason and the text."""
    ned = act_as(client, settings, "ned-talk@example.org")
    long = "<b>draft</b> " + "x" * sc.MAX_BODY
    r = post(client, ned.csrf, "2607.00004", long)
    assert r.status_code == 400
    tree = html.fromstring(r.text)
    assert "at most 10,000 characters" in tree.xpath('//p[@role="alert"]')[0].text_content()
    assert tree.xpath('//textarea[@id="new-comment"]')[0].text == long
    cid = new_id(post(client, ned.csrf, "2607.00004", "short"))
    r = act(client, ned.csrf, cid, "edit", body=long)
    assert r.status_code == 400
    edit = html.fromstring(r.text).xpath(f'//textarea[@id="edit-{cid}"]')[0]
    assert edit.text == long and edit.getparent().getparent().get("open") is not None
    r = post(client, ned.csrf, "2607.00004", long, parent=str(cid))
    reply = html.fromstring(r.text).xpath(f'//textarea[@id="reply-{cid}"]')[0]
    assert r.status_code == 400 and reply.text == long
    assert "short" in r.text  # the saved comment is untouched


def test_anonymous_and_csrf(client: TestClient, settings: Settings) -> None:
    anon = act_as(client, settings, None)
    r = post(client, anon.csrf, "2607.00003", "hi")
    assert r.status_code == 303 and r.headers["location"].startswith("/signin?next=")
    page = client.get("/paper/2607.00003").text
    assert "Sign in to comment" in page and 'action="/comments"' not in page
    dan = act_as(client, settings, "dan-talk@example.org")
    assert post(client, "forged", "2607.00003", "hi").status_code == 403
    assert client.post("/comments", data={"paper": "2607.00003", "body": "x"}).status_code == 403
    assert post(client, dan.csrf, "2607.00003", "fine").status_code == 303


def test_comment_rate_limit_is_429(client: TestClient, settings: Settings) -> None:
    fay = act_as(client, settings, "fay-talk@example.org")
    limit = discussion.COMMENT_LIMIT[0]
    codes = [post(client, fay.csrf, "2607.00005", f"n{i}").status_code for i in range(limit + 1)]
    assert codes == [303] * limit + [429]
    r = post(client, fay.csrf, "2607.00005", "one more")
    assert r.status_code == 429 and r.headers["retry-after"] == str(discussion.COMMENT_LIMIT[1])


# --- upvotes, reports, moderators ------------------------------------------------------------


def test_upvote_once_undo_and_htmx(client: TestClient, settings: Settings) -> None:
    gus = act_as(client, settings, "gus-talk@example.org")
    cid = new_id(post(client, gus.csrf, "2607.00010", "upvote me"))
    assert act(client, gus.csrf, cid, "vote", action="vote").status_code == 400  # own
    hal = act_as(client, settings, "hal-talk@example.org")
    for _ in range(2):
        assert act(client, hal.csrf, cid, "vote", action="vote").status_code == 303
    li = comment_li(client.get("/paper/2607.00010").text, cid)
    assert li.xpath('.//span[@class="votes"]/text()') == ["1"]
    assert li.xpath(".//form[@class='cvote']//button/@aria-pressed") == ["true"]
    r = client.post(
        f"/comments/{cid}/vote",
        data={"csrf_token": hal.csrf, "action": "unvote"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200 and r.text.lstrip().startswith('<form class="cvote"')
    assert '<span class="votes">0</span>' in r.text and 'value="vote"' in r.text
    assert act(client, hal.csrf, cid, "vote", action="downvote").status_code == 400


def test_report_and_moderator_hide(client: TestClient, settings: Settings) -> None:
    ivy = act_as(client, settings, "ivy-talk@example.org")
    cid = new_id(post(client, ivy.csrf, "2607.00011", "spam spam"))
    jon = act_as(client, settings, "jon-talk@example.org")
    assert act(client, jon.csrf, cid, "report", reason="spam").status_code == 303
    assert act(client, jon.csrf, cid, "hide").status_code == 403  # not a moderator
    assert "spam spam" in client.get("/paper/2607.00011").text

    store: Store = client.app.state.site.store  # type: ignore[attr-defined]
    mod, _ = create_user(store, "mod-talk@example.org")
    sc.set_moderator(store, mod.id, True)
    m = act_as(client, settings, "mod-talk@example.org")
    li = comment_li(client.get("/paper/2607.00011").text, cid)
    assert "1 report" in li.text_content()  # moderators see reports
    assert act(client, m.csrf, cid, "hide").status_code == 303
    li = comment_li(client.get("/paper/2607.00011").text, cid)
    assert "spam spam" in li.text_content() and "Unhide" in li.text_content()

    act_as(client, settings, "jon-talk@example.org")
    page = client.get("/paper/2607.00011").text
    assert "spam spam" not in page  # hidden, no replies: gone for everyone else
    assert client.get("/day/2026-07-01").text.count('href="/paper/2607.00011#discussion"') == 0
    assert "spam spam" not in client.get("/paper/2607.00011/comments.atom").text

    m = act_as(client, settings, "mod-talk@example.org")
    assert act(client, m.csrf, cid, "hide", action="unhide").status_code == 303
    act_as(client, settings, None)
    assert "spam spam" in client.get("/paper/2607.00011").text


# --- counts on lists, the feed, page weight --------------------------------------------------


def test_counts_on_lists_in_one_query(client: TestClient, settings: Settings) -> None:
    from sqlalchemy import event

    kim = act_as(client, settings, "kim-talk@example.org")
    for body in ("one", "two"):
        post(client, kim.csrf, "2607.00012", body)
    store: Store = client.app.state.site.store  # type: ignore[attr-defined]
    seen: list[str] = []

    def count(_conn: object, _cur: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        page = client.get("/day/2026-06-30").text
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert sum("comments.paper_pk" in s for s in seen) == 1, seen
    link = html.fromstring(page).xpath('//a[@href="/paper/2607.00012#discussion"]')
    assert [a.text_content() for a in link] == ["2 comments"]


def test_thread_feed_parses_and_escapes(client: TestClient, settings: Settings) -> None:
    lee = act_as(client, settings, "lee-talk@example.org")
    first = new_id(
        post(client, lee.csrf, "2607.00020", "First <script>x()</script> & [l](https://e.org)")
    )
    second = new_id(post(client, lee.csrf, "2607.00020", "Second", parent=str(first)))
    r = client.get("/paper/2607.00020/comments.atom")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    root = etree.fromstring(r.content)
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [
        f"http://testserver/paper/2607.00020#c-{second}",
        f"http://testserver/paper/2607.00020#c-{first}",
    ]
    assert entries[0].findtext(f"{ATOM}title") == "Reply by user " + str(
        lee.user.id if lee.user else ""
    )
    content = entries[1].findtext(f"{ATOM}content") or ""
    assert "&lt;script&gt;" in content and "<script>" not in content  # escaped HTML, inert
    assert 'rel="nofollow noopener ugc"' in content
    empty = etree.fromstring(client.get("/paper/hep-th/9901001/comments.atom").content)
    assert empty.findall(f"{ATOM}entry") == []
    assert client.get("/paper/nope-0000/comments.atom").status_code == 404
    assert 'href="/paper/2607.00020/comments.atom"' in client.get("/paper/2607.00020").text


def test_a_busy_thread_stays_under_the_page_weight(client: TestClient, settings: Settings) -> None:
    store: Store = client.app.state.site.store  # type: ignore[attr-defined]
    pk, _ = find_paper(store, "2607.00021")
    users = [create_user(store, f"crowd{i}-talk@example.org")[0] for i in range(5)]
    parent = None
    for i in range(60):
        parent = sc.add_comment(
            store,
            paper_pk=pk,
            user_id=users[i % 5].id,
            body=f"Point {i}: " + "words " * 40,
            parent_id=parent if i % 3 else None,
        )
    sc.set_moderator(store, users[0].id, True)
    act_as(client, settings, "crowd0-talk@example.org")  # a moderator: the most forms
    r = client.get("/paper/2607.00021")
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', r.text)
    sent = len(gzip.compress(r.content)) + sum(
        len(gzip.compress(client.get(a).content)) for a in assets
    )
    assert sent <= 60_000, sent


# --- the store, on both backends -------------------------------------------------------------


def test_comment_store(store: Store) -> None:
    upsert_records(store, [arxiv(1, LATEST), arxiv(2, LATEST)])
    pk1, _ = find_paper(store, "2607.00001")
    pk2, _ = find_paper(store, "2607.00002")
    a, _ = create_user(store, "a@example.org")
    b, _ = create_user(store, "b@example.org")
    top = sc.add_comment(store, paper_pk=pk1, user_id=a.id, body="  top  ")
    reply = sc.add_comment(store, paper_pk=pk1, user_id=b.id, body="re", parent_id=top)
    other = sc.add_comment(store, paper_pk=pk1, user_id=b.id, body="second top")
    with pytest.raises(BadRequest):
        sc.add_comment(store, paper_pk=pk2, user_id=a.id, body="x", parent_id=top)
    with pytest.raises(BadRequest):
        sc.add_comment(store, paper_pk=pk1, user_id=a.id, body="x" * (sc.MAX_BODY + 1))
    assert [(c.id, c.depth, c.body) for c in sc.thread(store, pk1)] == [
        (top, 0, "top"),
        (reply, 1, "re"),
        (other, 0, "second top"),
    ]
    with pytest.raises(sc.Forbidden):
        sc.edit_comment(store, comment_id=top, user_id=b.id, body="no")
    with pytest.raises(sc.Forbidden):
        sc.delete_comment(store, comment_id=top, user_id=b.id)
    assert sc.set_upvote(store, comment_id=top, user_id=b.id, on=True) == (True, 1)
    assert sc.set_upvote(store, comment_id=top, user_id=b.id, on=True) == (True, 1)
    assert sc.set_upvote(store, comment_id=top, user_id=a.id, on=True) == (True, 2)
    assert sc.set_upvote(store, comment_id=top, user_id=a.id, on=False) == (False, 1)
    seen = {c.id: (c.upvotes, c.upvoted) for c in sc.thread(store, pk1, b.id)}
    assert seen[top] == (1, True) and seen[reply] == (0, False)
    assert sc.report_comment(store, comment_id=reply, user_id=a.id, reason="rude")
    assert not sc.report_comment(store, comment_id=reply, user_id=a.id, reason="again")
    assert sc.reports(store, reply) == ["rude"]
    assert sc.comment_counts(store, ["2607.00001", "2607.00002"]) == {"2607.00001": 3}
    with pytest.raises(sc.Forbidden):
        sc.set_hidden(store, comment_id=reply, moderator_id=a.id, hidden=True)
    sc.set_moderator(store, a.id, True)
    assert sc.is_moderator(store, a.id) and not sc.is_moderator(store, b.id)
    sc.set_hidden(store, comment_id=reply, moderator_id=a.id, hidden=True)
    sc.delete_comment(store, comment_id=other, user_id=b.id)
    assert sc.comment_counts(store, ["2607.00001"]) == {"2607.00001": 1}
    gone = sc.get_comment(store, other)
    assert gone.deleted is not None and gone.body == ""
    with pytest.raises(NotFound):
        sc.set_upvote(store, comment_id=reply, user_id=b.id, on=True)  # hidden
    sc.set_hidden(store, comment_id=reply, moderator_id=a.id, hidden=False)
    assert sc.comment_counts(store, ["2607.00001"]) == {"2607.00001": 2}
    sc.edit_comment(store, comment_id=top, user_id=a.id, body="top, edited")
    assert sc.get_comment(store, top).edited is not None
