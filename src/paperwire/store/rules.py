"""A user's saved list rules, applied to their lists and their digest (see store/filters.py):
keywords to include or exclude, category chips (only papers in one of them) and "has code"
(only papers that link to code); and the categories they picked at onboarding ("for you" puts
papers of those first while they have no likes: an order, not a filter)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from paperwire.errors import BadRequest
from paperwire.store.db import Store
from paperwire.store.filters import ListFilter
from paperwire.store.schema import user_rules

KEYWORD_KINDS = ("include", "exclude")
FILTER_KINDS = (*KEYWORD_KINDS, "chip", "code")  # what /account/filters saves
KINDS = (*FILTER_KINDS, "category")
CODE_VALUE = "1"  # the one value of a "code" rule
MIN_KEYWORD, MAX_KEYWORD = 2, 100
MAX_RULES = 50  # per user and kind: more would make every list query slow
_CATEGORY = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,31}(?:\.[A-Za-z0-9-]{1,31})?")


@dataclass(frozen=True)
class Rule:
    id: int
    kind: str
    value: str


@dataclass(frozen=True)
class Rules:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    listed: tuple[Rule, ...] = ()
    chips: tuple[str, ...] = ()
    has_code: bool = False

    def list_filter(self) -> ListFilter:
        """The rules as a list filter (empty when the user saved none); onboarding categories
        are not part of it."""
        return ListFilter(self.chips, self.has_code, self.include, self.exclude)

    @property
    def active(self) -> int:
        """How many saved rules narrow lists."""
        return len(self.include) + len(self.exclude) + len(self.chips) + self.has_code


def clean_keyword(text: str) -> str:
    """A keyword as stored: spaces collapsed, lower-cased; BadRequest when too short or long."""
    word = " ".join(text.split()).lower()
    if not MIN_KEYWORD <= len(word) <= MAX_KEYWORD:
        raise BadRequest(
            f"a keyword has {MIN_KEYWORD} to {MAX_KEYWORD} characters (got {len(word)})"
        )
    return word


def check_category(text: str) -> str:
    if not _CATEGORY.fullmatch(text):
        raise BadRequest(f"{text[:40]!r} is not a category name such as cs.CL or hep-th")
    return text


def get_rules(store: Store, user_id: int) -> Rules:
    stmt = (
        select(user_rules.c.id, user_rules.c.kind, user_rules.c.value)
        .where(user_rules.c.user_id == user_id)
        .order_by(user_rules.c.kind, user_rules.c.value)
    )
    with store.engine.connect() as conn:
        listed = tuple(Rule(int(i), k, v) for i, k, v in conn.execute(stmt))

    def of(kind: str) -> tuple[str, ...]:
        return tuple(r.value for r in listed if r.kind == kind)

    return Rules(of("include"), of("exclude"), of("category"), listed, of("chip"), bool(of("code")))


def add_rule(store: Store, user_id: int, kind: str, value: str) -> bool:
    """Save a rule; False when the user has it already."""
    if kind not in KINDS:
        raise BadRequest(f"rule kind {kind[:20]!r} is not one of: {', '.join(KINDS)}")
    if kind in ("category", "chip"):
        value = check_category(value.strip())
    elif kind == "code":
        value = CODE_VALUE
    else:
        value = clean_keyword(value)
    with store.engine.begin() as conn:
        count = conn.scalar(
            select(func.count())
            .select_from(user_rules)
            .where(user_rules.c.user_id == user_id, user_rules.c.kind == kind)
        )
        if int(count or 0) >= MAX_RULES:
            raise BadRequest(f"at most {MAX_RULES} {kind} rules: delete one first")
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(user_rules).values(
                        user_id=user_id, kind=kind, value=value, created=datetime.now(UTC)
                    )
                )
        except IntegrityError:
            return False
    return True


def delete_rule(store: Store, user_id: int, rule_id: int) -> bool:
    """Delete one of the user's rules; False when they have no such rule."""
    stmt = delete(user_rules).where(user_rules.c.id == rule_id, user_rules.c.user_id == user_id)
    with store.engine.begin() as conn:
        return bool(conn.execute(stmt).rowcount)


def set_categories(store: Store, user_id: int, categories: Sequence[str]) -> list[str]:
    """Replace the user's picked categories (at most MAX_RULES); returns them as saved."""
    picked = list(dict.fromkeys(check_category(c.strip()) for c in categories if c.strip()))
    if len(picked) > MAX_RULES:
        raise BadRequest(f"pick at most {MAX_RULES} categories")
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        conn.execute(
            delete(user_rules).where(
                user_rules.c.user_id == user_id, user_rules.c.kind == "category"
            )
        )
        if picked:
            rows = [
                {"user_id": user_id, "kind": "category", "value": c, "created": now} for c in picked
            ]
            conn.execute(insert(user_rules), rows)
    return picked
