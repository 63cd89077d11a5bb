"""What the browser tests share: Debian's chromium under Playwright, a real `paperwire serve`
process over the demo corpus, and a Tab that records console errors, CSP violations, uncaught
exceptions and failed requests and takes numbered screenshots.

Without chromium or the playwright package the browser tests skip, unless
PAPERWIRE_REQUIRE_BROWSER=1 (scripts/test.sh sets it) makes that a failure. Playwright's own
browser downloads are never used: the browser is /usr/bin/chromium (`apt-get install chromium`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_plus, urlsplit

import httpx
import pytest

from paperwire.demo import build_demo
from paperwire.index.manager import open_index, update_index
from paperwire.settings import Settings
from paperwire.store import open_store

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("PAPERWIRE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 20_000


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def artifacts_dir(name: str) -> Path:
    """test-artifacts/<name>/ (git-ignored), emptied of the last run's screenshots."""
    folder = REPO / "test-artifacts" / name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


def launch_chromium() -> Iterator[Any]:
    """Debian's chromium, headless (the body of a `chromium` fixture): skips when it or
    playwright is missing."""
    reason = missing_browser()
    if reason:
        if os.environ.get("PAPERWIRE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"PAPERWIRE_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def build_demo_home(home: Path) -> None:
    """The demo corpus, stored and indexed, in the data home `home`."""
    settings = Settings(home=home)
    with open_store(settings) as store:
        build_demo(store)
        update_index(store, open_index(settings))


@contextmanager
def serving(
    home: Path, log_path: Path, env: dict[str, str] | None = None, *, port: int = 0
) -> Iterator[str]:
    """`paperwire serve` over `home` in its own process (output in `log_path`, environment
    `env`, on `port` or a free one); yields the base URL once /api/v1/status answers, stops
    the server afterwards."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "paperwire", "--home", str(home), "serve", "--no-index-update"]
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [*cmd, "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/api/v1/status", timeout=2).raise_for_status()
                break
            except httpx.TransportError:
                assert proc.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "the server did not start in 60 s"
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


class Tab:
    """A browser page on the site that records console errors, uncaught exceptions and failed
    requests (a CSP violation is a console error), and takes numbered screenshots."""

    def __init__(self, page: Any, base: str, artifacts: Path, *, full_page: bool = False) -> None:
        self.page, self.base, self.artifacts = page, base, artifacts
        self.full_page = full_page
        self.problems: list[str] = []
        page.set_default_timeout(TIMEOUT_MS)
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.problems.append(f"page error on {page.url}: {e}"))
        page.on("requestfailed", self._request_failed)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console on {self.page.url}: {message.text}")

    def _request_failed(self, request: Any) -> None:
        if request.failure != "net::ERR_ABORTED":  # htmx cancelling a superseded request
            self.problems.append(f"request failed: {request.url} ({request.failure})")

    def goto(self, url: str) -> None:
        """Open a path of the site, or a full URL (a link from a mail)."""
        response = self.page.goto(url if "://" in url else self.base + url)
        assert response is not None and response.status == 200, (url, response)

    def path(self) -> str:
        parts = urlsplit(self.page.url)
        return unquote(parts.path) + (f"?{unquote_plus(parts.query)}" if parts.query else "")

    def click_and_wait(self, locator: Any) -> None:
        """Click a link or a form's button and wait until the next page has loaded."""
        with self.page.expect_navigation(wait_until="load"):
            locator.click()

    def h1(self) -> str:
        return str(self.page.locator("h1").first.inner_text()).strip()

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.artifacts / f"{name}.png"), full_page=self.full_page)


@contextmanager
def open_tab(
    chromium: Any, base: str, artifacts: Path, *, full_page: bool = False
) -> Iterator[Tab]:
    """A fresh browser context and page; on leaving, fails on any problem the tab recorded."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    opened = Tab(context.new_page(), base, artifacts, full_page=full_page)
    try:
        yield opened
    finally:
        context.close()
    assert not opened.problems, "\n".join(opened.problems)


# --- what the walks share: the site's CLI, signing in by mail, the page checks ---------------

BACKGROUNDS = {"light": "rgb(255, 255, 255)", "dark": "rgb(18, 18, 18)"}  # style.css: --bg


class CliSite:
    """A running server: its address, data home, and the environment (SMTP, base URL, key)
    that the `paperwire` CLI needs to act on the same site."""

    def __init__(self, base: str, home: Path, env: dict[str, str]) -> None:
        self.base, self.home, self.env = base, home, env

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "paperwire", "--home", str(self.home), *args]
        return subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=120)


def site_env(port: int, smtp_port: int, key: str, **more: str) -> dict[str, str]:
    """The server's (and its CLI's) environment: this machine's without PAPERWIRE_*, mail to
    the test SMTP server, links to 127.0.0.1:port, a fixed signing key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    env.update(
        PAPERWIRE_SMTP_HOST="127.0.0.1",
        PAPERWIRE_SMTP_PORT=str(smtp_port),
        PAPERWIRE_BASE_URL=f"http://127.0.0.1:{port}",
        PAPERWIRE_SECRET_KEY=key,
        **{f"PAPERWIRE_{k.upper()}": v for k, v in more.items()},
    )
    return env


def mail_to(mailbox: Any, email: str, count: int, timeout: float = 30.0) -> Any:
    """The `count`-th message to `email`, waiting for it."""
    deadline = time.monotonic() + timeout
    while len(mailbox.to(email)) < count:
        assert time.monotonic() < deadline, [str(m["To"]) for m in mailbox.messages]
        time.sleep(0.1)
    return mailbox.to(email)[count - 1]


def sign_in_by_mail(tab: Tab, mailbox: Any, email: str, *, mails_before: int = 0) -> None:
    """Ask /signin for a link, open the link mailed to `email`: signed in (the nav says so)."""
    import re

    from tests.support.mailserver import body_text

    page = tab.page
    tab.goto("/signin")
    page.locator("#email").fill(email)
    tab.click_and_wait(page.locator("form.account button[type=submit]"))
    text = body_text(mail_to(mailbox, email, mails_before + 1))
    link = re.search(re.escape(tab.base) + r"/signin/verify\?token=[^\s<>\"']+", text)
    assert link, text
    tab.goto(link.group(0))
    assert page.locator('nav.account a[href="/account"]').inner_text().strip() == email


def page_fits(tab: Tab) -> None:
    """No sideways scrolling: the document is no wider than the window."""
    width = tab.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{tab.path()}: {width[0]} px wide in a {width[1]} px window"


class SchemeTab(Tab):
    """A Tab in one colour scheme that checks every page it loads: it fits the window and
    has the scheme's background."""

    def __init__(self, page: Any, base: str, artifacts: Path, scheme: str) -> None:
        super().__init__(page, base, artifacts, full_page=True)
        self.scheme = scheme
        self.checked: list[str] = []

    def check(self) -> None:
        page_fits(self)
        background = self.page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == BACKGROUNDS[self.scheme], (self.path(), self.scheme, background)
        self.checked.append(self.path())

    def goto(self, url: str) -> None:
        super().goto(url)
        self.check()

    def click_and_wait(self, locator: Any) -> None:
        super().click_and_wait(locator)
        self.check()


@contextmanager
def scheme_tab(
    chromium: Any, base: str, artifacts: Path, *, width: int, scheme: str
) -> Iterator[SchemeTab]:
    """A fresh context `width` px wide in `scheme` (Playwright's color_scheme); on leaving,
    fails on any problem the tab recorded."""
    context = chromium.new_context(
        viewport={"width": width, "height": 900}, locale="en-GB", color_scheme=scheme
    )
    opened = SchemeTab(context.new_page(), base, artifacts, scheme)
    try:
        yield opened
    finally:
        context.close()
    assert not opened.problems, "\n".join(opened.problems)
