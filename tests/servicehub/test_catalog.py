"""The catalog: the demo catalog is consistent; imports reject bad rows by rule and row."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy.orm import Session

from citybrain.core.errors import DomainError
from citybrain.servicehub import catalog, construction, licences, rules
from citybrain.servicehub.schemas import ItemIn
from tests.factories.servicehub import ADMIN, resident_with_business_licence


def _row(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "catalog_code": "410199990001",
        "task_code": "TEST-0001",
        "name": "测试许可事项",
        "item_type": "行政许可",
        "department": "郑州市市场监督管理局",
        "legal_days": 20,
        "promised_days": 10,
        "handling_kind": "承诺件",
        "visits": 0,
        "online_level": 4,
        "result_type": "审批办结",
        "materials": [{"key": "m1", "name": "申请书", "replaced_by": "form"}],
        "form_fields": [{"key": "applicant_name", "title": "申请人"}],
    }
    row.update(overrides)
    return row


def test_demo_catalog_is_complete_and_consistent(hub: Session) -> None:
    assert catalog.count_items(hub) == (544, 475)
    _, items = catalog.list_items(hub, limit=600)
    departments = {item.department_id for item in items}
    assert len(departments) > 30
    for item in items:
        values = ItemIn.model_validate(catalog.item_row(item, "x")).model_dump()
        assert rules.check_item(values) == [], item.name


def test_import_rejects_bad_rows_naming_rule_and_row(hub: Session) -> None:
    rows = [
        _row(task_code="OK-1"),
        _row(task_code="BAD-1", promised_days=30),  # promised > legal
        _row(task_code="BAD-2", handling_kind="即办件"),  # 即办件 with a promise
        _row(task_code="OK-2", name="第二个"),
        _row(task_code="BAD-3", online_level=3, visits=1),  # visit without reason
        _row(task_code="BAD-4", has_fee=False, online_payment=True),
        _row(task_code="OK-1"),  # duplicate task code in the same file
        _row(task_code="BAD-5", online_level=9),  # outside the schema
    ]
    report = catalog.import_items(hub, actor=ADMIN, rows=rows)
    assert report.imported == 2
    by_row = {r.row: r.rule for r in report.rejected}
    assert by_row == {
        2: "promised_le_legal",
        3: "instant_zero",
        5: "visit_reason",
        6: "fee_payment",
        7: "task_code_unique",
        8: "field:online_level",
    }
    assert catalog.count_items(hub)[0] == 546


def test_csv_and_json_round_trip(hub: Session) -> None:
    text = catalog.export_csv(hub)
    assert text.splitlines()[0].startswith("catalog_code,task_code,name")
    rows = catalog.parse_csv(text.encode())
    assert len(rows) == 544
    again = catalog.import_items(hub, actor=ADMIN, rows=rows[:3])
    assert again.imported == 0 and {r.rule for r in again.rejected} == {"task_code_unique"}
    fresh = [dict(r, task_code=f"COPY-{n}") for n, r in enumerate(rows[:3])]
    assert catalog.import_items(hub, actor=ADMIN, rows=fresh).imported == 3
    exported = catalog.export_rows(hub)
    as_json = json.dumps([dict(r, task_code=f"J-{n}") for n, r in enumerate(exported[:2])])
    assert (
        catalog.import_items(hub, actor=ADMIN, rows=catalog.parse_json(as_json.encode())).imported
        == 2
    )
    with pytest.raises(DomainError) as caught:
        catalog.parse_json(b"{not json")
    assert caught.value.status == 422


def test_create_item_refuses_inconsistent_item(hub: Session) -> None:
    with pytest.raises(DomainError) as caught:
        catalog.create_item(
            hub,
            actor=ADMIN,
            data=ItemIn.model_validate(_row(online_level=4, visits=2, visit_reason="核验")),
        )
    assert caught.value.code == "servicehub.rule_level4_no_visit"
    item = catalog.create_item(hub, actor=ADMIN, data=ItemIn.model_validate(_row()))
    assert item.id and item.materials[0].replaced_by == "form"


def test_licence_signature_detects_tampering(hub: Session) -> None:
    _, licence = resident_with_business_licence(hub)
    assert licences.is_valid(hub, licence, on=date(2026, 3, 2))
    licence.payload = dict(licence.payload, holder_name="别人的店")
    assert not licences.signature_ok(hub, licence)
    assert not licences.is_valid(hub, licence, on=date(2026, 3, 2))


def test_construction_approval_totals(hub: Session) -> None:
    after, before = construction.report()
    assert after.approval_items == 98 and before.approval_items == 122
    assert (after.max_days, after.min_days) == (61, 30)
    assert before.max_days == 340
    government = next(f for f in after.categories if f.code == "gov_building")
    assert [s.limit_days for s in government.stages] == [20, 15, 14, 12]  # longest paths
    assert [s.lead for s in government.stages][0] == "郑州市发展和改革委员会"
    small = next(f for f in after.categories if f.code == "small_low_risk")
    assert [s.number for s in small.stages if s.timeout_consent] == [2, 3]
    assert construction.missing_from_catalog(hub) == []


def test_construction_configuration_errors_are_named() -> None:
    flow = {
        "code": "x",
        "name": "x",
        "stages": {
            "1": [
                {"item": "A", "days": 3, "after": ["B"]},
                {"item": "B", "days": 2, "after": ["A"]},
                {"item": "C", "days": 1, "after": ["Z"]},
            ]
        },
    }
    problems = construction.check_flow(flow, {"A", "B"})
    assert any("unknown item C" in p for p in problems)
    assert any("waits for Z" in p for p in problems)
    assert any("cycle" in p for p in problems)
