"""Address text → district and street, for reports that come without a point.

A small gazetteer of the demo city instead of the unmaintained ``cpca``: the
divisions and township-level units from the regions reference data, common short
forms (管城区, 高新区, 郑东新区 ...), and well-known roads and landmarks with the
district(s) they lie in (``data/zhengzhou_roads.csv``). Matching is longest-first
over the text; a street name that exists in several districts (东风路街道,
新华路街道 ...) is only accepted when the district is known from the rest of the
text. Road names alone give a district when every matched road agrees.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from citybrain.regions import reference

ALIASES: dict[str, str] = {
    "管城区": "管城回族区",
    "管城": "管城回族区",
    "高新区": "郑州高新技术产业开发区",
    "高新技术开发区": "郑州高新技术产业开发区",
    "经开区": "郑州经济技术开发区",
    "经济开发区": "郑州经济技术开发区",
    "航空港区": "郑州航空港经济综合实验区",
    "航空港": "郑州航空港经济综合实验区",
    "港区": "郑州航空港经济综合实验区",
    "郑东新区": "郑东新区",
}


@dataclass(frozen=True)
class AddressMatch:
    """What the text says about place: district (or zone) and township unit, if found."""

    division_code: str | None
    division_name: str | None
    street_code: str | None
    street_name: str | None
    terms: tuple[str, ...] = field(default=())

    @property
    def level(self) -> str:
        if self.street_code:
            return "street"
        if self.division_code:
            return "district"
        return "none"


@dataclass(frozen=True)
class _Gazetteer:
    division_names: dict[str, str]  # name or alias -> division code
    division_label: dict[str, str]  # code -> official name
    streets: dict[str, list[tuple[str, str]]]  # name -> [(street code, division code)]
    zone_of_street: dict[str, str | None]
    roads: dict[str, set[str]]  # road/landmark -> division codes
    terms: tuple[str, ...]  # every name, longest first


@cache
def _gazetteer() -> _Gazetteer:
    divisions = reference.read_divisions()
    names = {d.name: d.code for d in divisions if d.level != "prefecture_city"}
    label = {d.code: d.name for d in divisions}
    for alias, official in ALIASES.items():
        names.setdefault(alias, names[official])
    streets: dict[str, list[tuple[str, str]]] = {}
    zone_of: dict[str, str | None] = {}
    for street in reference.read_streets(divisions):
        streets.setdefault(street.name, []).append((street.code, street.division_code))
        zone_of[street.code] = street.zone_code
    roads: dict[str, set[str]] = {}
    source = resources.files("citybrain.governance").joinpath("data/zhengzhou_roads.csv")
    with source.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            roads[row["road"]] = {names[n] for n in row["districts"].split(";") if n in names}
    terms = tuple(sorted({*names, *streets, *roads}, key=len, reverse=True))
    return _Gazetteer(names, label, streets, zone_of, roads, terms)


def _scan(text: str, terms: tuple[str, ...]) -> list[str]:
    """Names found in ``text``, longest first, never two overlapping."""
    taken = [False] * len(text)
    found: list[tuple[int, str]] = []
    for term in terms:
        start = text.find(term)
        while start >= 0:
            end = start + len(term)
            if not any(taken[start:end]):
                for i in range(start, end):
                    taken[i] = True
                found.append((start, term))
            start = text.find(term, end)
    return [term for _, term in sorted(found)]


def parse_address(text: str) -> AddressMatch:
    """District and street named or implied by ``text`` (Chinese address or description)."""
    gaz = _gazetteer()
    found = _scan(text.replace(" ", ""), gaz.terms)
    districts = [gaz.division_names[t] for t in found if t in gaz.division_names]
    street_hits = [hit for t in found if t in gaz.streets for hit in gaz.streets[t]]
    road_sets = [gaz.roads[t] for t in found if t in gaz.roads]

    district: str | None = districts[0] if districts else None
    if district is None and road_sets:
        common = set.intersection(*road_sets)
        if len(common) == 1:
            district = next(iter(common))
    street: tuple[str, str] | None = None
    if street_hits:
        if district is not None:
            fitting = [
                hit
                for hit in street_hits
                if hit[1] == district or gaz.zone_of_street.get(hit[0]) == district
            ]
        else:
            fitting = street_hits
        if len({code for code, _ in fitting}) == 1:
            street = fitting[0]
    if street is not None:
        district = (
            district if district and gaz.zone_of_street.get(street[0]) == district else street[1]
        )
    street_name = None
    if street is not None:
        street_name = next(name for name, hits in gaz.streets.items() if street in hits)
    return AddressMatch(
        division_code=district,
        division_name=gaz.division_label.get(district) if district else None,
        street_code=street[0] if street else None,
        street_name=street_name,
        terms=tuple(found),
    )
