"""Issue 13's reader walk in a real browser: Debian's chromium (Playwright) against a real
`paperwire serve` process that mails through a real SMTP server on 127.0.0.1; one server and
one browser for the whole module.

The walk, at 390 px and 1280 px wide in the light and the dark colour scheme (Playwright's
`color_scheme`), four runs, each its own reader:
sign in from the mailed link -> the day in "for you" order offers the onboarding -> paste
three arXiv ids -> the list is ordered for them, each paper with its reason -> save an exclude
rule, which hides the matching papers on the list -> subscribe to trending and send the digest
(the CLI): the hidden papers are not in it -> comment, another user replies three times, edits
one, deletes one, a moderator hides one -> follow one of the paper's authors -> switch trending
off, ingest a new paper by that author -> the next day's digest holds it and the reply, and the
reply's link in the mail opens the thread at it.
Every page visited must fit the window (no sideways scrolling) and have the scheme's
background, with no console error, CSP violation or failed request; screenshots in
test-artifacts/browser-walk/<width>-<scheme>/ (git-ignored).

Then every page at both widths in both schemes (fits, background, a screenshot each), and
keyboard navigation on lists (j/k move, v votes, o opens).

The corpus: five topics of their own words (so the test-only HashEncoder puts each in its own
cluster), four papers per topic on each of five listing days, embedded with HashEncoder in the
saved index (the server only reads stored vectors for recommendations, never encodes); the
latest day's papers are all by the four authors the walks follow.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from paperwire.index.encoders import HashEncoder
from paperwire.index.manager import embed_index, open_index, update_index
from paperwire.records import PaperRecord
from paperwire.settings import Settings
from paperwire.store import open_store
from paperwire.store.comments import set_moderator
from paperwire.store.papers import upsert_records
from paperwire.store.users import create_user
from paperwire.web import auth
from tests.support.browserkit import (
    BACKGROUNDS,
    CliSite,
    SchemeTab,
    artifacts_dir,
    free_port,
    launch_chromium,
    mail_to,
    scheme_tab,
    serving,
    sign_in_by_mail,
    site_env,
)
from tests.support.mailserver import Capture, MailServer, body_text
from tests.support.paperfactory import arxiv_record

pytestmark = [pytest.mark.browser, pytest.mark.network_local]

ARTIFACTS = "browser-walk"
KEY = "browser-walk-test-key-0123456789abcdef0123"
LATEST = date(2026, 7, 1)
NEXT = LATEST + timedelta(days=1)  # the day the followed author's new paper is listed
DAY = f"/day/{LATEST.isoformat()}"
DAYS = 5
PER_DAY = 4  # papers per topic per day
TOPICS = {
    "protein": "protein folding amino residue enzyme peptide ligand binding conformation",
    "galaxy": "galaxy dark matter halo stellar redshift telescope spiral lensing cosmic",
    "language": "language translation sentence corpus grammar parsing lexical dialogue",
    "robot": "robot grasping locomotion gripper manipulation legged actuator navigation",
    "quantum": "qubit entanglement superconducting decoherence photon gate fidelity spin",
}
MARKER = "zeolite"  # in two robot papers of the latest day: the exclude rule's keyword
LIKED = ["2607.00085", "2607.00086", "2607.00087"]  # quantum papers of the day before
WALKS = {  # (width, scheme): (followed author, the paper discussed: one of the latest day's)
    (390, "light"): ("Grace Hopper", 1),
    (390, "dark"): ("Katherine Johnson", 2),
    (1280, "light"): ("Dorothy Vaughan", 3),
    (1280, "dark"): ("Mary Jackson", 4),
}
AUTHORS = [author for author, _ in WALKS.values()]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "home"


def _corpus() -> list[PaperRecord]:
    rng = random.Random(13)
    out, n = [], 0
    for topic, words in TOPICS.items():
        for d in range(DAYS):
            for i in range(PER_DAY):
                n += 1
                picked = rng.sample(words.split(), 6)
                abstract = f"we study {' '.join(picked)} and report results."
                if topic == "robot" and d == 0 and i < 2:
                    abstract += f" Our {MARKER} gripper is new."
                out.append(
                    arxiv_record(
                        n,
                        LATEST - timedelta(days=d),
                        title=f"{picked[0].capitalize()} {picked[1]} and {picked[2]} ({n})",
                        abstract=abstract,
                        authors=[*AUTHORS, f"Author {n}"] if d == 0 else [f"Author {n}"],
                        categories=["cs.LG"],
                    )
                )
    return out


def _topic(paper_id: str) -> str:
    n = int(paper_id.split(".")[1])
    return list(TOPICS)[(n - 1) // (DAYS * PER_DAY)]


def _add_papers(home: Path, papers: list[PaperRecord]) -> None:
    """Store, index and embed papers (HashEncoder) in the site's home, as an ingest would."""
    settings = Settings(home=home)
    with open_store(settings) as store:
        upsert_records(store, papers)
        index = open_index(settings, encoder=HashEncoder(64))
        update_index(store, index)
        embed_index(store, index)
        index.save()


class Site(CliSite):
    """The running site, and the session cookies of the users made for it."""

    sessions: dict[str, str]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, mail_server: MailServer) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("browser-walk-home")
    _add_papers(home, _corpus())
    sessions = {}
    with open_store(Settings(home=home)) as store:
        for who in ["moderator", "viewer"] + [f"replier-{w}-{s}" for w, s in WALKS]:
            user, _ = create_user(store, f"{who}@example.org", name=who.replace("-", " ").title())
            settings = Settings(home=home, secret_key=KEY)
            signer = auth.serializer(settings, "session")
            sessions[who] = signer.dumps({"u": user.id, "v": user.session_version})
            if who == "moderator":
                set_moderator(store, user.id, True)
    port = free_port()
    env = site_env(port, mail_server.port, KEY, digest_size="50")
    with serving(home, artifacts_dir(ARTIFACTS) / "server.log", env, port=port) as base:
        opened = Site(base, home, env)
        opened.sessions = sessions
        yield opened


def be(tab: SchemeTab, site: Site, who: str | None, url: str) -> None:
    """Become `who` (a user's name in `site.sessions`, a session cookie value, or None:
    anonymous) and open `url`."""
    context = tab.page.context
    context.clear_cookies()
    if who is not None:
        value = site.sessions.get(who, who)
        context.add_cookies([{"name": auth.SESSION_COOKIE, "value": value, "url": site.base}])
    tab.goto(url)


def _listed(page: Any) -> list[str]:
    return [s.strip() for s in page.locator("ol.papers > li span.id").all_inner_texts()]


def _mailed_papers(site: Site, message: Any) -> list[str]:
    root = lxml_html.fromstring(body_text(message, "html"))
    prefix = f"{site.base}/paper/"
    hrefs = [str(a.get("href", "")) for a in root.iter("a")]
    return [h.removeprefix(prefix) for h in hrefs if h.startswith(prefix)]


# --- the walk --------------------------------------------------------------------------------


def _for_you(tab: SchemeTab) -> list[str]:
    """Listing order, the onboarding with pasted ids, then "for you" with reasons; returns
    the day's papers in listing order."""
    page = tab.page
    tab.goto(f"{DAY}?order=all")
    listing_order = _listed(page)
    assert len(listing_order) == 5 * PER_DAY and listing_order == sorted(listing_order)
    tab.click_and_wait(page.locator("nav.orders a", has_text="For you"))
    assert page.locator("nav.orders a[aria-current=true]").inner_text() == "For you"
    assert page.locator("p.reason").count() == 0
    tab.click_and_wait(page.locator("p.onboarding a"))
    assert tab.path() == "/for-you/start"
    tab.shot("01-onboarding")
    page.locator("#seed-ids").fill("\n".join(LIKED))
    tab.click_and_wait(page.locator("form.onboarding button[type=submit]"))
    assert tab.path() == "/?order=foryou"
    tab.goto(DAY)  # the cookie keeps "for you"
    ordered = _listed(page)
    assert sorted(ordered) == listing_order and ordered != listing_order
    assert {_topic(i) for i in ordered[:PER_DAY]} == {"quantum"}
    reasons = page.locator("ol.papers > li p.reason").all_inner_texts()
    assert len(reasons) == len(ordered)
    assert all(r.startswith("Why: close to “") for r in reasons)
    tab.shot("02-for-you-ordered")
    return listing_order


def _exclude_rule(tab: SchemeTab, listing_order: list[str]) -> list[str]:
    """Save an exclude rule; the list hides its papers and says so. Returns what it shows."""
    page = tab.page
    tab.click_and_wait(page.locator(".filters a", has_text="List rules"))
    assert tab.path() == "/account/filters"
    page.locator("#rule-kind").select_option("exclude")
    page.locator("#rule-keyword").fill(MARKER.upper())
    tab.click_and_wait(page.locator("form.rule button", has_text="Save rule"))
    assert page.locator("ul.rules code").all_inner_texts() == [MARKER]
    tab.goto(DAY)
    shown = _listed(page)
    assert len(shown) == len(listing_order) - 2
    assert MARKER not in page.locator("main").inner_text().lower()
    assert page.locator(".filters .rules").inner_text().startswith("2 hidden by")
    tab.shot("03-rule-applied")
    return shown


def _first_digest(
    tab: SchemeTab, site: Site, mailbox: Capture, email: str, listing_order: list[str]
) -> None:
    """Subscribe to trending; the digest the CLI sends leaves the hidden papers out."""
    page = tab.page
    shown = _listed(page)
    tab.goto("/account/subscriptions")
    tab.click_and_wait(page.locator("button", has_text="Subscribe to trending papers"))
    sent = site.cli("digest", "send", "--date", LATEST.isoformat())
    assert sent.returncode == 0, sent.stdout + sent.stderr
    digest = mail_to(mailbox, email, 2)
    mailed = _mailed_papers(site, digest)
    hidden = set(listing_order) - set(shown)
    assert len(hidden) == 2 and not hidden & set(mailed)
    assert set(shown) <= set(mailed)  # the rest of the day is there
    assert MARKER not in body_text(digest).lower()
    tab.goto(f"{DAY}?rules=off")  # and the rule can be set aside on the list
    assert len(_listed(page)) == len(listing_order)


def _discussion(tab: SchemeTab, site: Site, reader: str, replier: str, paper: str) -> None:
    """The reader comments; the replier answers thrice, edits one, deletes one; the
    moderator hides one."""
    page = tab.page
    be(tab, site, reader, paper)
    page.locator("#new-comment").fill("Does this hold for *long* inputs?")
    tab.click_and_wait(page.locator("form.newcomment button"))
    top_id = page.locator("li.comment").first.get_attribute("id")
    be(tab, site, replier, paper)
    for body in ("It does, see section 4", "A slip, please ignore", "Off-topic rant"):
        top = page.locator(f"li#{top_id}")
        top.locator("summary", has_text="Reply").click()
        top.locator("textarea").first.fill(body)
        tab.click_and_wait(top.locator("button", has_text="Post reply"))
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
    tab.shot("04-thread")
    be(tab, site, "moderator", paper)
    rant = page.locator("li.comment.indent-1").filter(has_text="Off-topic rant")
    tab.click_and_wait(rant.locator("button", has_text="Hide"))
    assert "Hidden by a moderator" in page.locator("section.discussion").inner_text()


def _follow(tab: SchemeTab, site: Site, reader: str, paper: str, followed: str) -> None:
    """Follow one of the paper's authors from the name on its page; switch trending off (so
    the next digest's papers are the followed author's section alone)."""
    page = tab.page
    be(tab, site, reader, paper)
    tab.click_and_wait(page.locator("p.authors a", has_text=followed).first)
    assert tab.path() == f"/author/{_slug(followed)}" and tab.h1() == followed
    assert f"{5 * PER_DAY} papers under this name" in page.locator("p.author-note").inner_text()
    tab.click_and_wait(page.locator("form.follow button"))
    assert page.locator("form.follow button").get_attribute("aria-pressed") == "true"
    tab.shot("05-author-followed")
    tab.goto("/account/subscriptions")
    tab.click_and_wait(page.locator("button", has_text="Switch off").first)


def _next_digest(
    tab: SchemeTab, site: Site, mailbox: Capture, email: str, followed: str, n: int
) -> None:
    """A paper by the followed author arrives; the next day's digest holds it and the reply,
    and the reply's link opens the thread there."""
    title = f"Fresh results {n} by {followed}"
    paper = arxiv_record(500 + n, NEXT, title=title, authors=[followed])  # one id per walk
    _add_papers(site.home, [paper])
    sent = site.cli("digest", "send", "--date", NEXT.isoformat())
    assert sent.returncode == 0, sent.stdout + sent.stderr
    mail = mail_to(mailbox, email, 3)
    text = body_text(mail)
    assert f"== New papers by {followed} ==" in text and title in text
    assert "== Replies to your comments ==" in text and "It does, see **section 4**" in text
    assert "A slip" not in text and "Off-topic rant" not in text
    assert mail["Subject"].endswith(f"1 by {followed}, 1 reply to you")
    link = re.search(re.escape(site.base) + r"(/paper/\S+#c-\d+)", text)
    assert link is not None
    tab.goto(link.group(1))
    anchor = link.group(1).split("#")[1]
    assert "section 4" in tab.page.locator(f"li#{anchor}").inner_text()
    tab.shot("06-from-the-mail")


@pytest.mark.parametrize(("width", "scheme"), list(WALKS), ids=[f"{w}-{s}" for w, s in WALKS])
def test_the_reader_walk(
    chromium: Any, site: Site, mailbox: Capture, width: int, scheme: str
) -> None:
    followed, n = WALKS[(width, scheme)]
    email, paper = f"reader-{width}-{scheme}@example.org", f"/paper/2607.{n:05d}"
    folder = artifacts_dir(f"{ARTIFACTS}/{width}-{scheme}")
    with scheme_tab(chromium, site.base, folder, width=width, scheme=scheme) as tab:
        assert tab.page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (
            scheme == "dark"
        )
        sign_in_by_mail(tab, mailbox, email)
        reader = next(
            c["value"] for c in tab.page.context.cookies() if c["name"] == auth.SESSION_COOKIE
        )
        listing_order = _for_you(tab)
        _exclude_rule(tab, listing_order)
        _first_digest(tab, site, mailbox, email, listing_order)
        _discussion(tab, site, reader, f"replier-{width}-{scheme}", paper)
        _follow(tab, site, reader, paper, followed)
        _next_digest(tab, site, mailbox, email, followed, n)
    kinds = {re.sub(r"[/?].*", "", p.lstrip("/")) for p in tab.checked}
    assert {"signin", "day", "for-you", "account", "paper", "author"} <= kinds, tab.checked


# --- every page, both widths, both schemes ---------------------------------------------------

PUBLIC = [
    "/",
    DAY,
    f"/week/{LATEST.isoformat()}",
    "/month/2026-07",
    "/category/cs.LG",
    "/categories",
    "/trending",
    # bm25: the index's vectors are HashEncoder's, which the server's encoder cannot query
    "/search?q=robot+grasping&mode=bm25",
    "/search?q=author:%22Grace+Hopper%22&mode=bm25",
    "/paper/2607.00003",
    "/author/grace-hopper",
    "/ask",  # the form alone: Ask reads token vectors, HashEncoder's here (test_browser_ask asks)
    "/about",
    "/signin",
]
PRIVATE = [
    "/account",
    "/account/subscriptions",
    "/account/filters",
    "/for-you/start",
    "/collections",
    "/recommendations",
    "/submit",
    "/digest/preview",
]


@pytest.mark.parametrize("width", [390, 1280])
def test_every_page_fits_and_follows_the_colour_scheme(
    chromium: Any, site: Site, width: int
) -> None:
    folder = artifacts_dir(f"{ARTIFACTS}/pages-{width}")
    for scheme in BACKGROUNDS:
        with scheme_tab(chromium, site.base, folder, width=width, scheme=scheme) as tab:
            for who, urls in ((None, PUBLIC), ("viewer", PRIVATE)):
                for url in urls:
                    be(tab, site, who, url)  # checks the fit and the background
                    tab.shot(f"page-{_slug(url)}-{scheme}")
            assert len(tab.checked) == len(PUBLIC) + len(PRIVATE)


# --- keyboard navigation on lists ------------------------------------------------------------


def test_keyboard_moves_votes_and_opens(chromium: Any, site: Site) -> None:
    folder = artifacts_dir(f"{ARTIFACTS}/keys")
    with scheme_tab(chromium, site.base, folder, width=1280, scheme="light") as tab:
        page = tab.page
        be(tab, site, "viewer", f"{DAY}?order=all")
        items = page.locator("ol.papers > li")
        for key in "jjjk":
            page.keyboard.press(key)
        assert page.locator("ol.papers > li.kb-current").count() == 1
        assert "kb-current" in (items.nth(1).get_attribute("class") or "")
        second = items.nth(1)
        assert second.locator("form.vote button").get_attribute("aria-pressed") == "false"
        # One page of papers: no htmx on it, so the vote posts and comes back to the list.
        with page.expect_navigation(wait_until="load"):
            page.keyboard.press("v")
        assert tab.path() == f"{DAY}?order=all"
        assert second.locator("form.vote button").get_attribute("aria-pressed") == "true"
        title = second.locator(".title a").get_attribute("href")
        page.keyboard.press("j")
        page.keyboard.press("j")
        page.locator("#site-q").fill("jjj")  # typing in the search box is not navigation
        assert page.locator("ol.papers > li.kb-current").count() == 1
        page.locator("#site-q").blur()
        with page.expect_navigation(wait_until="load"):
            page.keyboard.press("o")
        assert tab.path() == title
