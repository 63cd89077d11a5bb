"""What one subscriber's digest of one day holds: sections from their enabled subscriptions.

- trending: `community.trending.trending(period="day", day=D)`; when nobody voted that day,
  the newest listing day's papers up to D, papers with code first (as the site's trending
  page does until votes exist);
- one section per saved search: papers matching the query listed after the user's last sent
  digest (first digest: day D alone), up to D, ranked by BM25 (an alert is about the words
  matching, so no dense neighbours);
- recommendations: `community.recs.recommend` with its reason per paper;
- one section per followed author ("author" subscriptions): their papers listed after the
  last sent digest, as a saved search `author:KEY` would find them;
- replies to the user's comments not told before (`store.replies`; unless switched off),
  posted in the last REPLY_DAYS days: not papers, kept in `Digest.replies`.

The user's saved list rules (keywords to include or exclude, category chips, has code;
store/rules.py) apply to every section, as on their lists. Each paper at most once per
subscriber: papers already mailed (or waiting in an unsent digest) are left out, and a paper in
two sections is shown in the first only. A `DigestBuilder` serves a whole run: trending and each
(query, since) search are computed once, paper rows read once.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from paperwire.community.authors import author_query, spellings
from paperwire.community.recs import recommend
from paperwire.community.trending import trending
from paperwire.days import day_number
from paperwire.errors import BadQuery
from paperwire.index.backend import IndexBackend
from paperwire.search.query import parse_query
from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store import digests as outbox
from paperwire.store.filters import ListFilter
from paperwire.store.reading import papers_by_pk
from paperwire.store.replies import Reply, pending_replies, told_replies
from paperwire.store.rules import get_rules
from paperwire.store.subscriptions import Subscription, list_subscriptions
from paperwire.store.users import User

log = logging.getLogger(__name__)
COLUMNS = (
    "id",
    "title",
    "authors",
    "abstract",
    "primary_category",
    "categories",  # for the user's rules (ListFilter.matches), with code_links
    "code_links",
    "announced",
    "submitted",
)
SECTION_TITLES = {"trending": "Trending today", "recs": "Recommended for you"}
REPLY_DAYS = 14  # replies older than this when a digest is built are not told any more


@dataclass(frozen=True)
class DigestPaper:
    pk: int
    id: str
    title: str
    authors: list[str]
    abstract: str
    category: str | None
    day: date | None
    reason: str | None = None  # recommendations say why


@dataclass(frozen=True)
class Section:
    kind: str  # trending | search | recs | author | more
    title: str
    papers: list[DigestPaper]
    query: str | None = None


@dataclass(frozen=True)
class Digest:
    user: User
    day: date
    sections: list[Section] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)  # to the user's comments

    @property
    def paper_pks(self) -> list[int]:
        return [p.pk for s in self.sections for p in s.papers]

    @property
    def reply_ids(self) -> list[int]:
        return [r.comment_id for r in self.replies]

    @property
    def empty(self) -> bool:
        return not self.replies and not any(s.papers for s in self.sections)


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


class DigestBuilder:
    """Builds digests for one day; keeps what all subscribers share (trending, searches,
    paper rows) for the run."""

    def __init__(self, settings: Settings, store: Store, index: IndexBackend, day: date) -> None:
        self.settings = settings
        self.store = store
        self.index = index
        self.day = day
        self.size = max(1, settings.digest_size)
        self._trending: list[int] | None = None
        self._searches: dict[tuple[str, date], list[int]] = {}
        self._rows: dict[int, dict[str, Any]] = {}
        self._replies: dict[int, list[Reply]] | None = None

    # --- candidates, shared by the run ------------------------------------------------------

    def trending_pks(self) -> list[int]:
        """Candidates for the trending section, best first: more than one digest holds, since
        each subscriber's already-mailed papers are taken out."""
        if self._trending is None:
            want = self.size * 3
            found, _total = trending(self.store, period="day", day=self.day, limit=want)
            self._trending = [int(pk) for pk, _score in found]
            if not self._trending:  # no votes that day: the site's own "until votes exist" rule
                self._trending = outbox.newest_paper_pks(self.store, until=self.day, limit=want)
        return self._trending

    def search_pks(self, query: str, since: date) -> list[int]:
        """Papers matching a saved search listed from `since` to the digest's day, best first;
        [] for a query that no longer parses (it was checked when saved)."""
        key = (query, since)
        found = self._searches.get(key)
        if found is None:
            try:
                parsed = parse_query(query)
            except BadQuery as exc:
                log.warning("saved search %r cannot be read: %s", query, exc)
                parsed = None
            found = []
            if parsed is not None:
                lo, hi = day_number(since), day_number(self.day)
                parsed = dataclasses.replace(
                    parsed,
                    day_from=lo if parsed.day_from is None else max(lo, parsed.day_from),
                    day_to=hi if parsed.day_to is None else min(hi, parsed.day_to),
                )
                if (
                    parsed.day_from is not None
                    and parsed.day_to is not None
                    and (parsed.day_from <= parsed.day_to)
                ):
                    hits = self.index.search(parsed, k=self.size * 3, mode="bm25")
                    found = [int(k) for k in hits.keys.tolist()]
            self._searches[key] = found
        return found

    def replies(self, user_id: int, *, fixed: bool) -> list[Reply]:
        """Replies for the user's digest: those its claim recorded when `fixed` (a digest
        claimed earlier, rendered again), else those not told yet (one query per run)."""
        if fixed:
            return told_replies(self.store, user_id, self.day)
        if self._replies is None:
            since = datetime.combine(self.day - timedelta(days=REPLY_DAYS), time(), tzinfo=UTC)
            self._replies = pending_replies(self.store, since=since)
        return self._replies.get(user_id, [])

    def _recommend(
        self, user_id: int, exclude: Collection[int], *, more: bool = False
    ) -> list[tuple[int, str]]:
        """`more`: twice the digest's size, for the user's rules to leave enough."""
        limit = self.size * (2 if more else 1)
        recs = recommend(self.store, self.index, user_id, limit=limit, exclude=exclude)
        return [(r.paper_pk, r.reason) for r in recs]

    def user_rule(self, user_id: int) -> ListFilter:
        """The user's saved list rules: keywords, chips, has code (one query per subscriber)."""
        return get_rules(self.store, user_id).list_filter()

    def allowed(self, pks: Sequence[int], rule: ListFilter) -> list[int]:
        """`pks` that the rule keeps, in order (their rows read once for the run)."""
        self._load(pks)
        return [pk for pk in pks if pk in self._rows and rule.matches(self._rows[pk])]

    def _load(self, pks: Sequence[int]) -> None:
        missing = [pk for pk in pks if pk not in self._rows]
        if missing:
            self._rows.update(papers_by_pk(self.store, missing, columns=COLUMNS))

    def _papers(self, pks: Sequence[int], reasons: dict[int, str]) -> list[DigestPaper]:
        self._load(pks)
        out = []
        for pk in pks:
            row = self._rows.get(pk)
            if row is None:  # deleted since: nothing to show
                continue
            out.append(
                DigestPaper(
                    pk=pk,
                    id=row["id"],
                    title=row["title"],
                    authors=list(row["authors"] or []),
                    abstract=row["abstract"] or "",
                    category=row["primary_category"],
                    day=_as_date(row["announced"] or row["submitted"]),
                    reason=reasons.get(pk),
                )
            )
        return out

    # --- one subscriber ---------------------------------------------------------------------

    def build(
        self,
        user: User,
        *,
        subscriptions: Sequence[Subscription] | None = None,
        exclude: Collection[int] | None = None,
        only: Collection[int] | None = None,
        state: outbox.Recipient | None = None,
    ) -> Digest:
        """The user's digest. `exclude`: papers not to send (default: those already mailed or
        waiting); `only`: keep just these papers (re-rendering a digest claimed earlier: its
        papers were fixed then), any not found again going into a last "more" section.
        `state`: the user's subscriptions, mailed papers and last digest day, read in bulk by
        the caller (else each is read here)."""
        if subscriptions is None:
            subscriptions = (
                state.subscriptions if state else list_subscriptions(self.store, user.id)
            )
        subs = [s for s in subscriptions if s.enabled]
        if exclude is None:
            exclude = state.excluded if state else outbox.excluded_papers(self.store, user.id)
        taken = set(exclude)
        if only is not None:
            taken -= set(only)
        keep = set(only) if only is not None else None
        last = state.last_sent if state else outbox.last_sent_day(self.store, user.id)
        since = last + timedelta(days=1) if last is not None and last < self.day else self.day
        limit = self.size if keep is None else len(keep)
        plan: list[tuple[str, str, str | None, list[int], dict[int, str]]] = []

        # The user's list rules (store/rules.py), as on their lists; a claimed digest being
        # re-rendered (`only`) keeps the papers fixed then.
        rule = self.user_rule(user.id) if keep is None else ListFilter()

        def pick(candidates: Sequence[int]) -> list[int]:
            if rule:
                candidates = self.allowed(candidates, rule)
            chosen = []
            for pk in candidates:
                if pk in taken or (keep is not None and pk not in keep):
                    continue
                taken.add(pk)
                chosen.append(pk)
                if len(chosen) >= limit:
                    break
            return chosen

        if any(s.kind == "trending" for s in subs):
            trending = pick(self.trending_pks())
            plan.append(("trending", SECTION_TITLES["trending"], None, trending, {}))
        for sub in subs:
            if sub.kind == "search" and sub.query:
                pks = pick(self.search_pks(sub.query, since))
                plan.append(("search", f"New for “{sub.query}”", sub.query, pks, {}))
        for sub in subs:  # followed authors
            if sub.kind == "author" and sub.query:
                pks = pick(self.search_pks(author_query(sub.query), since))
                plan.append(("author", f"New papers by {sub.query}", sub.query, pks, {}))
        if any(s.kind == "recs" for s in subs):
            recs = self._recommend(user.id, exclude=set(taken), more=bool(rule))
            reasons = dict(recs)
            recommended = pick([pk for pk, _ in recs])
            plan.append(("recs", SECTION_TITLES["recs"], None, recommended, reasons))
        if keep is not None:
            rest = [pk for pk in (only or ()) if pk not in taken]
            if rest:
                plan.append(("more", "More for you", None, rest, {}))
        sections = [
            Section(kind, title, self._papers(pks, reasons), query)
            for kind, title, query, pks, reasons in plan
            if pks
        ]
        sections = [_named(s) if s.kind == "author" else s for s in sections if s.papers]
        replies = self.replies(user.id, fixed=only is not None)
        return Digest(user=user, day=self.day, sections=sections, replies=replies)


def _named(section: Section) -> Section:
    """An author section titled with the name as its papers write it, not the key."""
    key = section.query or ""
    spelled = spellings(key, (p.authors for p in section.papers))
    name = spelled[0].name if spelled else key
    return dataclasses.replace(section, title=f"New papers by {name}")
