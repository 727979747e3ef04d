"""The working-day calendar on official data, on provisional years and in hours."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from citybrain.core import workdays
from citybrain.core.errors import DomainError
from citybrain.core.workdays import WorkCalendar

CST = ZoneInfo("Asia/Shanghai")
calendar = WorkCalendar.builtin()

NOTICE_2027 = {
    "year": 2027,
    "source": "test notice",
    "holidays": [
        {"name": "元旦", "days": ["2027-01-01", "2027-01-02", "2027-01-03"]},
        {"name": "春节", "days": [f"2027-02-{d:02d}" for d in range(6, 14)]},
    ],
    "workdays": ["2027-02-20"],
}


def test_five_workdays_after_13_february_2026_is_27_february() -> None:
    # 14 Feb is a make-up Saturday, 15-23 Feb the Spring Festival holiday.
    assert calendar.add_workdays(date(2026, 2, 13), 5) == workdays.Deadline(
        date(2026, 2, 27), False
    )


def test_national_day_span() -> None:
    # 2026: 1-7 October off, 10 October (Saturday) worked.
    assert calendar.add_workdays(date(2026, 9, 30), 1).day == date(2026, 10, 8)
    assert calendar.add_workdays(date(2026, 9, 30), 3).day == date(2026, 10, 10)


def test_a_deadline_into_2027_is_provisional_not_a_crash() -> None:
    deadline = calendar.add_workdays(date(2026, 12, 28), 5)
    assert deadline.provisional
    # 2026-12-28 is a Monday: 29, 30, 31 Dec, then Fri 1 Jan and Mon 4 Jan on weekends only.
    assert deadline.day == date(2027, 1, 4)


def test_a_deadline_inside_known_years_is_not_provisional() -> None:
    assert not calendar.add_workdays(date(2025, 12, 1), 10).provisional


def test_loading_2027_recomputes_the_deadline() -> None:
    notice = workdays.parse_notice(NOTICE_2027)
    loaded = calendar.with_year(notice.year, notice.holidays, notice.workdays)
    deadline = loaded.add_workdays(date(2026, 12, 28), 5)
    assert deadline == workdays.Deadline(date(2027, 1, 5), False)


def test_working_hours_skip_lunch_nights_and_holidays() -> None:
    start = datetime(2026, 2, 13, 16, 0, tzinfo=CST)  # Friday before the make-up Saturday
    assert calendar.add_working_hours(start, 5).at == datetime(2026, 2, 14, 14, 0, tzinfo=CST)
    before_lunch = datetime(2026, 3, 2, 11, 0, tzinfo=CST)
    assert calendar.add_working_hours(before_lunch, 2).at == datetime(
        2026, 3, 2, 14, 30, tzinfo=CST
    )


def test_working_hours_between_round_trip() -> None:
    start = datetime(2026, 9, 29, 10, 15, tzinfo=CST)
    end = calendar.add_working_hours(start, 13.5).at
    assert calendar.working_hours_between(start, end) == pytest.approx(13.5)


@given(start=st.dates(date(2005, 1, 1), date(2026, 6, 30)), count=st.integers(0, 60))
def test_add_workdays_counts_exactly_count_workdays(start: date, count: int) -> None:
    deadline = calendar.add_workdays(start, count)
    counted, provisional = calendar.workdays_between(start, deadline.day)
    assert counted == count
    assert not provisional
    assert count == 0 or calendar.is_workday(deadline.day)


@pytest.mark.parametrize(
    "broken",
    [
        {"year": 2027},
        {"year": 2027, "holidays": [{"name": "x", "days": ["2028-01-01"]}]},
        {"year": 2027, "holidays": [{"name": "x", "days": ["2027-13-01"]}]},
        {
            "year": 2027,
            "holidays": [{"name": "x", "days": ["2027-01-01"]}],
            "workdays": ["2027-01-01"],
        },
        {"holidays": []},
    ],
)
def test_malformed_notices_are_refused(broken: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(DomainError) as caught:
        workdays.parse_notice(broken)
    assert caught.value.code == "calendar.bad_file"


def test_a_loaded_year_is_read_back_from_the_database(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(NOTICE_2027), encoding="utf-8")
    workdays.load_year(session, workdays.read_notice_file(path))
    stored = workdays.calendar_for(session)
    assert 2027 in stored.known_years
    assert stored.is_workday(date(2027, 2, 20))
    assert not stored.is_workday(date(2027, 2, 8))
    assert stored.add_workdays(date(2026, 12, 28), 5) == workdays.Deadline(date(2027, 1, 5), False)
    # loading the same year again replaces it
    workdays.load_year(session, workdays.read_notice_file(path))
    assert workdays.calendar_for(session).add_workdays(date(2027, 2, 5), 1).day == date(2027, 2, 15)


def test_weekends_only_beyond_the_data() -> None:
    day = date(2030, 6, 3)  # a Monday
    assert calendar.add_workdays(day, 5) == workdays.Deadline(day + timedelta(days=7), True)


def test_a_day_ends_when_its_last_working_period_does() -> None:
    calendar = WorkCalendar.builtin()
    end = calendar.end_of_day(date(2026, 11, 27))
    assert end == datetime(2026, 11, 27, 17, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
