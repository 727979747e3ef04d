"""The packaged division and street tables (pure)."""

from __future__ import annotations

from collections import Counter

import pytest

from citybrain.regions import reference

DIVISIONS = reference.read_divisions()
STREETS = {s.code: s for s in reference.read_streets(DIVISIONS)}


def test_counts() -> None:
    assert len(DIVISIONS) == 17
    assert len(STREETS) == 208
    assert Counter(s.kind for s in STREETS.values()) == {
        "街道": 117,
        "镇": 72,
        "乡": 15,
        "类似乡级单位": 4,
    }


def test_zhengdong_gets_the_private_code() -> None:
    zhengdong = next(d for d in DIVISIONS if d.name == "郑东新区")
    assert zhengdong.code == reference.ZHENGDONG_CODE == "410170"
    assert not zhengdong.is_standard_code
    assert all(d.is_standard_code for d in DIVISIONS if d is not zhengdong)


def test_codes_are_well_formed_and_unique() -> None:
    assert len({d.code for d in DIVISIONS}) == 17
    assert all(len(code) == 12 and code.isdigit() for code in STREETS)


def test_every_street_lies_in_a_county_level_division() -> None:
    counties = {d.code for d in DIVISIONS if d.level in ("district", "county", "county_city")}
    assert {s.division_code for s in STREETS.values()} == counties


def test_zone_administration_from_notes() -> None:
    zones = Counter(s.zone_code for s in STREETS.values() if s.zone_code)
    assert zones == {"410173": 15, "410170": 11, "410171": 6, "410172": 5}
    assert STREETS["410105018000"].zone_code is None  # 杨金路: "administered_by=郑东新区?"


@pytest.mark.parametrize(
    ("code", "county", "zone"),
    [
        ("410171111000", "410122", "410171"),  # 九龙镇: geographically 中牟县
        ("410171560000", "410104", "410171"),  # 明湖街道: geographically 管城回族区
        ("410172160000", "410102", "410172"),  # 石佛镇: geographically 中原区
        ("410172560000", "410102", "410172"),  # 枫杨街道: default 高新区 -> 中原区
        ("410173108000", "410122", "410173"),  # 张庄镇: geographically 中牟县
        ("410173204000", "410184", "410173"),  # 岗李乡: default 航空港区 -> 新郑市
        ("410122105000", "410122", "410170"),  # 白沙镇: coded to its county, run by 郑东新区
        ("410102001000", "410102", None),  # 林山寨街道: ordinary
    ],
)
def test_geographic_county_and_zone(code: str, county: str, zone: str | None) -> None:
    street = STREETS[code]
    assert (street.division_code, street.zone_code) == (county, zone)


def test_statistical_parent_is_kept() -> None:
    assert STREETS["410173204000"].statistical_parent_code == "410173"
