"""A polite HTTP client for the remote sources: one request per interval, Retry-After honoured."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from paperwire.errors import SourceError

log = logging.getLogger(__name__)

USER_AGENT = "paperwire/0.1 (+https://github.com/paperwire/paperwire)"
MAX_RESPONSE_BYTES = 100_000_000


class PoliteClient:
    """GET with a minimum interval between requests (arXiv asks for 3 s), retries on 503/5xx
    honouring Retry-After, and exponential backoff on connection errors."""

    def __init__(
        self,
        *,
        min_interval: float = 3.0,
        max_retries: int = 5,
        timeout: float = 60.0,
        user_agent: str = USER_AGENT,
        max_retry_after: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.min_interval = min_interval
        self.max_retries = max_retries
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        self._last = 0.0
        self._client = httpx.Client(
            timeout=timeout, headers={"User-Agent": user_agent}, follow_redirects=True
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wait_turn(self) -> None:
        gap = time.monotonic() - self._last
        if self._last and gap < self.min_interval:
            self._sleep(self.min_interval - gap)

    def get(self, url: str, params: Mapping[str, str] | None = None) -> httpx.Response:
        """The response of a successful GET; SourceError after the retries are spent."""
        delay = max(self.min_interval, 1.0)
        for attempt in range(self.max_retries + 1):
            self._wait_turn()
            self._last = time.monotonic()
            try:
                resp = self._client.get(url, params=params)
            except httpx.HTTPError as exc:
                if _name_not_resolved(exc):  # retrying cannot help: fail now, with a hint
                    raise SourceError(unresolved_message(url)) from exc
                if attempt == self.max_retries:
                    raise SourceError(f"{url}: {exc}") from exc
                log.warning("%s: %s; retrying in %.0f s", url, exc, delay)
                self._sleep(delay)
                delay *= 2
                continue
            if resp.status_code in (429, 500, 502, 503, 504) and attempt < self.max_retries:
                wait = retry_after(resp.headers.get("Retry-After")) or delay
                wait = min(wait, self.max_retry_after)
                log.warning("%s: HTTP %s; retrying in %.0f s", url, resp.status_code, wait)
                self._sleep(wait)
                delay *= 2
                continue
            if len(resp.content) > MAX_RESPONSE_BYTES:
                raise SourceError(f"{url}: response of {len(resp.content):,} bytes is too large")
            return resp
        raise SourceError(f"{url}: no answer after {self.max_retries} retries")


def _name_not_resolved(exc: BaseException) -> bool:
    """A DNS failure (socket.gaierror somewhere in the chain): the host does not resolve, which
    a retry seconds later will not change (no network, or a mistyped URL)."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, socket.gaierror):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def unresolved_message(url: str) -> str:
    host = urlsplit(url).hostname or url
    return (
        f"cannot resolve the host {host!r} of {url}: check that this machine can reach the "
        "network (DNS), or the source's URL setting (PAPERWIRE_OAI_URL, PAPERWIRE_ARXIV_API_URL, "
        "PAPERWIRE_ARXIV_RSS_URL or PAPERWIRE_HF_DAILY_URL)"
    )


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
