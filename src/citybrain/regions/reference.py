"""Reading the packaged division and street tables (pure: no session).

``data/zhengzhou_divisions.csv`` and ``data/zhengzhou_streets.csv`` are copies of
the reference tables described in ``data/README.md``. This module turns their rows
into plain records; ``service.load_reference`` writes them to the database.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Final

CITY_CODE: Final = "410100"
ZHENGDONG_CODE: Final = "410170"
"""Private code for 郑东新区 (Zhengdong New District).

郑东新区 has no code in GB/T 2260 or in the NBS 统计用区划代码; "410170" is the ad-hoc
code some municipal IT systems use. It is stored with ``is_standard_code=False`` and
must never be sent to another system as if it were official.
"""

ZONE_DEFAULT_COUNTY: Final = {
    "410170": "410105",  # 郑东新区 -> 金水区
    "410171": "410104",  # 经开区 -> 管城回族区
    "410172": "410102",  # 高新区 -> 中原区
    "410173": "410184",  # 航空港区 -> 新郑市
}
"""Geographic county assumed for a zone-coded street whose note names none."""

_ADMINISTERED_BY = re.compile(r"administered_by=([^\s;,(?]+)(\?)?")
_GEOGRAPHICALLY = re.compile(r"geographically ([^\s;,(]+)")


@dataclass(frozen=True)
class DivisionRecord:
    """One row of the division table, code filled in for 郑东新区."""

    code: str
    name: str
    level: str
    parent_code: str | None
    is_standard_code: bool
    note: str


@dataclass(frozen=True)
class StreetRecord:
    """One township-level unit with its geographic county and administering zone."""

    code: str
    name: str
    kind: str
    statistical_parent_code: str
    division_code: str
    zone_code: str | None
    note: str


def _rows(filename: str) -> Iterator[dict[str, str]]:
    text = resources.files("citybrain.regions").joinpath("data", filename).read_text("utf-8")
    yield from csv.DictReader(text.splitlines())


def read_divisions() -> list[DivisionRecord]:
    """The 17 divisions: the city, 12 counties/districts and 4 functional zones."""
    records = []
    for row in _rows("zhengzhou_divisions.csv"):
        code = row["code"] or ZHENGDONG_CODE
        records.append(
            DivisionRecord(
                code=code,
                name=row["name"],
                level=row["level"],
                parent_code=row["parent_code"] or None,
                is_standard_code=bool(row["code"]),
                note=row["note"],
            )
        )
    return records


def administering_zone(note: str, names: dict[str, str]) -> str | None:
    """Zone code from ``administered_by=NAME`` in a note; None if absent or marked '?'."""
    match = _ADMINISTERED_BY.search(note)
    if match is None or match.group(2):
        return None
    return names[match.group(1)]


def geographic_county(note: str, names: dict[str, str]) -> str | None:
    """County code from ``geographically NAME`` in a note, if the note names one."""
    match = _GEOGRAPHICALLY.search(note)
    return names[match.group(1)] if match else None


def _street_record(row: dict[str, str], names: dict[str, str], zones: set[str]) -> StreetRecord:
    parent = names[row["district"]]
    zone = administering_zone(row["note"], names)
    if parent in zones:
        zone = zone or parent
        county = geographic_county(row["note"], names) or ZONE_DEFAULT_COUNTY[parent]
    else:
        county = parent
    return StreetRecord(
        code=row["code"],
        name=row["name"],
        kind=row["kind"],
        statistical_parent_code=parent,
        division_code=county,
        zone_code=zone,
        note=row["note"],
    )


def read_streets(divisions: list[DivisionRecord]) -> list[StreetRecord]:
    """The 208 township-level units, each placed in its geographic county."""
    names = {d.name: d.code for d in divisions}
    zones = {d.code for d in divisions if d.level == "zone"}
    return [_street_record(row, names, zones) for row in _rows("zhengzhou_streets.csv")]
