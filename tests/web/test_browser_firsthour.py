"""A new user's first hour, in Debian's chromium against a real `paperwire serve` over the demo
corpus with NO mail server configured: signing in through the link that the console mailer
writes under the data home, the header's layout at 1280 px and on a phone, and the `/` key.
Screenshots in test-artifacts/firsthour/."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from paperwire.digest.filemail import newest_mail_to
from paperwire.settings import Settings
from tests.support.browserkit import (
    Tab,
    artifacts_dir,
    build_demo_home,
    free_port,
    launch_chromium,
    open_tab,
    serving,
)
from tests.support.mailserver import body_text

pytestmark = [pytest.mark.browser, pytest.mark.network_local]
EMAIL = "newcomer@example.org"


@pytest.fixture(scope="module")
def artifacts() -> Path:
    return artifacts_dir("firsthour")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[tuple[str, Path]]:
    home = tmp_path_factory.mktemp("firsthour-home")
    build_demo_home(home)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    env["PAPERWIRE_BASE_URL"] = f"http://127.0.0.1:{port}"  # no PAPERWIRE_SMTP_HOST at all
    with serving(home, artifacts / "server.log", env, port=port) as base:
        yield base, home


@pytest.fixture
def tab(chromium: Any, site: tuple[str, Path], artifacts: Path) -> Iterator[Tab]:
    with open_tab(chromium, site[0], artifacts) as opened:
        yield opened


def test_sign_in_through_the_console_mailer(
    tab: Tab, site: tuple[str, Path], artifacts: Path
) -> None:
    base, home = site
    page = tab.page
    tab.goto("/signin")
    page.locator("#email").fill(EMAIL)
    tab.click_and_wait(page.locator("form.account button[type=submit]"))
    tab.shot("01-signin-no-mail-server")
    assert tab.h1() == "Your sign-in link"
    status = page.locator("main [role=status]").inner_text()
    assert "no mail server" in status and str(home / "mail") in status
    assert "inbox" not in page.locator("main").inner_text().lower()
    assert "/signin/verify" not in page.content()  # the page never shows the link itself
    mail = newest_mail_to(Settings(home=home), EMAIL)
    assert mail is not None
    assert f"mail to {EMAIL}" in (artifacts / "server.log").read_text()
    link = re.search(re.escape(base) + r"/signin/verify\?token=[^\s<>\"']+", body_text(mail))
    assert link, body_text(mail)
    tab.goto(link.group(0))
    tab.shot("02-signed-in")
    assert page.locator('nav.account a[href="/account"]').inner_text().strip() == EMAIL


def _login_link(site: tuple[str, Path]) -> str:
    base, home = site
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    env["PAPERWIRE_BASE_URL"] = base
    result = subprocess.run(
        [sys.executable, "-m", "paperwire", "--home", str(home), "users", "login-link", EMAIL],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_login_link_from_the_command_line(tab: Tab, site: tuple[str, Path]) -> None:
    base, _home = site
    link = _login_link(site)
    assert link.startswith(f"{base}/signin/verify?token=")
    tab.goto(link)
    assert tab.page.locator('nav.account a[href="/account"]').inner_text().strip() == EMAIL
    again = httpx.get(link, follow_redirects=False, timeout=10)  # the link works once
    assert again.status_code == 400 and "set-cookie" not in again.headers


def _header_height(tab: Tab) -> float:
    box = tab.page.locator("header.site").bounding_box()
    assert box is not None
    return float(box["height"])


def test_header_is_one_row_at_1280_and_compact_on_a_phone(tab: Tab, site: tuple[str, Path]) -> None:
    page = tab.page
    tab.goto(_login_link(site))  # signed in: the header's longest form
    tops = page.evaluate(
        "[...document.querySelectorAll('header.site li')].map(e => e.getBoundingClientRect().top)"
    )
    assert len(tops) >= 10 and max(tops) - min(tops) < 8, tops  # every link on one row
    right = page.evaluate(
        "Math.max(...[...document.querySelectorAll('header.site li, header.site form')]"
        ".map(e => e.getBoundingClientRect().right))"
    )
    assert right <= 1280, right  # and none pushed off the screen
    tab.shot("03-header-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    tab.goto("/")
    tab.shot("04-header-phone")
    assert _header_height(tab) < 844 / 6, _header_height(tab)  # not a third of the screen


def test_slash_focuses_search(tab: Tab) -> None:
    page = tab.page
    tab.goto("/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement && document.activeElement.id") == "site-q"
    page.keyboard.type("diffusion")  # the "/" itself was not typed into the box
    assert page.locator("#site-q").input_value() == "diffusion"
    tab.goto("/search")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
