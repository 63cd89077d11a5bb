"""The configured sources as ingest sources for one harvest slot (reusing paperwire.ingest).

OAI-PMH is harvested incrementally: from the newest record datestamp of the last complete
harvest of that set (overlapping one day: arXiv's datestamps are days, and upserts absorb
repeats). The `from` day is fixed when a slot's harvest starts and kept until it completes,
so an interrupted harvest asks again with the same query and resumes from its checkpoint
(`ingest_checkpoints`, keyed by the query).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx

from paperwire.errors import ConfigError
from paperwire.ingest.base import Source
from paperwire.ingest.hf_daily import HfDailyPapers
from paperwire.ingest.http import PoliteClient
from paperwire.ingest.oai import OaiHarvest
from paperwire.ingest.rss import ArxivFeed
from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store.pipeline import get_state, set_state

KINDS = ("oai", "rss", "hf-daily")
# arXiv's OAI sets: physics archives sit under "physics:", the others are sets of their own.
PHYSICS = {
    "astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph",
    "nlin", "nucl-ex", "nucl-th", "physics", "quant-ph",
}  # fmt: skip
_DATESTAMP = re.compile(rb"<datestamp>\s*(\d{4}-\d{2}-\d{2})")


def configured_kinds(settings: Settings) -> list[str]:
    kinds = [k.strip() for k in settings.sources.split(",") if k.strip()]
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise ConfigError(f"sources {bad}: use a comma-separated list of {', '.join(KINDS)}")
    return kinds


def categories(settings: Settings) -> list[str]:
    return [c.strip() for c in settings.categories.split(",") if c.strip()]


def step_names(settings: Settings) -> list[str]:
    """The harvest steps of a slot, one per source (and per category for oai and rss)."""
    names: list[str] = []
    for kind in configured_kinds(settings):
        if kind == "hf-daily":
            names.append("harvest:hf-daily")
        else:
            names += [
                f"harvest:{kind}:{c if kind == 'rss' else oai_set(c)}" for c in categories(settings)
            ]
    return names


def oai_set(category: str) -> str:
    """arXiv's OAI set of an archive or category: cs -> cs, cs.CL -> cs:cs:CL,
    hep-th -> physics:hep-th, astro-ph.GA -> physics:astro-ph:GA."""
    archive, _, sub = category.partition(".")
    group = "physics" if archive in PHYSICS else archive
    if archive in PHYSICS:
        return f"physics:{archive}" + (f":{sub}" if sub else "")
    return f"{group}:{archive}:{sub}" if sub else archive


class DatestampClient:
    """A PoliteClient that notes the newest OAI-PMH record datestamp it has seen."""

    def __init__(self, client: PoliteClient) -> None:
        self.client = client
        self.newest: date | None = None

    def get(self, url: str, params: Mapping[str, str] | None = None) -> httpx.Response:
        resp = self.client.get(url, params=params)
        for raw in _DATESTAMP.findall(resp.content):
            day = date.fromisoformat(raw.decode())
            self.newest = max(self.newest or day, day)
        return resp


@dataclass
class PlannedSource:
    """One source to harvest for a slot: its step name, the ingest source, and what to keep
    when it completes."""

    step: str
    source: Source
    state_key: str | None = None
    tracker: DatestampClient | None = None
    from_day: date | None = None

    def completed(self, store: Store, slot: date) -> None:
        """After a complete harvest: the next one starts from the newest datestamp seen."""
        if self.state_key is None:
            return
        newest = self.tracker.newest if self.tracker else None
        start = newest or self.from_day or slot
        set_state(store, self.state_key, {"from": start.isoformat(), "pending": None})


def _oai_from(store: Store, key: str, slot: date, backfill: int) -> date:
    """The `from` day of this slot's harvest: the one already fixed for it, else the newest
    datestamp of the last complete harvest, else `backfill` days before the slot."""
    state: dict[str, Any] = get_state(store, key) or {}
    pending = state.get("pending") or {}
    if pending.get("slot") == slot.isoformat():
        return date.fromisoformat(pending["from"])
    start = date.fromisoformat(state["from"]) if state.get("from") else None
    start = start or slot - timedelta(days=backfill)
    set_state(
        store, key, {**state, "pending": {"slot": slot.isoformat(), "from": start.isoformat()}}
    )
    return start


def plan_sources(
    settings: Settings,
    store: Store,
    slot: date,
    client: PoliteClient,
    *,
    skip: Callable[[str], bool] = lambda _step: False,
) -> list[PlannedSource]:
    """The sources of a harvest slot, in the configured order, but those whose step `skip`
    names (already harvested for the slot)."""
    planned: list[PlannedSource] = []
    for kind in configured_kinds(settings):
        if kind == "hf-daily":
            if skip("harvest:hf-daily"):
                continue
            source = HfDailyPapers(base_url=settings.hf_daily_url, day=slot, client=client)
            planned.append(PlannedSource("harvest:hf-daily", source))
            continue
        for category in categories(settings):
            step = f"harvest:{kind}:{category if kind == 'rss' else oai_set(category)}"
            if skip(step):
                continue
            if kind == "rss":
                url = settings.arxiv_rss_url.format(category=category)
                planned.append(PlannedSource(step, ArxivFeed(url=url, client=client)))
                continue
            set_spec = oai_set(category)
            key = f"oai:{settings.oai_url}:{set_spec}"
            start = _oai_from(store, key, slot, settings.harvest_backfill_days)
            tracker = DatestampClient(client)
            harvest = OaiHarvest(
                base_url=settings.oai_url,
                set_spec=set_spec,
                from_date=start,
                client=tracker,  # type: ignore[arg-type]
            )
            planned.append(PlannedSource(step, harvest, key, tracker, start))
    return planned
