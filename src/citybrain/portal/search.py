"""One search over every app service and one-thing bundle (一件事), as residents type.

Each entry is indexed under its official name and the colloquial aliases of
``data/service_aliases.csv`` (开饭店 → 开办餐饮店), each in Chinese, full pinyin and
initials (``core.pinyin``), so "kfd", "kaifandian", "开饭店" and "餐饮" all find the
restaurant bundle. Bundles rank before items at an equal score.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.pinyin import PinyinIndex, keys_for, normalise
from citybrain.identity import service as identity_service
from citybrain.servicehub import bundles as bundle_service
from citybrain.servicehub.models import ServiceItem

MAX_QUERY = 64
DEFAULT_LIMIT = 10


@dataclass(frozen=True)
class SearchHit:
    """A bundle or an item, where it leads, and the name the query matched."""

    kind: str  # bundle / item
    id: int
    name: str
    matched: str
    audience: str
    department: str
    href: str


@dataclass(frozen=True)
class Alias:
    alias: str
    kind: str
    target: str


@lru_cache(maxsize=1)
def aliases() -> tuple[Alias, ...]:
    """The colloquial names residents use, from the packaged CSV."""
    source = resources.files("citybrain.portal").joinpath("data/service_aliases.csv")
    with source.open(encoding="utf-8") as handle:
        return tuple(
            Alias(row["alias"].strip(), row["kind"].strip(), row["target"].strip())
            for row in csv.DictReader(handle)
            if row["alias"].strip() and row["kind"].strip() in ("bundle", "item")
        )


def _aliases_by_target() -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for alias in aliases():
        found[(alias.kind, alias.target)].append(alias.alias)
    return found


def _app_items(session: Session) -> list[tuple[int, str, int]]:
    # A light read of the app-enabled items (id, name, department): catalog.list_items
    # loads every material row, too heavy for a request per keystroke.
    rows = session.execute(
        select(ServiceItem.id, ServiceItem.name, ServiceItem.department_id)
        .where(ServiceItem.app_enabled.is_(True))
        .order_by(ServiceItem.id)
    )
    return [(int(i), str(n), int(d)) for i, n, d in rows]


def build_index(session: Session) -> PinyinIndex[SearchHit]:
    """Bundles first, then items, each under its name and aliases."""
    by_target = _aliases_by_target()
    departments = {d.id: d.name for d in identity_service.list_departments(session)}
    index: PinyinIndex[SearchHit] = PinyinIndex()
    for bundle in bundle_service.list_bundles(session):
        hit = SearchHit(
            kind="bundle",
            id=bundle.id,
            name=bundle.name,
            matched=bundle.name,
            audience=bundle.audience,
            department=departments.get(bundle.lead_department_id, ""),
            href=f"/services/bundles/{bundle.id}",
        )
        index.add(hit, [bundle.name, *by_target.get(("bundle", bundle.name), [])])
    for item_id, name, department_id in _app_items(session):
        hit = SearchHit(
            kind="item",
            id=item_id,
            name=name,
            matched=name,
            audience="",
            department=departments.get(department_id, ""),
            href=f"/services?q={quote(name)}",
        )
        index.add(hit, [name, *by_target.get(("item", name), [])])
    return index


def _matched_name(query: str, names: tuple[str, ...]) -> str:
    """The name (official or alias) the query matched best, to show beside the hit."""
    wanted = normalise(query)
    for name in names:
        if any(key == wanted for key in keys_for(name)):
            return name
    for name in names:
        if any(key.startswith(wanted) or wanted in key for key in keys_for(name)):
            return name
    return names[0]


def search(session: Session, *, query: str, limit: int = DEFAULT_LIMIT) -> list[SearchHit]:
    """Best matches for ``query`` (Chinese, pinyin or initials); empty for an empty query."""
    if not normalise(query):
        return []
    index = build_index(session)
    names_of = {id(hit): names for hit, names in index.entries}
    hits = index.search(query, limit=limit)
    return [
        SearchHit(
            kind=h.kind,
            id=h.id,
            name=h.name,
            matched=_matched_name(query, names_of[id(h)]),
            audience=h.audience,
            department=h.department,
            href=h.href,
        )
        for h in hits
    ]
