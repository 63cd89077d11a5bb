"""Signals, "for you" and filters in a real browser: Debian's chromium (Playwright) against a
real `paperwire serve` process that mails through a real SMTP server on 127.0.0.1.

One reader's walk, as issue 13 asks, at 390 px and 1280 px wide, in the light and the dark
colour scheme: sign in from the mailed link; the day's list in "for you" order offers the
onboarding; paste three arXiv ids; the list is now ordered for them, each paper with its
reason; save an exclude rule, which hides the matching papers on the list (and says how many);
subscribe to the trending digest and send it with the CLI: the matching papers are not in it.
Every page must load without a console error, CSP violation or failed request; each step
leaves a screenshot in test-artifacts/browser-foryou/<width>-<scheme>/ (git-ignored).

The corpus: five topics of their own words (so the test-only HashEncoder puts each in its own
cluster), four papers per topic on each of five listing days, embedded with HashEncoder in the
saved index (the server only reads stored vectors for recommendations, never encodes).
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from paperwire.index.embedded import EmbeddedIndex
from paperwire.index.encoders import HashEncoder
from paperwire.index.manager import embed_index, index_folder, update_index
from paperwire.settings import Settings
from paperwire.store import open_store
from paperwire.store.papers import upsert_records
from tests.support.browserkit import REPO, Tab, free_port, launch_chromium, serving
from tests.support.mailserver import Capture, MailServer, body_text
from tests.support.paperfactory import arxiv_record

pytestmark = [pytest.mark.browser, pytest.mark.network_local]

ARTIFACTS = REPO / "test-artifacts" / "browser-foryou"
SECRET_KEY = "browser-foryou-test-key-0123456789abcdef"
LATEST = date(2026, 7, 1)
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


def _corpus() -> list[Any]:
    rng = random.Random(13)
    out, n = [], 0
    for t, (topic, words) in enumerate(TOPICS.items()):
        for d in range(DAYS):
            for i in range(PER_DAY):
                n += 1
                picked = rng.sample(words.split(), 6)
                abstract = f"we study {' '.join(picked)} and report results."
                day = LATEST - timedelta(days=d)
                if topic == "robot" and d == 0 and i < 2:
                    abstract += f" Our {MARKER} gripper is new."
                out.append(
                    arxiv_record(
                        n,
                        day,
                        title=f"{picked[0].capitalize()} {picked[1]} and {picked[2]} ({n})",
                        abstract=abstract,
                        categories=["cs.LG"],
                    )
                )
        assert t < len(TOPICS)
    return out


def _topic(paper_id: str) -> str:
    n = int(paper_id.split(".")[1])
    return list(TOPICS)[(n - 1) // (DAYS * PER_DAY)]


def _build_home(home: Path) -> None:
    settings = Settings(home=home)
    with open_store(settings) as store:
        upsert_records(store, _corpus())
        index = EmbeddedIndex(index_folder(settings), encoder=HashEncoder(64))
        update_index(store, index)
        embed_index(store, index)
        index.save()


class Site:
    def __init__(self, base: str, home: Path, env: dict[str, str]) -> None:
        self.base, self.home, self.env = base, home, env

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "paperwire", "--home", str(self.home), *args]
        return subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, mail_server: MailServer) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("browser-foryou-home")
    _build_home(home)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    env.update(
        PAPERWIRE_SMTP_HOST="127.0.0.1",
        PAPERWIRE_SMTP_PORT=str(mail_server.port),
        PAPERWIRE_BASE_URL=f"http://127.0.0.1:{port}",
        PAPERWIRE_SECRET_KEY=SECRET_KEY,
        PAPERWIRE_DIGEST_SIZE="50",
    )
    with serving(home, ARTIFACTS / "server.log", env, port=port) as base:
        yield Site(base, home, env)


@contextmanager
def _open(chromium: Any, site: Site, width: int, scheme: str) -> Iterator[Tab]:
    folder = ARTIFACTS / f"{width}-{scheme}"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    context = chromium.new_context(
        viewport={"width": width, "height": 900}, locale="en-GB", color_scheme=scheme
    )
    tab = Tab(context.new_page(), site.base, folder, full_page=True)
    try:
        yield tab
    finally:
        context.close()
    assert not tab.problems, "\n".join(tab.problems)


def _mail_to(mailbox: Capture, email: str, count: int, timeout: float = 30.0) -> Any:
    """The `count`-th message to `email`, waiting for it."""
    import time

    deadline = time.monotonic() + timeout
    while len(mailbox.to(email)) < count:
        assert time.monotonic() < deadline, [str(m["To"]) for m in mailbox.messages]
        time.sleep(0.1)
    return mailbox.to(email)[count - 1]


def _listed(page: Any) -> list[str]:
    return [s.strip() for s in page.locator("ol.papers > li span.id").all_inner_texts()]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
def test_onboarding_for_you_and_an_exclude_rule_down_to_the_digest(
    chromium: Any, site: Site, mailbox: Capture, width: int, scheme: str
) -> None:
    email = f"reader-{width}-{scheme}@example.org"
    day = f"/day/{LATEST.isoformat()}"
    with _open(chromium, site, width, scheme) as tab:
        page = tab.page
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (
            scheme == "dark"
        )

        # 1. Sign in with the mailed link.
        tab.goto("/signin")
        page.locator("#email").fill(email)
        tab.click_and_wait(page.locator("form.account button[type=submit]"))
        link = re.search(
            re.escape(site.base) + r"/signin/verify\?token=[^\s<>\"']+",
            body_text(_mail_to(mailbox, email, 1)),
        )
        assert link
        tab.goto(link.group(0))
        assert page.locator('nav.account a[href="/account"]').inner_text().strip() == email

        # 2. The day in listing order; "for you" without likes offers the onboarding.
        tab.goto(f"{day}?order=all")
        listing_order = _listed(page)
        assert len(listing_order) == 5 * PER_DAY and listing_order == sorted(listing_order)
        tab.click_and_wait(page.locator("nav.orders a", has_text="For you"))
        assert page.locator("nav.orders a[aria-current=true]").inner_text() == "For you"
        assert page.locator("p.reason").count() == 0
        tab.shot("01-for-you-before")
        tab.click_and_wait(page.locator("p.onboarding a"))
        assert tab.path() == "/for-you/start"
        tab.shot("02-onboarding")

        # 3. Paste three arXiv ids: the list comes back ordered for the reader, with reasons.
        page.locator("#seed-ids").fill("\n".join(LIKED))
        tab.click_and_wait(page.locator("form.onboarding button[type=submit]"))
        assert tab.path() == "/?order=foryou"
        tab.goto(day)  # the cookie keeps "for you"
        ordered = _listed(page)
        assert sorted(ordered) == listing_order and ordered != listing_order
        assert {_topic(i) for i in ordered[:PER_DAY]} == {"quantum"}
        reasons = page.locator("ol.papers > li p.reason").all_inner_texts()
        assert len(reasons) == len(ordered) and all(
            r.startswith("Why: close to “") for r in reasons
        )
        tab.shot("03-for-you-ordered")

        # 4. An exclude rule hides the matching papers, and the list says so.
        tab.click_and_wait(page.locator(".filters a", has_text="Keyword rules"))
        assert tab.path() == "/account/filters"
        page.locator("#rule-kind").select_option("exclude")
        page.locator("#rule-keyword").fill(MARKER.upper())
        tab.click_and_wait(page.locator("form.rule button[type=submit]"))
        assert page.locator("ul.rules code").all_inner_texts() == [MARKER]
        tab.shot("04-rule-saved")
        tab.goto(day)
        shown = _listed(page)
        assert len(shown) == len(listing_order) - 2
        assert MARKER not in page.locator("main").inner_text().lower()
        assert page.locator(".filters .rules").inner_text().startswith("2 hidden by")
        tab.shot("05-rule-applied")

        # 5. Subscribe to trending; the digest sent by the CLI leaves the same papers out.
        tab.goto("/account/subscriptions")
        tab.click_and_wait(page.locator("button", has_text="Subscribe to trending papers"))
        sent = site.cli("digest", "send", "--date", LATEST.isoformat())
        assert sent.returncode == 0, sent.stdout + sent.stderr
        digest = _mail_to(mailbox, email, 2)
        html = body_text(digest, "html")
        mailed = [
            str(a.get("href")).removeprefix(f"{site.base}/paper/")
            for a in lxml_html.fromstring(html).iter("a")
            if str(a.get("href", "")).startswith(f"{site.base}/paper/")
        ]
        hidden = set(listing_order) - set(shown)
        assert len(hidden) == 2 and not hidden & set(mailed)
        assert set(shown) <= set(mailed)  # the rest of the day is there
        assert MARKER not in body_text(digest).lower()
        tab.goto(f"{day}?rules=off")  # and the rule can be set aside on the list
        assert len(_listed(page)) == len(listing_order)
        tab.shot("06-rules-off")
