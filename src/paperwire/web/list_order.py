"""How a list page is ordered and narrowed: "top" (our votes, external signals, code),
"all" (listing order) or "for you" (the user's recommendation model), and filters (category
chips, has code, the user's saved rules: keywords, chips, has code).

    ?order=top|all|foryou   remembered in the `pw_order` cookie (signed in or not)
    ?cat=cs.CL&cat=cs.LG    category chips: papers in any of them
    ?code=1                 papers that link to code
    ?rules=off              show what the user's saved rules hide

Orders other than "all" rank the whole list in Python from one query (`listing.rank_inputs`)
and then read the page's papers in one more: no query per paper.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from paperwire.community.recs import explain, score_papers, user_profile
from paperwire.errors import BadRequest
from paperwire.store import listing
from paperwire.store.filters import ListFilter
from paperwire.store.listing import RankInput
from paperwire.store.reading import papers_by_pk
from paperwire.store.rules import Rules, get_rules
from paperwire.web.category_names import category_label
from paperwire.web.site import Site

ORDERS = {"top": "Top", "all": "All, in listing order", "foryou": "For you"}
ORDERED_KINDS = ("day", "week")  # lists that offer the orders (others: listing order)
DEFAULT_ORDER = "all"  # as before these orders existed; a choice is remembered
ORDER_COOKIE = "pw_order"
MAX_CHIPS = 12  # categories offered as chips: the list's most common ones
MAX_CATEGORIES = 20  # picked at once (in the URL)
CODE_WEIGHT = 0.5
CHIPS_TTL = 60.0  # seconds a list's category chips are kept

TOP_FORMULA = (
    "score = V + ln(1 + H) + 0.5 × C, where V = upvotes on this site, H = upvotes on other "
    "sites (Hugging Face daily papers), C = 1 if the paper links to code; highest first, ties "
    "by paper id"
)
FORYOU_NOTE = (
    "Ordered for you: a model trained on the papers you upvoted or bookmarked scores each "
    "paper (papers not embedded yet come last, in the top order). Under each paper, why."
)
CATEGORY_NOTE = (
    "Ordered for you by the categories you picked: their papers first, each part in the top "
    "order. Upvote or bookmark papers, or add a few arXiv ids, for a model of what you like."
)


@dataclass(frozen=True)
class ListOptions:
    order: str = "all"
    categories: tuple[str, ...] = ()
    has_code: bool = False
    rules: bool = True  # apply the user's saved rules
    explicit: bool = False  # the order came from the URL (so it is remembered)

    def query(self, *, order: str | None = None, **changes: Any) -> str:
        """The URL query keeping these options, with `order` or other fields changed."""
        o = dataclasses.replace(self, **changes) if changes else self
        pairs: list[tuple[str, str]] = []
        if order or o.explicit:  # else the cookie (or the default) gives it again
            pairs.append(("order", order or o.order))
        pairs += [("cat", c) for c in o.categories]
        if o.has_code:
            pairs.append(("code", "1"))
        if not o.rules:
            pairs.append(("rules", "off"))
        return urlencode(pairs)


def parse_options(
    *,
    order: str | None,
    remembered: str | None,
    categories: list[str],
    code: bool,
    rules: str | None,
) -> ListOptions:
    if order is not None and order not in ORDERS:
        raise BadRequest(f"order {order[:20]!r} is not one of: {', '.join(ORDERS)}")
    if rules not in (None, "on", "off"):
        raise BadRequest("rules is on or off")
    if len(categories) > MAX_CATEGORIES:
        raise BadRequest(f"pick at most {MAX_CATEGORIES} categories")
    from paperwire.web.data import check_category

    cats = tuple(dict.fromkeys(check_category(c) for c in categories))
    chosen = order or (remembered if remembered in ORDERS else DEFAULT_ORDER)
    return ListOptions(chosen, cats, code, rules != "off", explicit=order is not None)


@dataclass
class OrderedPage:
    total: int
    papers: list[dict[str, Any]]
    note: str | None = None
    onboarding: bool = False
    hidden_by_rules: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def top_score(item: RankInput) -> float:
    return item.votes + math.log1p(item.external) + CODE_WEIGHT * item.has_code


def _by_top(items: list[RankInput]) -> list[RankInput]:
    return sorted(items, key=lambda i: (-top_score(i), i.id))


def list_filter(options: ListOptions, rules: Rules | None) -> ListFilter:
    """The URL's filters with the user's saved rules (unless rules=off): chips picked in the
    URL replace the saved chips, "has code" is either's."""
    saved = rules.list_filter() if rules is not None and options.rules else ListFilter()
    return ListFilter(
        options.categories or saved.categories,
        options.has_code or saved.has_code,
        saved.include,
        saved.exclude,
    )


def ordered_rows(
    site: Site,
    *,
    first: date | None,
    last: date | None,
    category: str | None,
    options: ListOptions,
    user_id: int | None,
    page: int,
    per_page: int,
    views: Any,
    base_order: listing.Order = "newest",
) -> OrderedPage:
    """One page of the list in `options`' order with its filters; `views(rows)` turns stored
    rows into the page's paper dicts."""
    store = site.store
    rules = get_rules(store, user_id) if user_id is not None else None
    filters = list_filter(options, rules)
    span: dict[str, Any] = {"first": first, "last": last, "category": category}
    hidden = 0
    if rules is not None and rules.active and options.rules:
        unruled = ListFilter(options.categories, options.has_code)
        hidden = listing.count_range(store, **span, filters=unruled) - listing.count_range(
            store, **span, filters=filters
        )
    start = (page - 1) * per_page
    if options.order == "all":
        total = listing.count_range(store, **span, filters=filters)
        rows = listing.list_range(
            store, **span, filters=filters, order=base_order, limit=per_page, offset=start
        )
        return OrderedPage(total, views(rows), hidden_by_rules=hidden)
    items = listing.rank_inputs(store, **span, filters=filters)
    result = OrderedPage(len(items), [], note=f"Top: {TOP_FORMULA}.", hidden_by_rules=hidden)
    ranked = _by_top(items)
    reasons: dict[int, str] = {}
    scores: dict[int, float] = {}
    if options.order == "foryou":
        ranked, reasons, scores = _for_you(site, user_id, rules, ranked, start, per_page, result)
    chosen = ranked[start : start + per_page]
    by_pk = papers_by_pk(store, [i.pk for i in chosen])
    papers = []
    for item in chosen:
        if item.pk in by_pk:
            view = views([by_pk[item.pk]])[0]
            view["top_score"] = round(top_score(item), 4)
            if item.pk in reasons:
                view["reason"] = reasons[item.pk]
            if item.pk in scores:
                view["score"] = round(scores[item.pk], 4)
            papers.append(view)
    result.papers = papers
    return result


def _for_you(
    site: Site,
    user_id: int | None,
    rules: Rules | None,
    ranked: list[RankInput],
    start: int,
    per_page: int,
    result: OrderedPage,
) -> tuple[list[RankInput], dict[int, str], dict[int, float]]:
    """The list in the user's model's order, with reasons for the page; without a model, the
    picked categories first (and the onboarding offer)."""
    if user_id is None:
        result.note = "Sign in to get this list ordered for you. " + (result.note or "")
        return ranked, {}, {}
    profile = user_profile(site.store, site.index, user_id)
    if profile is None:
        result.onboarding = True
        picked = set(rules.categories) if rules is not None else set()
        if not picked:
            return ranked, {}, {}
        result.note = CATEGORY_NOTE
        in_picked = _in_categories(site, [i.pk for i in ranked], picked)
        return sorted(ranked, key=lambda i: i.pk not in in_picked), {}, {}
    scores = score_papers(site.index, profile, [i.pk for i in ranked])
    position = {i.pk: n for n, i in enumerate(ranked)}
    ordered = sorted(
        ranked, key=lambda i: (i.pk not in scores, -scores.get(i.pk, 0.0), position[i.pk])
    )
    page_pks = [i.pk for i in ordered[start : start + per_page]]
    result.note = FORYOU_NOTE
    return ordered, explain(site.store, site.index, profile, page_pks), scores


def _in_categories(site: Site, pks: list[int], picked: set[str]) -> set[int]:
    rows = papers_by_pk(site.store, pks, columns=["categories"])
    return {pk for pk, row in rows.items() if picked & set(row.get("categories") or [])}


def page_filter(site: Site, options: ListOptions | None, user_id: int | None) -> ListFilter:
    """The filter a list page applies (empty for the API and feeds: no options)."""
    if options is None:
        return ListFilter()
    rules = get_rules(site.store, user_id) if user_id is not None else None
    return list_filter(options, rules)


def controls(
    site: Site,
    options: ListOptions | None,
    user_id: int | None,
    *,
    first: date | None,
    last: date | None,
) -> dict[str, Any]:
    """What list.html's controls need for a list ranked elsewhere (trending): the filters and
    their chips, no orders; {} without options (the API and feeds)."""
    if options is None:
        return {}
    return {
        "options": options,
        "query": options.query(),
        "orders": {},
        "chips": chips(site, first=first, last=last, options=options),
        "onboarding": False,
        "hidden_by_rules": 0,
        "signed_in": user_id is not None,
    }


def chips(
    site: Site, *, first: date | None, last: date | None, options: ListOptions
) -> list[dict[str, Any]]:
    """The category chips of a list: its most common categories plus any picked, each with
    whether it is on and the URL that toggles it."""
    # Kept a minute per range: a list's categories change only when papers arrive, and
    # grouping a week's categories costs more than the rest of the list's queries.
    found = site.cached(
        f"chips:{first}:{last}",
        lambda: listing.categories_in_range(site.store, first=first, last=last, limit=MAX_CHIPS),
        ttl=CHIPS_TTL,
    )
    names = [c for c, _ in found]
    names += [c for c in options.categories if c not in names]
    counts = dict(found)
    out = []
    for name in names:
        on = name in options.categories
        cats = [c for c in options.categories if c != name] if on else [*options.categories, name]
        out.append(
            {
                "category": name,
                "label": category_label(name),
                "papers": counts.get(name),
                "on": on,
                "query": options.query(categories=tuple(cats)),
            }
        )
    return out
