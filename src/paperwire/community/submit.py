"""Submitting a paper by arXiv id or URL: found in the store, or fetched from the arXiv API
(`settings.arxiv_api_url`), stored, and counted as the submitter's upvote.

Data flows as everywhere else: source (ArxivApiQuery) -> store (upsert_records). The web
process writes no index: the stored paper is a store change like any ingest's, which the index
follower (`paperwire worker`, or `paperwire serve`'s main process with the embedded index)
applies within `index_poll_interval` seconds; the web processes then reload the index. A source
error leaves nothing written.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from paperwire.errors import BadRequest, NotFound
from paperwire.ingest.arxiv_api import ArxivApiQuery
from paperwire.ingest.http import PoliteClient
from paperwire.records import PaperRecord, Rejected, parse_arxiv_id
from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store.papers import find_paper, upsert_records
from paperwire.store.submissions import record_submission

log = logging.getLogger(__name__)
MAX_INPUT = 300
EXAMPLES = "2503.11731, 2503.11731v2, hep-th/9901001 or https://arxiv.org/abs/2503.11731"
_HOSTS = re.compile(r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(abs|pdf)/", re.IGNORECASE)


@dataclass(frozen=True)
class Submitted:
    paper_id: str
    fetched: bool  # True when the paper was new to the store
    new_submission: bool  # False when this user had submitted it before


def parse_submission(text: str | None) -> str:
    """The unversioned arXiv id in an id or an arXiv abs/pdf URL; BadRequest for the rest."""
    raw = (text or "").strip()
    if not raw:
        raise BadRequest(f"give an arXiv id or URL, e.g. {EXAMPLES}")
    if len(raw) > MAX_INPUT:
        raise BadRequest(f"that is too long for an arXiv id or URL (at most {MAX_INPUT} chars)")
    candidate = raw
    match = _HOSTS.match(raw)
    if match:
        path = re.split(r"[?#]", raw[match.end() :], maxsplit=1)[0].rstrip("/")
        candidate = f"https://arxiv.org/{match.group(1).lower()}/{path}"
    elif re.match(r"^[a-z][a-z0-9+.-]*://", raw, re.IGNORECASE):
        raise BadRequest(f"only arxiv.org abs or pdf links can be submitted, e.g. {EXAMPLES}")
    parsed = parse_arxiv_id(candidate)
    if parsed is None:
        raise BadRequest(f"{raw[:80]!r} is not an arXiv id or URL: use e.g. {EXAMPLES}")
    return parsed[0]


def fetch_record(
    settings: Settings, arxiv_id: str, *, client: PoliteClient | None = None
) -> PaperRecord:
    """The paper's record from the arXiv API; NotFound when arXiv has no such paper,
    SourceError when arXiv cannot be reached or answers with an error."""
    own = client is None
    client = client or PoliteClient(
        min_interval=settings.request_interval,
        max_retries=0,  # a person is waiting: one try, they can submit again
        timeout=min(settings.http_timeout, 30.0),
    )
    try:
        source = ArxivApiQuery(
            base_url=settings.arxiv_api_url, id_list=[arxiv_id], max_results=5, client=client
        )
        for item, _cursor in source.items():
            if isinstance(item, PaperRecord) and item.arxiv_id == arxiv_id:
                return item
            if isinstance(item, Rejected):
                log.info("submission of %s: %s", arxiv_id, item)
    finally:
        if own:
            client.close()
    raise NotFound(f"arXiv has no paper {arxiv_id}")


def submit(
    store: Store,
    settings: Settings,
    user_id: int,
    text: str,
    *,
    client: PoliteClient | None = None,
) -> Submitted:
    """Submit the paper named by `text` for `user_id` (see the module docstring)."""
    arxiv_id = parse_submission(text)
    fetched = False
    try:
        pk, paper_id = find_paper(store, arxiv_id)
    except NotFound:
        record = fetch_record(settings, arxiv_id, client=client)
        upsert_records(store, [record])
        pk, paper_id = find_paper(store, arxiv_id)
        fetched = True
    new = record_submission(store, user_id, pk)
    return Submitted(paper_id, fetched, new)
