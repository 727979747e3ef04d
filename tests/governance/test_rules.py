"""Pure rules: categories, transitions, time limits across holidays, clock, rates."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citybrain.core import geo
from citybrain.core.errors import DomainError
from citybrain.core.workdays import WorkCalendar
from citybrain.governance import rules
from citybrain.governance.rules import Action, CaseStatus, TimeUnit

BJ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar.builtin()


def test_categories_cover_both_kinds_with_owners_and_limits() -> None:
    cats = rules.categories()
    assert len(cats) == 140
    assert {c.kind for c in cats.values()} == {"component", "event", "appeal"}
    exposed = cats["E0110"]
    assert (exposed.name, exposed.time_limit, exposed.time_unit) == (
        "暴露垃圾",
        1,
        TimeUnit.workdays,
    )
    assert exposed.duty_rule is rules.DutyRule.locality_first
    assert exposed.gb2026_code == "06010"
    assert cats["E0112"].time_unit is TimeUnit.workhours  # 道路不洁 5 working hours
    assert cats["E0101"].time_limit == 15  # 私搭乱建 15 working days
    assert cats["C0305"].duty_rule is rules.DutyRule.owner_first
    assert cats["C0210"].department == "郑州市公安局"  # signals fixed to the traffic police
    assert all(c.department.startswith(("郑州", "国家", "中共")) for c in cats.values())


def test_siblings_share_kind_and_major_class() -> None:
    siblings = rules.siblings("E0110")
    assert "E0111" in siblings and "E0112" in siblings
    assert "E0201" not in siblings and "C0305" not in siblings


def test_unknown_category_is_404() -> None:
    with pytest.raises(DomainError) as error:
        rules.category_or_raise("Z9999")
    assert error.value.status == 404


def test_the_happy_path_follows_the_transition_table() -> None:
    status = CaseStatus.accepted
    path = [
        Action.register,
        Action.dispatch,
        Action.claim,
        Action.feedback,
        Action.verify_fail,
        Action.feedback,
        Action.verify_pass,
        Action.rate,
    ]
    for action in path:
        status = rules.next_status(status, action)
    assert status is CaseStatus.evaluated


@given(st.sampled_from(list(CaseStatus)), st.sampled_from(list(Action)))
def test_every_move_outside_the_table_is_409(status: CaseStatus, action: Action) -> None:
    if (status, action) in rules.TRANSITIONS:
        assert rules.next_status(status, action) is rules.TRANSITIONS[(status, action)]
    else:
        with pytest.raises(DomainError) as error:
            rules.next_status(status, action)
        assert error.value.status == 409
        assert error.value.code == "governance.illegal_transition"


def test_final_statuses_allow_nothing_but_rating() -> None:
    for status in rules.FINAL_STATUSES:
        assert rules.allowed_actions(status) in ([], [Action.rate])


def test_working_hours_stop_over_the_national_day_holiday() -> None:
    start = datetime(2026, 9, 30, 16, 0, tzinfo=BJ)  # Wednesday before 国庆
    due = rules.due_at(CAL, start, limit=5, unit=TimeUnit.workhours)
    # 1.5 h on 30 Sep, then nothing until Thursday 8 Oct: 9:00-12:00 and 13:30-14:00.
    assert due == datetime(2026, 10, 8, 14, 0, tzinfo=BJ)


def test_working_days_skip_the_holiday_and_count_the_make_up_saturday() -> None:
    start = datetime(2026, 9, 30, 10, 0, tzinfo=BJ)
    assert rules.due_at(CAL, start, limit=1, unit=TimeUnit.workdays) == datetime(
        2026, 10, 8, 17, 30, tzinfo=BJ
    )
    # 8, 9, 10 (Saturday, a make-up working day), 12, 13 October.
    assert rules.due_at(CAL, start, limit=5, unit=TimeUnit.workdays) == datetime(
        2026, 10, 13, 17, 30, tzinfo=BJ
    )


def test_friday_evening_report_runs_into_monday() -> None:
    start = datetime(2026, 11, 20, 20, 0, tzinfo=BJ)  # Friday evening
    due = rules.due_at(CAL, start, limit=5, unit=TimeUnit.workhours)
    assert due == datetime(2026, 11, 23, 15, 30, tzinfo=BJ)


def test_extension_moves_the_due_day_by_working_days() -> None:
    due = datetime(2026, 9, 30, 17, 30, tzinfo=BJ)
    assert rules.extend_due(CAL, due, workdays=2) == datetime(2026, 10, 9, 17, 30, tzinfo=BJ)


def test_clock_warns_at_80_percent_and_is_overdue_past_100() -> None:
    start = datetime(2026, 11, 23, 9, 0, tzinfo=BJ)  # Monday
    due = rules.due_at(CAL, start, limit=5, unit=TimeUnit.workhours)  # 15:30
    at = datetime(2026, 11, 23, 14, 30, tzinfo=BJ)  # 4 of 5 hours used
    fraction = rules.elapsed_fraction(CAL, started=start, due=due, now=at)
    assert fraction == pytest.approx(0.8)
    assert rules.clock_state(fraction) is rules.ClockState.warning
    early = rules.elapsed_fraction(
        CAL, started=start, due=due, now=datetime(2026, 11, 23, 10, 0, tzinfo=BJ)
    )
    assert rules.clock_state(early) is rules.ClockState.normal
    late = rules.elapsed_fraction(
        CAL, started=start, due=due, now=datetime(2026, 11, 23, 16, 0, tzinfo=BJ)
    )
    assert rules.clock_state(late) is rules.ClockState.overdue
    assert rules.escalation_level(late) == 1
    double = rules.elapsed_fraction(
        CAL, started=start, due=due, now=datetime(2026, 11, 24, 14, 0, tzinfo=BJ)
    )
    assert rules.escalation_level(double) == 2


def test_golden_indicator_example() -> None:
    """Tianmen: 972 due, 911 closed, 737 on time → 93.72 % and 75.82 %."""
    rates = rules.Rates(
        due=972, closed=911, closed_on_time=737, reworked=0, extended=0, rated=0, satisfied=0
    )
    assert rates.closure_rate == Decimal("93.72")
    assert rates.on_time_rate == Decimal("75.82")
    assert rates.satisfaction_rate is None


def test_text_similarity_and_duplicate_confidence() -> None:
    a = "垃圾箱满了溢出来，没人清理"
    b = "这个垃圾箱满了，垃圾溢出来了"
    assert rules.text_similarity(a, a) == pytest.approx(1.0)
    assert rules.text_similarity(a, b) > 0.4
    assert rules.text_similarity(a, "路灯不亮了") == 0.0
    assert rules.is_confident_duplicate(same_category=True, similarity=0.75)
    assert not rules.is_confident_duplicate(same_category=True, similarity=0.6)
    assert not rules.is_confident_duplicate(same_category=False, similarity=0.9)


@given(
    st.floats(min_value=112.7, max_value=114.2),
    st.floats(min_value=34.2, max_value=35.0),
    st.floats(min_value=0, max_value=250),
    st.floats(min_value=0, max_value=6.283),
)
def test_buckets_around_cover_every_point_within_the_radius(
    lon: float, lat: float, distance: float, bearing: float
) -> None:
    dx, dy = geo.metres_to_degrees(
        distance * math.cos(bearing), distance * math.sin(bearing), lat=lat
    )
    assert rules.bucket_of(lon + dx, lat + dy) in rules.buckets_around(lon, lat, 250.0)
