"""Address text → district and street, for reports that come without a point.

A small gazetteer of the demo city instead of the unmaintained ``cpca``: the
divisions and township-level units from the regions reference data, common short
forms (管城区, 高新区, 郑东新区, 金水 for 金水区 ...), the usual spellings of a street
office (办事处, old and map-provider names), and well-known roads and landmarks with
the district(s) they lie in (``data/zhengzhou_roads.csv``; a section such as 桐柏北路
lies in its road's districts unless the table says more). Matching is longest-first
over the text; a short form is not taken where it starts a longer name (金水河,
二七塔 ...). A street name that exists in several districts (东风路街道, 新华路街道 ...)
is only accepted when the district is known from the rest of the text. Road names
alone give a district when every matched road agrees. When the text names two
districts and no street settles which, the answer is "don't know", never a guess.

``tests/governance/test_address_quality.py`` measures it on a labelled set.
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

SHORT_FORM_EXCLUDED: frozenset[str] = frozenset({"上街"})
"""Suffix-stripped division names never read as a district: 上街 is also "go out"."""

SHORT_FORM_STOPS: tuple[str, ...] = ("路", "街", "大道", "河", "湖", "渠", "桥", "塔", "广场")
"""A short form followed by one of these starts another name (金水河, 二七塔): not taken."""

STREET_ALIASES: dict[str, str] = {
    # old names and map-provider spellings from the reference notes
    "南关街道": "南关街街道",
    "老鸦陈街道": "江山路街道",
    "卢店镇": "卢店街道",
    "侯寨乡": "侯寨街道",
    "南曹乡": "南曹街道",
    "大孟镇": "大孟街道",
    "新烟街街道": "新烟街道",
    "张庄街道": "张庄镇",
    "八岗街道": "八岗镇",
    "三官庙街道": "三官庙镇",
    "石佛办事处": "石佛镇",
    "沟赵办事处": "沟赵乡",
}
"""Other names of township-level units, each to the name in the reference table."""

_ROAD_SECTIONS: tuple[str, ...] = ("东路", "西路", "南路", "北路", "中路")


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
    short_forms: frozenset[str]  # names taken only when no stop follows them
    street_label: dict[str, str]  # street code -> official name


def _short_forms(divisions: list[reference.DivisionRecord]) -> dict[str, str]:
    """金水 → 金水区's code, 巩义 → 巩义市's ...: a county name without its suffix."""
    forms = {}
    for division in divisions:
        if division.level in ("district", "county", "county_city"):
            short = division.name.removesuffix("回族区")[:-1]
            if len(short) >= 2 and short not in SHORT_FORM_EXCLUDED:
                forms[short] = division.code
    return forms


def _street_spellings(name: str) -> list[str]:
    """The ways a unit is written: 建中街街道, 建中街办事处 (街道办 contains 街道)."""
    if name.endswith("街道"):
        return [name, name.removesuffix("街道") + "办事处"]
    return [name]


@cache
def _gazetteer() -> _Gazetteer:
    divisions = reference.read_divisions()
    names = {d.name: d.code for d in divisions if d.level != "prefecture_city"}
    label = {d.code: d.name for d in divisions}
    for alias, official in ALIASES.items():
        names.setdefault(alias, names[official])
    short = {form: code for form, code in _short_forms(divisions).items() if form not in names}
    streets: dict[str, list[tuple[str, str]]] = {}
    zone_of: dict[str, str | None] = {}
    street_label: dict[str, str] = {}
    for street in reference.read_streets(divisions):
        hit = (street.code, street.division_code)
        for spelling in _street_spellings(street.name):
            streets.setdefault(spelling, []).append(hit)
        zone_of[street.code] = street.zone_code
        street_label[street.code] = street.name
    for alias, official in STREET_ALIASES.items():
        if alias not in streets:  # an official name (中原区's 三官庙街道) beats an informal one
            streets[alias] = list(streets[official])
    roads: dict[str, set[str]] = {}
    source = resources.files("citybrain.governance").joinpath("data/zhengzhou_roads.csv")
    with source.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            roads[row["road"]] = {names[n] for n in row["districts"].split(";") if n in names}
    for road, districts in list(roads.items()):
        if road.endswith("路") and len(road) >= 3:  # 桐柏北路 lies where 桐柏路 does
            for section in _ROAD_SECTIONS:
                roads.setdefault(road[:-1] + section, districts)
    names.update(short)
    terms = tuple(sorted({*names, *streets, *roads}, key=len, reverse=True))
    return _Gazetteer(names, label, streets, zone_of, roads, terms, frozenset(short), street_label)


def _scan(
    text: str, terms: tuple[str, ...], short_forms: frozenset[str] = frozenset()
) -> list[str]:
    """Names found in ``text``, longest first, never two overlapping; a short form only
    where no stop (路, 河, 塔 ...) follows it."""
    taken = [False] * len(text)
    found: list[tuple[int, str]] = []
    for term in terms:
        start = text.find(term)
        while start >= 0:
            end = start + len(term)
            stopped = term in short_forms and text.startswith(SHORT_FORM_STOPS, end)
            if not stopped and not any(taken[start:end]):
                for i in range(start, end):
                    taken[i] = True
                found.append((start, term))
            start = text.find(term, end)
    return [term for _, term in sorted(found)]


def _fits(gaz: _Gazetteer, hit: tuple[str, str], district: str) -> bool:
    """Whether a street lies in ``district`` or is run by it (a functional zone)."""
    return hit[1] == district or gaz.zone_of_street.get(hit[0]) == district


def parse_address(text: str) -> AddressMatch:
    """District and street named or implied by ``text`` (Chinese address or description)."""
    gaz = _gazetteer()
    found = _scan(text.replace(" ", ""), gaz.terms, gaz.short_forms)
    named = list(dict.fromkeys(gaz.division_names[t] for t in found if t in gaz.division_names))
    street_hits = [hit for t in found if t in gaz.streets for hit in gaz.streets[t]]
    road_sets = [gaz.roads[t] for t in found if t in gaz.roads]

    district: str | None = named[0] if len(named) == 1 else None
    if len(named) > 1:  # two districts named: only a street in exactly one of them settles it
        settled = [d for d in named if any(_fits(gaz, hit, d) for hit in street_hits)]
        if len(settled) != 1:
            return AddressMatch(None, None, None, None, terms=tuple(found))
        district = settled[0]
    if district is None and road_sets:
        common = set.intersection(*road_sets)
        if len(common) == 1:
            district = next(iter(common))
    street: tuple[str, str] | None = None
    if street_hits:
        if district is not None:
            fitting = [hit for hit in street_hits if _fits(gaz, hit, district)]
        else:
            fitting = street_hits
        if len({code for code, _ in fitting}) == 1:
            street = fitting[0]
    if street is not None:
        district = (
            district if district and gaz.zone_of_street.get(street[0]) == district else street[1]
        )
    return AddressMatch(
        division_code=district,
        division_name=gaz.division_label.get(district) if district else None,
        street_code=street[0] if street else None,
        street_name=gaz.street_label[street[0]] if street else None,
        terms=tuple(found),
    )
