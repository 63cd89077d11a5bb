"""arXiv's OAI-PMH interface as sources: a live ListRecords harvest and the oai_dc JSON dumps.

OAI-PMH pages are chained by resumptionTokens. A harvest checkpoints the token of the page each
record came from, so an interrupted run asks for that page again (re-yielding at most one page).
arXiv's tokens expire after a while, which is why an old checkpoint can fail with
`badResumptionToken` and the harvest then has to start over.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

from lxml import etree

from paperwire.errors import SourceError
from paperwire.ingest.base import Cursor
from paperwire.ingest.http import PoliteClient
from paperwire.ingest.lines import skip_blank
from paperwire.ingest.oai_parse import HARVEST_SOURCE, OAI_NS, parse_record, record_from_dc
from paperwire.records import MAX_RECORD_BYTES, Item, Rejected, decode_utf8

log = logging.getLogger(__name__)

DUMP_SOURCE = "arxiv-oai-dump"


class OaiProtocolError(SourceError):
    """An OAI-PMH `<error code=...>` answer."""

    def __init__(self, url: str, code: str, message: str) -> None:
        super().__init__(f"{url}: OAI-PMH error {code}: {message}")
        self.code = code
        self.oai_message = message


@dataclass(slots=True)
class OaiPage:
    """One parsed response: its records and where the list goes on."""

    items: list[Item] = field(default_factory=list)
    token: str | None = None  # the next page's resumptionToken; None on the last page
    cursor: int | None = None  # records the server handed out before this page
    size: int | None = None  # completeListSize


# --- responses -------------------------------------------------------------------------------


def _parse_xml(content: bytes, url: str, status: int) -> Any:
    # No entity expansion, no DTD or network fetches: the body comes from a remote server.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        if status != 200:
            raise SourceError(f"{url}: HTTP {status}") from exc
        raise SourceError(f"{url}: response is not well-formed XML ({exc})") from exc


def _int_attr(el: Any, name: str) -> int | None:
    value = (el.get(name) or "").strip()
    return int(value) if value.isdigit() else None


def _check_errors(root: Any, url: str) -> bool:
    """False when the answer is `noRecordsMatch` (an empty list); raises on any other error."""
    errors = root.findall(f"{{{OAI_NS}}}error")
    if not errors:
        return True
    codes = [e.get("code") or "unknown" for e in errors]
    if all(c == "noRecordsMatch" for c in codes):
        return False
    first = next(e for e, c in zip(errors, codes, strict=True) if c != "noRecordsMatch")
    raise OaiProtocolError(
        url, first.get("code") or "unknown", " ".join((first.text or "").split())
    )


def parse_response(
    content: bytes, url: str, *, status: int = 200, source: str = HARVEST_SOURCE
) -> OaiPage:
    """A ListRecords or GetRecord response; the whole body is parsed before anything is used."""
    root = _parse_xml(content, url, status)
    if root.tag != f"{{{OAI_NS}}}OAI-PMH":
        raise SourceError(f"{url}: not an OAI-PMH response (root element {root.tag})")
    if not _check_errors(root, url):
        return OaiPage()
    if status != 200:
        raise SourceError(f"{url}: HTTP {status}")
    body = root.find(f"{{{OAI_NS}}}ListRecords")
    if body is None:
        body = root.find(f"{{{OAI_NS}}}GetRecord")
    if body is None:
        raise SourceError(f"{url}: OAI-PMH response without ListRecords or GetRecord")
    page = OaiPage()
    for el in body.iterfind(f"{{{OAI_NS}}}record"):
        item = parse_record(el, source=source)
        if item is not None:
            page.items.append(item)
    token = body.find(f"{{{OAI_NS}}}resumptionToken")
    if token is not None:
        page.token = (token.text or "").strip() or None
        page.cursor = _int_attr(token, "cursor")
        page.size = _int_attr(token, "completeListSize")
    return page


# --- the live harvest ------------------------------------------------------------------------


class OaiHarvest:
    """`verb=ListRecords` over an OAI-PMH endpoint, following resumptionTokens to the end."""

    name = HARVEST_SOURCE

    def __init__(
        self,
        *,
        base_url: str,
        metadata_prefix: str = "arXivRaw",
        set_spec: str | None = None,
        from_date: date | None = None,
        until: date | None = None,
        client: PoliteClient,
    ) -> None:
        self.base_url = base_url
        self.metadata_prefix = metadata_prefix
        self.set_spec = set_spec
        self.from_date = from_date
        self.until = until
        self.client = client
        self._total: int | None = None

    def first_params(self) -> dict[str, str]:
        """The query of the first request; later pages send only the token (OAI-PMH rule)."""
        params = {"verb": "ListRecords", "metadataPrefix": self.metadata_prefix}
        if self.set_spec:
            params["set"] = self.set_spec
        if self.from_date:
            params["from"] = self.from_date.isoformat()
        if self.until:
            params["until"] = self.until.isoformat()
        return params

    @property
    def key(self) -> str:
        return f"{self.name}:{self.base_url}?{urlencode(self.first_params())}"

    @property
    def total(self) -> int | None:
        """completeListSize as the server last stated it; None until a page says so."""
        return self._total

    def _fetch(self, token: str | None) -> OaiPage:
        params = {"verb": "ListRecords", "resumptionToken": token} if token else self.first_params()
        resp = self.client.get(self.base_url, params=params)
        url = str(resp.url)
        try:
            return parse_response(resp.content, url, status=resp.status_code, source=self.name)
        except OaiProtocolError as exc:
            if exc.code == "badResumptionToken":
                raise SourceError(
                    f"{url}: the server no longer accepts resumptionToken {token!r} (tokens "
                    "expire); restart the harvest from the beginning with --restart"
                ) from exc
            raise

    def items(self, resume: dict[str, Any] | None = None) -> Iterator[tuple[Item, Cursor]]:
        token = (resume or {}).get("token")
        if token is not None and not isinstance(token, str):
            raise SourceError(f"{self.key}: checkpoint token {token!r} is not a string")
        done, guard = 0, _EndlessGuard(self.base_url, token)
        while True:
            page = self._fetch(token)
            if page.size is not None:
                self._total = page.size
            start = page.cursor if page.cursor is not None else done
            for i, item in enumerate(page.items):
                done = max(done, start + i + 1)
                yield item, Cursor(state={"token": token}, done=done)
            if not page.token:
                return
            guard.check(page, page.token)
            token = page.token


MAX_EMPTY_PAGES = 100  # pages in a row without a record before a harvest counts as endless
EXTRA_PAGES = 100  # pages beyond completeListSize (one record a page at least) allowed


class _EndlessGuard:
    """Stops a harvest whose server never ends it: a token seen before in this run (A→B→A), a
    cursor past completeListSize, more pages than the list can fill, or only empty pages."""

    def __init__(self, url: str, first: str | None) -> None:
        self.url = url
        self.seen: set[str] = {first} if first else set()
        self.pages = self.empty = 0

    def check(self, page: OaiPage, token: str) -> None:
        self.pages += 1
        self.empty = 0 if page.items else self.empty + 1
        if token in self.seen:
            self._fail(f"handed out resumptionToken {token!r} again (the tokens cycle)")
        self.seen.add(token)
        if page.size is not None and page.cursor is not None and page.cursor > page.size:
            self._fail(f"cursor {page.cursor} is past completeListSize {page.size}")
        if page.size is not None and self.pages > page.size + EXTRA_PAGES:
            self._fail(f"{self.pages} pages for a list of {page.size} records")
        if self.empty > MAX_EMPTY_PAGES:
            self._fail(f"{self.empty} pages in a row without a record")

    def _fail(self, what: str) -> None:
        raise SourceError(f"{self.url}: the server {what}; stopped the harvest")


# --- the oai_dc JSON dumps -------------------------------------------------------------------


def parse_dump_line(raw: bytes, origin: str) -> Item | None:
    """One `[arxiv_id, {oai_dc fields}]` line; None for a blank line."""
    text = decode_utf8(raw, origin)
    if isinstance(text, Rejected):
        return text
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return Rejected(origin, f"invalid JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return Rejected(origin, "invalid JSON: nested too deeply")
    ok = isinstance(data, list) and len(data) == 2
    if not (ok and isinstance(data[0], str) and isinstance(data[1], dict)):
        return Rejected(origin, "expected a JSON array [arxiv_id, {oai_dc fields}]")
    return record_from_dc(data[1], origin=origin, source=DUMP_SOURCE, arxiv_id=data[0])


def _bounded_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """(number, line) of the non-blank lines, each cut at MAX_RECORD_BYTES + 1 so one endless
    line cannot fill memory; runs of blank lines are skipped a buffer at a time."""
    number = 0
    while True:
        number += skip_blank(stream)
        line = stream.readline(MAX_RECORD_BYTES + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_RECORD_BYTES and not line.endswith(b"\n"):
            while (rest := stream.readline(MAX_RECORD_BYTES)) and not rest.endswith(b"\n"):
                pass
        yield number, line  # still too long: decode_utf8 rejects it by size


class OaiDump:
    """Per-day files of `[id, oai_dc]` JSON lines (gzipped or plain), in file-name order."""

    name = DUMP_SOURCE

    def __init__(self, paths: list[Path]) -> None:
        self.paths = sorted(Path(p) for p in paths)
        self._sizes: list[int] = []
        for path in self.paths:
            try:
                self._sizes.append(path.stat().st_size)
            except OSError as exc:
                raise SourceError(f"{path}: {exc.strerror or exc}") from exc

    @property
    def key(self) -> str:
        names = "\n".join(str(p.resolve()) for p in self.paths)
        digest = hashlib.sha256(names.encode()).hexdigest()[:16]
        return f"{self.name}:{len(self.paths)} files:{digest}"

    @property
    def total(self) -> int:
        """Bytes on disk (compressed where gzipped); `Cursor.done` counts the same."""
        return sum(self._sizes)

    def _resume_point(self, resume: dict[str, Any] | None) -> tuple[int, int]:
        """(index of the file, last line handed out); (0, 0) to start at the beginning."""
        if not resume:
            return 0, 0
        file, line = resume.get("file"), resume.get("line")
        if isinstance(file, str) and isinstance(line, int):
            wanted = Path(file).resolve()
            for index, path in enumerate(self.paths):
                if str(path) == file or path.resolve() == wanted:
                    return index, line
        # Starting over re-yields records, which upserts absorb; guessing could skip some.
        log.warning("%s: checkpoint %r matches no file; reading from the start", self.key, resume)
        return 0, 0

    def items(self, resume: dict[str, Any] | None = None) -> Iterator[tuple[Item, Cursor]]:
        start, skip = self._resume_point(resume)
        base = sum(self._sizes[:start])
        for index in range(start, len(self.paths)):
            yield from self._file_items(index, skip if index == start else 0, base)
            base += self._sizes[index]

    def _file_items(self, index: int, skip: int, base: int) -> Iterator[tuple[Item, Cursor]]:
        path, size = self.paths[index], self._sizes[index]
        try:
            raw = path.open("rb")
        except OSError as exc:
            raise SourceError(f"{path}: {exc.strerror or exc}") from exc
        n = 0
        stream: IO[bytes] = (
            gzip.GzipFile(fileobj=raw) if path.suffix == ".gz" else raw  # type: ignore[assignment]
        )
        with raw, stream:
            try:
                for n, line in _bounded_lines(stream):
                    if n <= skip:
                        continue
                    item = parse_dump_line(line, f"{path.name}:{n}")
                    if item is not None:
                        done = base + min(raw.tell(), size)
                        yield item, Cursor(state={"file": str(path), "line": n}, done=done)
            except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
                raise SourceError(f"{path}: cannot read past line {n}: {exc}") from exc
