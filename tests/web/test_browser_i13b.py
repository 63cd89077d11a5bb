"""Discussion, authors and the digest, walked in a real browser (Debian's chromium via
Playwright, a real `paperwire serve` process, a real SMTP server): comment -> reply -> edit ->
delete -> moderator hide -> follow an author -> that author's paper ingested afterwards and
the reply both reach the commenter's digest. Walked at 390 px dark and 1280 px light.

Then every page at 390 px and 1280 px, light and dark (`color_scheme`): a screenshot each
(test-artifacts/browser-i13b/<test>/, git-ignored), no sideways scrolling (scrollWidth <=
innerWidth), dark mode really changes the background, no console error, CSP violation or
failed request.
And keyboard navigation on lists: j/k move, v votes, o opens.

Signing in is tested elsewhere (test_browser_community): the browser gets a session cookie
signed with the server's key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from paperwire.digest.send import send_digests
from paperwire.index.manager import open_index, update_index
from paperwire.settings import Settings
from paperwire.store import open_store
from paperwire.store.comments import set_moderator
from paperwire.store.papers import upsert_records
from paperwire.store.users import create_user
from paperwire.web import auth
from tests.support.browserkit import (
    Tab,
    artifacts_dir,
    free_port,
    launch_chromium,
    open_tab,
    serving,
)
from tests.support.mailserver import Capture, body_text
from tests.support.paperfactory import arxiv_record

pytestmark = [pytest.mark.browser, pytest.mark.network_local]

KEY = "browser-i13b-test-key-0123456789abcdef0123"
DAY1 = date(2026, 7, 1)
DAY2 = date(2026, 7, 2)
ARTIFACTS = "browser-i13b"
WALKS = {  # name: (viewport width, colour scheme, followed author, the paper discussed)
    "phone-dark": (390, "dark", "Grace Hopper", 1),
    "desktop-light": (1280, "light", "Katherine Johnson", 2),
}
USERS = ["moderator", "viewer"] + [f"{w}-{r}" for w in WALKS for r in ("author", "replier")]


def _paper(n: int, day: date, authors: list[str], title: str = "") -> Any:
    return arxiv_record(
        n,
        day,
        title=title or f"Paper {n} on sparse attention for long documents",
        abstract=f"Abstract {n}: we study attention with long inputs. " * 4,
        authors=authors,
        categories=["cs.LG", "cs.CL"],
    )


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, mail_server: Any
) -> Iterator[tuple[str, dict[str, str], Settings]]:
    """(base URL, session cookies by user, the settings a digest run uses)."""
    home = tmp_path_factory.mktemp("browser-i13b-home")
    settings = Settings(
        home=home,
        secret_key=KEY,
        smtp_host="127.0.0.1",
        smtp_port=mail_server.port,
        base_url="https://papers.example.org",
        mail_from="paperwire <digest@papers.example.org>",
    )
    sessions: dict[str, str] = {}
    papers = [
        _paper(n, DAY1, ["Grace Hopper", "Katherine Johnson", f"Ada Lovelace-{n}"])
        for n in range(1, 13)
    ]
    with open_store(settings) as store:
        upsert_records(store, papers)
        update_index(store, open_index(settings))
        for who in USERS:
            user, _ = create_user(store, f"{who}@example.org", name=who.replace("-", " ").title())
            signer = auth.serializer(settings, "session")
            sessions[who] = signer.dumps({"u": user.id, "v": user.session_version})
            if who == "moderator":
                set_moderator(store, user.id, True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    env["PAPERWIRE_SECRET_KEY"] = KEY
    log = artifacts_dir(ARTIFACTS) / "server.log"
    with serving(home, log, env, port=free_port()) as base:
        yield base, sessions, settings


@pytest.fixture
def tab(
    chromium: Any, site: tuple[str, dict[str, str], Settings], request: pytest.FixtureRequest
) -> Iterator[Tab]:
    # A folder per test: artifacts_dir empties the folder it is given of the last screenshots.
    folder = artifacts_dir(f"{ARTIFACTS}/{_slug(request.node.name)}")
    with open_tab(chromium, site[0], Path(folder)) as opened:
        yield opened


def be(tab: Tab, site: tuple[str, dict[str, str], Settings], who: str | None, url: str) -> None:
    """Become `who` (None: anonymous) and open `url`."""
    context = tab.page.context
    context.clear_cookies()
    if who is not None:
        cookie = {"name": auth.SESSION_COOKIE, "value": site[1][who], "url": site[0]}
        context.add_cookies([cookie])
    tab.goto(url)


def no_sideways_scroll(tab: Tab) -> None:
    width = tab.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{tab.path()}: {width[0]} px wide in a {width[1]} px window"


# --- the walk ----------------------------------------------------------------------------------


@pytest.mark.parametrize("walk", list(WALKS))
def test_discuss_follow_and_get_the_digest(
    tab: Tab, site: tuple[str, dict[str, str], Settings], mailbox: Capture, walk: str
) -> None:
    width, scheme, followed, n = WALKS[walk]
    page = tab.page
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme=scheme)
    author, replier, paper = f"{walk}-author", f"{walk}-replier", f"/paper/2607.{n:05d}"

    # 1. The author comments; the replier answers, edits the answer, posts and deletes another.
    be(tab, site, author, paper)
    page.locator("#new-comment").fill("Does this hold for *long* inputs?")
    tab.click_and_wait(page.locator("form.newcomment button"))
    top = page.locator("li.comment").first
    top_id = top.get_attribute("id")
    be(tab, site, replier, paper)
    top = page.locator(f"li#{top_id}")
    for body in ("It does, see section 4", "A slip, please ignore", "Off-topic rant"):
        top.locator("summary", has_text="Reply").click()
        top.locator("textarea").first.fill(body)
        tab.click_and_wait(top.locator("button", has_text="Post reply"))
        top = page.locator(f"li#{top_id}")
    replies = page.locator("li.comment.indent-1")
    assert replies.count() == 3
    first = replies.filter(has_text="It does")
    first.locator("summary", has_text="Edit").click()
    first.locator("textarea[name=body]").last.fill("It does, see **section 4**")
    tab.click_and_wait(first.locator("button", has_text="Save"))
    assert page.locator("li.comment.indent-1 .cbody strong").first.inner_text() == "section 4"
    slip = page.locator("li.comment.indent-1").filter(has_text="A slip")
    tab.click_and_wait(slip.locator("button", has_text="Delete"))
    assert page.locator("li.comment.indent-1").count() == 2  # a deleted leaf is left out
    assert "A slip" not in page.locator("section.discussion").inner_text()
    no_sideways_scroll(tab)
    tab.shot(f"walk-{walk}-1-thread")

    # 2. The moderator hides the rant.
    be(tab, site, "moderator", paper)
    rant = page.locator("li.comment.indent-1").filter(has_text="Off-topic rant")
    tab.click_and_wait(rant.locator("button", has_text="Hide"))
    assert "Hidden by a moderator" in page.locator("section.discussion").inner_text()

    # 3. The author follows one of the paper's authors, from the name on the paper page.
    be(tab, site, author, paper)
    tab.click_and_wait(page.locator("p.authors a", has_text=followed).first)
    key = followed.lower().replace(" ", "-")
    assert tab.path() == f"/author/{key}" and tab.h1() == followed
    assert "12 papers under this name" in page.locator("p.author-note").inner_text()
    tab.click_and_wait(page.locator("form.follow button"))
    assert page.locator("form.follow button").get_attribute("aria-pressed") == "true"
    no_sideways_scroll(tab)
    tab.shot(f"walk-{walk}-2-author")

    # 4. A paper of theirs arrives the next day; the digest run sends the author's digest.
    settings = site[2]
    with open_store(settings) as store:
        upsert_records(store, [_paper(100 + n, DAY2, [followed], f"Fresh results {walk}")])
        update_index(store, open_index(settings))
    summary = send_digests(settings, day=DAY2, user=f"{author}@example.org")
    assert summary.sent == 1, summary
    [mail] = mailbox.wait_for(1)
    text = body_text(mail)
    assert f"== New papers by {followed} ==" in text and f"Fresh results {walk}" in text
    assert "== Replies to your comments ==" in text and "It does, see **section 4**" in text
    assert "A slip" not in text and "Off-topic rant" not in text
    assert mail["Subject"].endswith(f"1 by {followed}, 1 reply to you")

    # 5. The reply's link in the mail opens the thread at the reply.
    link = re.search(r"https://papers\.example\.org(/paper/\S+#c-\d+)", text)
    assert link is not None
    tab.goto(link.group(1))
    anchor = link.group(1).split("#")[1]
    assert "section 4" in page.locator(f"li#{anchor}").inner_text()
    no_sideways_scroll(tab)
    tab.shot(f"walk-{walk}-3-from-the-mail")


# --- every page, both widths, both schemes ---------------------------------------------------

PUBLIC = [
    "/",
    "/day/2026-07-01",
    "/week/2026-07-01",
    "/month/2026-07",
    "/category/cs.LG",
    "/categories",
    "/trending",
    "/search?q=attention",
    "/search?q=author:%22Grace+Hopper%22",
    "/paper/2607.00003",
    "/author/grace-hopper",
    "/ask?q=long+documents",
    "/about",
    "/signin",
]
PRIVATE = [
    "/account",
    "/account/subscriptions",
    "/collections",
    "/recommendations",
    "/submit",
    "/digest/preview",
]


def _slug(url: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "home"


@pytest.mark.parametrize("width", [390, 1280])
def test_every_page_fits_and_follows_the_colour_scheme(
    tab: Tab, site: tuple[str, dict[str, str], Settings], width: int
) -> None:
    page = tab.page
    page.set_viewport_size({"width": width, "height": 900})
    for who, urls in ((None, PUBLIC), ("viewer", PRIVATE)):
        for url in urls:
            backgrounds = []
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                be(tab, site, who, url)
                no_sideways_scroll(tab)
                backgrounds.append(page.evaluate("getComputedStyle(document.body).backgroundColor"))
                tab.shot(f"page-{_slug(url)}-{width}-{scheme}")
            assert backgrounds == ["rgb(255, 255, 255)", "rgb(18, 18, 18)"], (url, backgrounds)


# --- keyboard navigation on lists ------------------------------------------------------------


def test_keyboard_moves_votes_and_opens(
    tab: Tab, site: tuple[str, dict[str, str], Settings]
) -> None:
    page = tab.page
    be(tab, site, "viewer", "/day/2026-07-01")
    items = page.locator("ol.papers > li")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert page.locator("ol.papers > li.kb-current").count() == 1
    assert "kb-current" in (items.nth(1).get_attribute("class") or "")
    second = items.nth(1)
    assert second.locator("form.vote button").get_attribute("aria-pressed") == "false"
    # One page of papers: no htmx on it, so the vote posts and comes back to the list.
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("v")
    assert tab.path() == "/day/2026-07-01"
    assert second.locator("form.vote button").get_attribute("aria-pressed") == "true"
    title = second.locator(".title a").get_attribute("href")
    page.keyboard.press("j")
    page.keyboard.press("j")
    # Typing in the search box is not navigation.
    page.locator("#site-q").fill("jjj")
    assert page.locator("ol.papers > li.kb-current").count() == 1
    page.locator("#site-q").blur()
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("o")
    assert tab.path() == title
