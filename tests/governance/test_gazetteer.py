"""Address text → district and street, on a small hand-labelled Zhengzhou set."""

from __future__ import annotations

import pytest

from citybrain.governance.gazetteer import parse_address

# (text, expected district code, expected street code or None)
LABELLED = [
    ("郑州市金水区花园路街道农业路口", "410105", "410105002000"),
    ("金水区东风路街道经三路", "410105", "410105010000"),
    ("中牟县东风路街道", "410122", "410122002000"),
    ("二七广场附近有人乱摆摊", "410103", None),
    ("管城区商都路与未来路交叉口", "410104", None),
    ("惠济区古荥镇某村口", "410108", "410108101000"),
    ("古荥镇", "410108", "410108101000"),
    ("科学大道100号", "410172", None),
    ("高新区梧桐街道", "410172", None),
    ("农业路与花园路交叉口", "410105", None),
    ("登封市少林街道", "410185", None),
    ("新郑市", "410184", None),
    ("少林寺门口", "410185", None),
    ("中原区建设路街道", "410102", "410102002000"),
    ("巩义市杜甫路街道", "410181", None),
]


@pytest.mark.parametrize(("text", "district", "street"), LABELLED)
def test_labelled_addresses(text: str, district: str, street: str | None) -> None:
    match = parse_address(text)
    assert match.division_code == district
    if street is not None:
        assert match.street_code == street


def test_ambiguous_street_name_without_district_gives_no_street() -> None:
    match = parse_address("新华路街道")  # exists in 巩义市, 新密市 and 新郑市
    assert match.street_code is None
    assert match.level == "none"


def test_roads_in_several_districts_do_not_guess() -> None:
    assert parse_address("航海路").division_code is None


def test_text_without_places() -> None:
    assert parse_address("楼下有人半夜唱歌").level == "none"
