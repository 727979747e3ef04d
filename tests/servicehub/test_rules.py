"""Pure rules: consistency checks, the bundle graph and the working-day clock."""

from __future__ import annotations

from datetime import date

import pytest

from citybrain.core.workdays import WorkCalendar
from citybrain.servicehub import rules

CLEAN = {
    "item_type": "行政许可",
    "handling_kind": "承诺件",
    "result_type": "出证办结",
    "legal_days": 20,
    "promised_days": 10,
    "visits": 0,
    "online_level": 4,
    "mail_delivery": True,
    "has_fee": False,
    "online_payment": False,
}


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"promised_days": 25}, "promised_le_legal"),
        ({"handling_kind": "即办件"}, "instant_zero"),
        ({"promised_days": 0}, "instant_zero"),
        ({"visits": 1, "visit_reason": "核验原件"}, "level4_no_visit"),
        ({"online_level": 3, "visits": 1}, "visit_reason"),
        ({"online_level": 1, "mail_delivery": False}, "zero_visit_delivery"),
        ({"online_payment": True}, "fee_payment"),
        ({"item_type": "许可"}, "item_type"),
    ],
)
def test_each_consistency_rule(change: dict[str, object], rule: str) -> None:
    assert rules.check_item(CLEAN) == []
    assert rule in [b.rule for b in rules.check_item(CLEAN | change)]


def test_clean_variants_pass() -> None:
    instant = CLEAN | {"handling_kind": "即办件", "promised_days": 0}
    visit = CLEAN | {"online_level": 3, "visits": 1, "visit_reason": "现场核验原件"}
    paid = CLEAN | {"has_fee": True, "online_payment": True}
    no_legal = CLEAN | {"legal_days": None, "promised_days": 30}
    for item in (instant, visit, paid, no_legal):
        assert rules.check_item(item) == []


def test_bundle_limit_is_the_longest_path() -> None:
    a, b, c = 1, 2, 3
    assert rules.longest_path({a: 5, b: 10, c: 3}, {c: [a, b]}) == 13
    assert rules.longest_path({a: 5, b: 10, c: 3}, {}) == 10
    assert rules.longest_path({a: 5, b: 10, c: 3}, {b: [a], c: [b]}) == 18
    with pytest.raises(ValueError, match="cycle"):
        rules.longest_path({a: 1, b: 1}, {a: [b], b: [a]})


CALENDAR = WorkCalendar.builtin()


def test_clock_counts_from_the_day_after_acceptance_across_spring_festival() -> None:
    # Accepted Friday 2026-02-13: Saturday 02-14 is a make-up workday, 02-15..02-23 are off.
    state = rules.clock(
        CALENDAR,
        limit_days=5,
        accepted_on=date(2026, 2, 13),
        paused_days=0,
        today=date(2026, 2, 13),
    )
    assert state.due_on == date(2026, 2, 27)
    assert state.used_days == 0 and state.state == "on_time"
    on_24th = rules.clock(
        CALENDAR,
        limit_days=5,
        accepted_on=date(2026, 2, 13),
        paused_days=0,
        today=date(2026, 2, 24),
    )
    assert on_24th.used_days == 2  # the 14th (make-up) and the 24th
    warning = rules.clock(
        CALENDAR,
        limit_days=5,
        accepted_on=date(2026, 2, 13),
        paused_days=0,
        today=date(2026, 2, 26),
    )
    assert warning.used_days == 4 and warning.state == "warning"
    overdue = rules.clock(
        CALENDAR, limit_days=5, accepted_on=date(2026, 2, 13), paused_days=0, today=date(2026, 3, 2)
    )
    assert overdue.state == "overdue"


def test_clock_pauses_for_correction() -> None:
    paused = rules.clock(
        CALENDAR,
        limit_days=5,
        accepted_on=date(2026, 3, 2),
        paused_days=0,
        today=date(2026, 3, 20),
        correction_since=date(2026, 3, 4),
    )
    assert paused.state == "paused" and paused.used_days == 2
    resumed = rules.clock(
        CALENDAR, limit_days=5, accepted_on=date(2026, 3, 2), paused_days=3, today=date(2026, 3, 9)
    )
    assert resumed.due_on == date(2026, 3, 12)  # 5 + 3 paused working days after 03-02
    assert resumed.used_days == 2 and resumed.state == "on_time"


def test_clock_is_provisional_beyond_the_calendar_data() -> None:
    state = rules.clock(
        CALENDAR,
        limit_days=20,
        accepted_on=date(2026, 12, 20),
        paused_days=0,
        today=date(2026, 12, 21),
    )
    assert state.provisional


def test_merged_fields_are_asked_once() -> None:
    first = [{"key": "name", "title": "姓名"}, {"key": "area", "title": "面积", "type": "number"}]
    second = [{"key": "area", "title": "经营面积", "type": "number"}, {"key": "x", "title": "X"}]
    merged = rules.merge_fields([first, second])
    assert [f["key"] for f in merged] == ["name", "area", "x"]
    schema = rules.json_schema(merged)
    assert schema["required"] == ["name", "area", "x"]
    assert schema["properties"]["area"]["type"] == "number"
