"""Behind a reverse proxy: X-Forwarded-For/-Proto are honoured from PAPERWIRE_TRUSTED_PROXIES
only. A real `paperwire serve` process trusts 127.0.0.1, where a reverse proxy process
(tests/support/revproxy.py) connects from; clients connect from other loopback addresses (127.0.0.2,
...), so a client talking to the server directly is an untrusted address that may spoof."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from paperwire.errors import ConfigError
from paperwire.settings import Settings
from paperwire.web.app import create_app
from paperwire.web.proxy import parse_networks, real_client
from tests.support.browserkit import free_port, serving

REPO = Path(__file__).resolve().parents[2]
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("proxyhome")
    env = os.environ | {"PAPERWIRE_TRUSTED_PROXIES": "127.0.0.1", "PAPERWIRE_SMTP_PORT": "9"}
    with serving(home, home / "serve.log", env) as base:
        yield base


@pytest.fixture(scope="module")
def proxy(server: str) -> Iterator[str]:
    port = free_port()
    upstream = server.rsplit(":", 1)[1]
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "support" / "revproxy.py"), str(port), upstream],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def client_from(address: str) -> httpx.Client:
    """A client whose connections come from `address` (any 127.x.y.z is loopback on Linux)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


def signin_posts(client: httpx.Client, base: str, count: int, **headers: str) -> list[int]:
    """`count` sign-in requests for distinct addresses; their status codes."""
    page = client.get(f"{base}/signin", headers=headers)
    token = TOKEN.search(page.text)
    assert token, page.text[:500]
    # Sent by hand: behind the https proxy the cookie is Secure, and this client speaks http.
    nonce = page.cookies.get("pw_csrf") or client.cookies.get("pw_csrf")
    cookie = {"Cookie": f"pw_csrf={nonce}"}
    statuses = []
    for i in range(count):
        answer = client.post(
            f"{base}/signin",
            data={"email": f"p{i}-{os.urandom(4).hex()}@example.org", "csrf_token": token[1]},
            headers=headers | cookie,
        )
        statuses.append(answer.status_code)
    return statuses


def test_rate_limits_key_on_the_client_behind_the_proxy(proxy: str) -> None:
    """Five sign-in posts per address per window: a client that sends its own X-Forwarded-For
    through the proxy still counts as itself, and another client behind the same proxy is not
    held up by it."""
    with client_from("127.0.0.3") as a:
        spoofs = [
            signin_posts(a, proxy, 1, **{"X-Forwarded-For": f"10.9.9.{i}"})[0] for i in range(5)
        ]
        assert spoofs == [200] * 5
        assert signin_posts(a, proxy, 1, **{"X-Forwarded-For": "10.9.9.99"}) == [429]
    with client_from("127.0.0.4") as b:
        assert signin_posts(b, proxy, 1) == [200]


def test_headers_from_an_untrusted_address_are_ignored(server: str) -> None:
    """Talking to the server directly from 127.0.0.2 (not a trusted proxy): a new spoofed
    X-Forwarded-For per request does not escape the limit, and X-Forwarded-Proto: https makes
    neither Secure cookies nor https links."""
    with client_from("127.0.0.2") as c:
        statuses = [
            signin_posts(c, server, 1, **{"X-Forwarded-For": f"10.1.1.{i}"})[0] for i in range(6)
        ]
        assert statuses == [200] * 5 + [429]
    with client_from("127.0.0.2") as c:
        page = c.get(f"{server}/signin", headers={"X-Forwarded-Proto": "https"})
        assert "secure" not in page.headers["set-cookie"].lower()
        feed = c.get(f"{server}/feed.atom", headers={"X-Forwarded-Proto": "https"})
        assert 'href="http://127.0.0.1:' in feed.text and "https://127.0.0.1" not in feed.text


def test_the_proxys_https_scheme_makes_secure_cookies_and_https_links(proxy: str) -> None:
    with client_from("127.0.0.5") as c:
        page = c.get(f"{proxy}/signin")
        cookie = page.headers["set-cookie"]
        assert cookie.startswith("pw_csrf=") and "; Secure" in cookie
        feed = c.get(f"{proxy}/feed.atom")
        assert feed.status_code == 200
        assert 'href="https://127.0.0.1:' in feed.text and 'href="http://' not in feed.text


def test_nothing_is_trusted_by_default(tmp_path: Path) -> None:
    """Default settings: X-Forwarded-For from loopback is not trusted, so two 'clients' that
    only differ in that header share one limit."""
    settings = Settings(home=tmp_path, smtp_port=9)
    with TestClient(create_app(settings), client=("127.0.0.1", 5000)) as c:
        token = TOKEN.search(c.get("/signin").text)
        assert token
        codes = [
            c.post(
                "/signin",
                data={"email": f"d{i}@example.org", "csrf_token": token[1]},
                headers={"X-Forwarded-For": f"10.2.2.{i}", "X-Forwarded-Proto": "https"},
            ).status_code
            for i in range(6)
        ]
        assert codes == [200] * 5 + [429]


def test_forwarded_for_walks_past_trusted_hops_only() -> None:
    nets = parse_networks("127.0.0.1, 10.0.0.0/8")
    # client, then two of our proxies: the client
    assert real_client("127.0.0.1", ["203.0.113.7", "10.1.2.3"], nets) == "203.0.113.7"
    # whatever the client wrote to the left of the address our proxy saw is ignored
    assert real_client("127.0.0.1", ["1.1.1.1", "203.0.113.7"], nets) == "203.0.113.7"
    # garbage stops the walk at the last hop we could read
    assert real_client("127.0.0.1", ["junk", "10.1.2.3"], nets) == "10.1.2.3"
    assert real_client("127.0.0.1", ["[2001:db8::1]:443"], nets) == "2001:db8::1"


def test_a_bad_trusted_proxies_entry_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'10\.0\.0\.300' is not an IP address or CIDR"):
        create_app(Settings(home=tmp_path, trusted_proxies="127.0.0.1, 10.0.0.300"))
