"""The community features and the daily digest in a real browser: Debian's chromium, driven by
Playwright, against a real `paperwire serve` process over the demo corpus that mails through a
real SMTP server on 127.0.0.1 (tests/support/mailserver.py).

One user's journey, as the issue's acceptance line asks: sign in with the link captured from the
sign-in mail, upvote a paper, save it to a collection (and export the collection as BibTeX),
save a search, subscribe to the trending digest, run `paperwire digest send` in its own process,
and open the captured digest's List-Unsubscribe link, which switches every subscription off.
No step goes around the site: everything a user does is a click or a typed field, and every
page must load without a console error, CSP violation or failed request. Each step leaves a
screenshot in test-artifacts/browser-community/ (git-ignored). The browser, the server process
and the Tab come from tests/support/browserkit.py.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from tests.support.browserkit import (
    REPO,
    CliSite,
    Tab,
    artifacts_dir,
    build_demo_home,
    free_port,
    launch_chromium,
    open_tab,
    serving,
)
from tests.support.mailserver import Capture, MailServer, body_text

pytestmark = [pytest.mark.browser, pytest.mark.network_local]

ARTIFACTS = REPO / "test-artifacts" / "browser-community"
SECRET_KEY = "browser-community-test-key-0123456789abcdef"
EMAIL = "reader@example.org"
COLLECTION = "Browser picks"
QUERY = "cat:cs.CL language"
DIGEST_DAY = "2026-07-01"  # the demo's newest listing day: the saved search has matches on it
LATER_DAY = "2026-07-02"
VOTE = "article.paper.full form.vote"  # the paper's own button (its similar papers have theirs)


@pytest.fixture(scope="module")
def artifacts() -> Path:
    return artifacts_dir("browser-community")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    yield from launch_chromium()


Site = CliSite  # the running server, and its CLI


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, artifacts: Path, mail_server: MailServer
) -> Iterator[Site]:
    """`paperwire serve` in a real process over the demo corpus, mailing to `mail_server`."""
    home = tmp_path_factory.mktemp("browser-community-home")
    build_demo_home(home)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    env.update(
        PAPERWIRE_SMTP_HOST="127.0.0.1",
        PAPERWIRE_SMTP_PORT=str(mail_server.port),
        PAPERWIRE_BASE_URL=f"http://127.0.0.1:{port}",
        PAPERWIRE_SECRET_KEY=SECRET_KEY,
    )
    with serving(home, artifacts / "server.log", env, port=port) as base:
        yield Site(base, home, env)


@pytest.fixture
def tab(chromium: Any, site: Site, artifacts: Path) -> Iterator[Tab]:
    with open_tab(chromium, site.base, artifacts, full_page=True) as opened:
        yield opened


def _words(text: str) -> str:
    """The words of a text, one space apart: compares a title with its BibTeX rendering
    (braces, escapes and line breaks aside)."""
    return " ".join(re.findall(r"\w+", text)).lower()


def _mail_to(mailbox: Capture, count: int, timeout: float = 30.0) -> EmailMessage:
    """The newest message to EMAIL once the mailbox holds `count` messages."""
    mailbox.wait_for(count, timeout=timeout)
    mine = mailbox.to(EMAIL)
    assert len(mailbox.messages) >= count and mine, [str(m["Subject"]) for m in mailbox.messages]
    return mine[-1]


def _section_papers(page_html: str, heading: str) -> list[str]:
    """The paper links under one <h2> section of the digest's HTML part."""
    root = lxml_html.fromstring(page_html)
    for h2 in root.iter("h2"):
        if h2.text_content().strip() == heading:
            ol = h2.getnext()
            assert ol is not None and ol.tag == "ol", heading
            return [str(a.get("href")) for a in ol.iter("a")]
    raise AssertionError(f"no section {heading!r} in the digest")


def test_community_journey_to_the_digest_and_unsubscribe(
    tab: Tab, site: Site, mailbox: Capture
) -> None:
    page = tab.page

    # 1. Sign in with the link of the sign-in mail.
    tab.goto("/")
    tab.click_and_wait(page.locator("nav.account a", has_text="Sign in"))
    assert tab.path() == "/signin" and tab.h1() == "Sign in"
    page.locator("#email").fill(EMAIL)
    tab.shot("01-signin-form")
    tab.click_and_wait(page.locator("form.account button[type=submit]"))
    assert tab.h1() == "Check your inbox"
    assert EMAIL in page.locator("main [role=status]").inner_text()
    tab.shot("02-signin-sent")
    signin_mail = _mail_to(mailbox, 1)
    found = re.search(
        re.escape(site.base) + r"/signin/verify\?token=[^\s<>\"']+", body_text(signin_mail)
    )
    assert found, body_text(signin_mail)
    tab.goto(found.group(0))
    assert tab.path() == "/"
    me = page.locator('nav.account a[href="/account"]')
    assert me.inner_text().strip() == EMAIL
    assert page.locator("nav.account", has_text="Sign in").count() == 0
    tab.shot("03-signed-in")

    # 2. Upvote the newest day's first paper; the vote survives a reload.
    first = page.locator("ol.papers > li h2.title a").first
    title = first.inner_text().strip()
    tab.click_and_wait(first)
    paper_path = tab.path()
    assert paper_path.startswith("/paper/") and tab.h1() == title
    button = page.locator(f"{VOTE} button")
    assert button.get_attribute("aria-pressed") == "false"
    before = int(page.locator(f"{VOTE} .votes").inner_text())
    button.click()  # htmx swaps the answer in place
    page.wait_for_selector(f'{VOTE} button[aria-pressed="true"]')
    assert int(page.locator(f"{VOTE} .votes").inner_text()) == before + 1
    assert tab.path() == paper_path
    tab.shot("04-upvoted")
    page.reload(wait_until="load")
    assert page.locator(f"{VOTE} button").get_attribute("aria-pressed") == "true"
    assert int(page.locator(f"{VOTE} .votes").inner_text()) == before + 1

    # 3. Save it to a new collection; the collection lists it and exports it as BibTeX.
    page.locator("#save-collection").fill(COLLECTION)
    tab.click_and_wait(page.locator('section.bookmark form[action="/bookmark"] button'))
    assert tab.path() == paper_path
    assert page.locator("section.bookmark ul.saved a").all_inner_texts() == [COLLECTION]
    tab.shot("05-bookmarked")
    tab.click_and_wait(page.locator("section.bookmark a", has_text="Your collections"))
    assert tab.path() == "/collections"
    entry = page.locator("ul.collections > li", has_text=COLLECTION)
    assert "(1 paper)" in entry.inner_text()
    tab.shot("06-collections")
    bib_href = entry.locator("a", has_text="BibTeX").get_attribute("href")
    bib = page.request.get(site.base + bib_href)  # the browser's cookies: the user's own
    assert bib.status == 200, bib.text()
    assert "@" in bib.text() and _words(title) in _words(bib.text()), bib.text()
    tab.click_and_wait(entry.locator("a", has_text=COLLECTION))
    assert page.locator("ol.papers h2.title a").all_inner_texts() == [title]

    # 4. Search from the header's box and save the search.
    page.locator("#site-q").fill(QUERY)
    with page.expect_navigation(wait_until="load"):
        page.locator("#site-q").press("Enter")
    assert tab.path() == f"/search?q={QUERY}"
    assert page.locator("#results ol.papers > li").count() > 0
    tab.shot("07-search")
    tab.click_and_wait(page.locator("form.save-search button"))
    assert tab.path() == "/account/subscriptions?done=added"
    rows = page.locator("table.subscriptions tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("code").inner_text() == QUERY
    assert rows.first.locator("td").nth(1).inner_text().strip() == "on"
    tab.shot("08-search-saved")

    # 5. Subscribe to the trending digest.
    tab.click_and_wait(page.locator("button", has_text="Subscribe to trending papers"))
    assert page.locator("main .notice").inner_text().startswith("Subscribed")
    assert rows.count() == 2
    assert "Trending papers of the day" in rows.all_inner_texts()[0] + rows.all_inner_texts()[1]
    assert [rows.nth(i).locator("td").nth(1).inner_text().strip() for i in range(2)] == [
        "on",
        "on",
    ]
    assert page.locator("button", has_text="Subscribe to trending papers").count() == 0
    tab.shot("09-subscribed")
    # Today's preview, from the page's own link: today's only vote, ours, makes the paper
    # trending (nothing is listed today, so the saved search has nothing new yet).
    tab.click_and_wait(page.locator("main a", has_text="Preview today’s digest"))
    assert tab.path() == "/digest/preview"
    # The mail's HTML, inline styles and all, in a sandboxed frame with a CSP of its own.
    preview = page.frame_locator("iframe.digest-preview")
    preview.locator("h2").first.wait_for()
    assert preview.locator("h2").all_inner_texts() == ["Trending today"]
    assert preview.locator("ol a").all_inner_texts() == [title]
    tab.shot("10-digest-preview")

    # 6. The digest, sent by the CLI in its own process, arrives with both parts.
    sent = site.cli("digest", "send", "--date", DIGEST_DAY)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    digest = _mail_to(mailbox, 2)
    assert digest is not signin_mail and str(digest["To"]).endswith(EMAIL)
    assert digest.get_content_type() == "multipart/alternative"
    text, html = body_text(digest), body_text(digest, "html")
    unsubscribe_header = str(digest["List-Unsubscribe"])
    assert str(digest["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    link = re.fullmatch(r"<(https?://[^>]+)>", unsubscribe_header.strip())
    assert link, unsubscribe_header
    unsubscribe_url = link.group(1)
    assert unsubscribe_url.startswith(f"{site.base}/unsubscribe?token=")
    assert unsubscribe_url in text
    assert f'href="{unsubscribe_url}"' in html
    assert f"{site.base}/account/subscriptions" in text
    search_heading = f"New for “{QUERY}”"
    assert search_heading in text
    assert "Trending today" in text
    (ARTIFACTS / "digest.html").write_text(html, encoding="utf-8")
    # The saved search's section holds only papers of that day that match it.
    matches = _section_papers(html, search_heading)
    assert matches
    for href in matches:
        assert href.startswith(f"{site.base}/paper/"), href
        paper_id = href.removeprefix(f"{site.base}/paper/")
        detail = page.request.get(f"{site.base}/api/v1/papers/{paper_id}").json()["paper"]
        assert "cs.CL" in detail["categories"] and detail["day"] == DIGEST_DAY, detail
    assert _section_papers(html, "Trending today")

    # 7. The digest's List-Unsubscribe link: a page with one button, then everything is off.
    tab.goto(unsubscribe_url)
    assert tab.h1() == "Unsubscribe"
    assert EMAIL in page.locator("main").inner_text()
    tab.shot("11-unsubscribe")
    tab.click_and_wait(page.locator("main button", has_text="Unsubscribe"))
    assert (
        page.locator("main [role=status]").inner_text().startswith(f"{EMAIL} gets no more digests.")
    )
    tab.shot("12-unsubscribed")
    tab.click_and_wait(page.locator("main a", has_text="your subscriptions"))
    assert tab.path() == "/account/subscriptions"
    states = [rows.nth(i).locator("td").nth(1).inner_text().strip() for i in range(rows.count())]
    assert states == ["off", "off"]
    assert page.locator("table.subscriptions button", has_text="Switch on").count() == 2
    tab.shot("13-all-off")
    again = site.cli("digest", "send", "--date", LATER_DAY)
    assert again.returncode == 3, again.stdout + again.stderr
    assert len(mailbox.messages) == 2, [str(m["Subject"]) for m in mailbox.messages]
