"""The 118 scenario manifests: valid against the JSON Schema, consistent, and executable."""

from __future__ import annotations

import csv
import json
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy.orm import Session

from citybrain.brain import scenarios
from citybrain.brain.ngsi import context as ld
from citybrain.brain.ngsi.qlang import compile_q

SCHEMA = json.loads((Path(__file__).parent / "scenario.schema.json").read_text(encoding="utf-8"))
MANIFESTS = scenarios.all_scenarios()
# Per-domain counts of brain_scenarios.csv (see /work/shared/data/README.md).
EXPECTED_PER_DOMAIN = {
    "政务服务": 9,
    "城市管理": 27,
    "交通出行": 11,
    "停车": 8,
    "医疗卫生": 8,
    "生态环保": 6,
    "应急管理": 12,
    "教育": 3,
    "文化旅游": 4,
    "基层社区治理": 12,
    "市场监管": 4,
    "公共安全": 4,
    "住房建设": 6,
    "经济运行与惠企": 4,
}


def test_the_schema_itself_is_valid() -> None:
    Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda m: m["id"])
def test_manifest_matches_schema(manifest: dict) -> None:
    errors = sorted(Draft202012Validator(SCHEMA).iter_errors(manifest), key=str)
    assert not errors, "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def test_118_scenarios_in_14_domains() -> None:
    assert len(MANIFESTS) == 118
    assert len({m["id"] for m in MANIFESTS}) == 118
    assert len({m["code"] for m in MANIFESTS}) == 118
    assert Counter(m["domain"]["name"] for m in MANIFESTS) == EXPECTED_PER_DOMAIN
    assert len(scenarios.domains()) == 14


def test_manifests_follow_the_reference_table() -> None:
    source = resources.files("citybrain.brain").joinpath("data/brain_scenarios.csv")
    with source.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_name = {m["name"]: m for m in MANIFESTS}
    for row in rows:
        manifest = by_name[row["scenario"]]
        assert manifest["department"] == row["department"]
        assert [i["name"] for i in manifest["indicators"]] == [
            name.strip() for name in row["indicators"].split(";") if name.strip()
        ]
        assert manifest["alert_rules"][0]["name"] == row["alert_example"]


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda m: m["id"])
def test_rules_and_indicators_refer_to_declared_types_and_parse(manifest: dict) -> None:
    ctx = ld.core_context()
    declared = set(manifest["entity_types"])
    assert set(manifest["entity_models"]) == declared
    for rule in manifest["alert_rules"]:
        assert rule["entity_type"] in declared
        compile_q(rule["condition"], ctx)  # raises on a malformed condition
    indicator_ids = {i["id"] for i in manifest["indicators"]}
    for indicator in manifest["indicators"]:
        formula = indicator["formula"]
        assert formula["entity_type"] in declared
        for key in ("filter", "numerator"):
            if formula.get(key):
                compile_q(formula[key], ctx)
    for view in manifest["views"]:
        if "indicator" in view:
            assert view["indicator"] in indicator_ids


def test_waterlogging_rule_fires_on_a_flooded_underpass() -> None:
    (rule,) = [r for r in scenarios.alert_rules() if r.scenario_id == "emergency-01"]
    assert rule.governance["category"]["name"] == "道路积水"
    assert rule.governance["opens_case"] is True
    level = "https://uri.etsi.org/ngsi-ld/default-context/currentLevel"
    assert rule.matcher({level: {"type": "Property", "value": 0.22}})
    assert not rule.matcher({level: {"type": "Property", "value": 0.05}})


def test_scenario_api(client, session: Session) -> None:  # type: ignore[no-untyped-def]
    from tests.factories.brain import reader_headers

    headers = reader_headers(client, session)
    listed = client.get("/api/v1/brain/scenarios", params={"domain": "emergency"}, headers=headers)
    assert listed.status_code == 200
    assert len(listed.json()) == 12
    one = client.get("/api/v1/brain/scenarios/emergency-01", headers=headers)
    assert one.json()["alert_rules"][0]["condition"] == "currentLevel>=0.15"
    assert client.get("/api/v1/brain/scenarios/nope-01", headers=headers).json()["code"] == (
        "brain.scenario_not_found"
    )
    domains = client.get("/api/v1/brain/domains", headers=headers).json()
    assert sum(d["scenarios"] for d in domains) == 118
    assert client.get("/api/v1/brain/domains").status_code == 401
