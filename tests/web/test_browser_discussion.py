"""Discussion in a real browser (Debian's chromium via Playwright, a real `paperwire serve`
process): comment, reply, edit, upvote in place (htmx), moderator hide, delete; a comment's
`<script>` never runs and no page has a console error, CSP violation or failed request.

Signing in is not what is tested here (test_browser_community does it through the mail): the
browser gets a session cookie signed with the server's key. Screenshots, at 1280 px and 390
px wide, go to test-artifacts/browser-discussion/ (git-ignored).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

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
from tests.support.paperfactory import arxiv_record

pytestmark = [pytest.mark.browser, pytest.mark.network_local]

KEY = "browser-discussion-test-key-0123456789abcdef"
DAY = date(2026, 7, 1)
PAPER = "/paper/2607.00001"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A small site (three papers, an author and a moderator); (base URL, session cookies)."""
    home = tmp_path_factory.mktemp("browser-discussion-home")
    settings = Settings(home=home, secret_key=KEY)
    sessions: dict[str, str] = {}
    with open_store(settings) as store:
        upsert_records(store, [arxiv_record(n, DAY) for n in (1, 2, 3)])
        update_index(store, open_index(settings))
        for who in ("author", "moderator"):
            user, _ = create_user(store, f"{who}@example.org", name=who.title())
            signer = auth.serializer(settings, "session")
            sessions[who] = signer.dumps({"u": user.id, "v": user.session_version})
        set_moderator(store, user.id, True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    env["PAPERWIRE_SECRET_KEY"] = KEY
    log = artifacts_dir("browser-discussion") / "server.log"
    with serving(home, log, env, port=free_port()) as base:
        yield base, sessions


@pytest.fixture
def tab(chromium: Any, server: tuple[str, dict[str, str]]) -> Iterator[Tab]:
    folder = Path(artifacts_dir("browser-discussion"))
    with open_tab(chromium, server[0], folder, full_page=True) as opened:
        yield opened


def be(tab: Tab, server: tuple[str, dict[str, str]], who: str | None) -> None:
    """Become `who` (None: anonymous) and open the paper page."""
    context = tab.page.context
    context.clear_cookies()
    if who is not None:
        cookie = {"name": auth.SESSION_COOKIE, "value": server[1][who], "url": server[0]}
        context.add_cookies([cookie])
    tab.goto(PAPER)


def test_comment_reply_edit_upvote_hide_delete(
    tab: Tab, server: tuple[str, dict[str, str]]
) -> None:
    page = tab.page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # 1. The author comments (Markdown, with a script that must stay text) and replies.
    be(tab, server, "author")
    page.locator("#new-comment").fill("**Great** paper <script>alert('x')</script>")
    tab.click_and_wait(page.locator("form.newcomment button"))
    top = page.locator("li.comment").first
    assert top.locator(".cbody strong").inner_text() == "Great"
    assert "<script>alert('x')</script>" in top.locator(".cbody").inner_text()
    top_id = top.get_attribute("id")
    top.locator("summary", has_text="Reply").click()
    top.locator("textarea").first.fill("A first reply")
    tab.click_and_wait(top.locator("button", has_text="Post reply"))
    reply = page.locator("li.comment.indent-1")
    assert reply.locator(".cbody").inner_text().strip() == "A first reply"
    tab.shot("01-thread-1280")

    # 2. The author edits the reply.
    reply.locator("summary", has_text="Edit").click()
    reply.locator("textarea[name=body]").last.fill("An *edited* reply")
    tab.click_and_wait(reply.locator("button", has_text="Save"))
    reply = page.locator("li.comment.indent-1")
    assert reply.locator(".cbody em").inner_text() == "edited"
    assert "edited" in reply.locator(".cmeta").inner_text()

    # 3. The moderator upvotes the top comment in place and hides the reply.
    be(tab, server, "moderator")
    top = page.locator(f"li#{top_id}")
    top.locator("form.cvote button").click()
    page.wait_for_selector(f'li#{top_id} form.cvote button[aria-pressed="true"]')
    assert top.locator(".votes").inner_text() == "1" and tab.path() == PAPER
    reply = page.locator("li.comment.indent-1")
    tab.click_and_wait(reply.locator("button", has_text="Hide"))
    reply = page.locator("li.comment.indent-1")
    assert "Hidden by a moderator" in reply.inner_text()
    assert reply.locator("button", has_text="Unhide").count() == 1
    page.set_viewport_size({"width": 390, "height": 844})
    tab.shot("02-moderator-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    # 4. The author deletes the top comment; the hidden reply is gone for them.
    be(tab, server, "author")
    assert "edited" not in page.locator("section.discussion").inner_text()
    tab.click_and_wait(page.locator(f"li#{top_id} button", has_text="Delete"))
    assert page.locator(f"li#{top_id}").inner_text().strip().endswith("[deleted]")

    # 5. Anyone else sees what is left, and a sign-in link instead of the form.
    be(tab, server, None)
    talk = page.locator("section.discussion").inner_text()
    assert "[deleted]" in talk and "Great" not in talk and "reply" not in talk
    assert page.locator("section.discussion a", has_text="Sign in to comment").count() == 1
    tab.shot("03-anonymous-1280")
    assert dialogs == []  # the comment's script never ran
