"""The working-day calendar: official holidays, make-up workdays and working hours.

chinese-calendar carries the State Council's notices for 2004–2026; later years are
data an operator loads (``citybrain calendar load FILE``). A deadline that runs into a
year with no data is still computed on weekends alone but comes back ``provisional``,
so every screen can say so, and is recomputed once the year is loaded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from citybrain.core.errors import DomainError
from citybrain.core.models import CalendarDay, CalendarYear

BUILTIN_YEARS = frozenset(
    range(
        min(chinese_calendar.holidays).year,
        max(chinese_calendar.holidays).year + 1,
    )
)
DEFAULT_PERIODS: tuple[tuple[time, time], ...] = (
    (time(9, 0), time(12, 0)),
    (time(13, 30), time(17, 30)),
)
MAX_SPAN_DAYS = 366 * 20


@dataclass(frozen=True)
class Deadline:
    """A computed date; ``provisional`` when a year on the way had no official data."""

    day: date
    provisional: bool


@dataclass(frozen=True)
class DeadlineAt:
    at: datetime
    provisional: bool


class WorkCalendar:
    """Which days are working days, from official data where known, weekends otherwise."""

    def __init__(
        self,
        *,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        known_years: Iterable[int] = (),
        periods: Iterable[tuple[time, time]] = DEFAULT_PERIODS,
        timezone: str = "Asia/Shanghai",
    ) -> None:
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        self.known_years = frozenset(known_years)
        self.periods = tuple(sorted(periods))
        self.zone = ZoneInfo(timezone)
        for start, end in self.periods:
            if start >= end:
                raise ValueError("a working period must end after it starts")

    @classmethod
    def builtin(cls, **kwargs: Any) -> WorkCalendar:
        """chinese-calendar's official data, 2004 to its last year."""
        return cls(
            holidays=chinese_calendar.holidays,
            workdays=chinese_calendar.workdays,
            known_years=BUILTIN_YEARS,
            **kwargs,
        )

    def with_year(
        self, year: int, holidays: Iterable[date], workdays: Iterable[date]
    ) -> WorkCalendar:
        calendar = WorkCalendar(
            holidays=self.holidays | set(holidays),
            workdays=self.workdays | set(workdays),
            known_years=self.known_years | {year},
            periods=self.periods,
            timezone=self.zone.key,
        )
        return calendar

    def is_known(self, day: date) -> bool:
        return day.year in self.known_years

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def end_of_day(self, day: date) -> datetime:
        """When ``day``'s last working period ends, in the city's zone (a deadline's hour)."""
        return datetime.combine(day, self.periods[-1][1], self.zone)

    def add_workdays(self, start: date, count: int) -> Deadline:
        """The ``count``-th working day after ``start`` (counting begins the next day)."""
        if count < 0:
            raise ValueError("count must not be negative")
        day, provisional, found = start, not self.is_known(start), 0
        while found < count:
            day += timedelta(days=1)
            provisional = provisional or not self.is_known(day)
            if self.is_workday(day):
                found += 1
            if (day - start).days > MAX_SPAN_DAYS:
                raise ValueError("time limit too long")
        return Deadline(day, provisional)

    def workdays_between(self, start: date, end: date) -> tuple[int, bool]:
        """Working days in (start, end]; and whether any of them was provisional."""
        count, provisional, day = 0, False, start
        while day < end:
            day += timedelta(days=1)
            provisional = provisional or not self.is_known(day)
            count += self.is_workday(day)
        return count, provisional

    def add_working_hours(self, start: datetime, hours: float) -> DeadlineAt:
        """The moment ``hours`` working hours after ``start`` (an aware datetime)."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        remaining = timedelta(hours=hours)
        local = start.astimezone(self.zone)
        provisional = not self.is_known(local.date())
        day = local.date()
        while True:
            provisional = provisional or not self.is_known(day)
            if self.is_workday(day):
                for period_start, period_end in self.periods:
                    opens = datetime.combine(day, period_start, self.zone)
                    closes = datetime.combine(day, period_end, self.zone)
                    begin = max(opens, local)
                    if begin >= closes:
                        continue
                    if begin + remaining <= closes:
                        return DeadlineAt((begin + remaining).astimezone(start.tzinfo), provisional)
                    remaining -= closes - begin
            day += timedelta(days=1)
            local = datetime.combine(day, time(0), self.zone)
            if (day - start.date()).days > MAX_SPAN_DAYS:
                raise ValueError("time limit too long")

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Working hours elapsed from ``start`` to ``end``."""
        total = timedelta()
        first, last = start.astimezone(self.zone), end.astimezone(self.zone)
        day = first.date()
        while day <= last.date():
            if self.is_workday(day):
                for period_start, period_end in self.periods:
                    opens = max(datetime.combine(day, period_start, self.zone), first)
                    closes = min(datetime.combine(day, period_end, self.zone), last)
                    if closes > opens:
                        total += closes - opens
            day += timedelta(days=1)
        return total.total_seconds() / 3600


def calendar_for(session: Session, **kwargs: Any) -> WorkCalendar:
    """The built-in calendar plus every year an operator loaded into this database."""
    settings = session.info.get("settings")
    if settings is not None and not kwargs:
        kwargs = {
            "periods": settings.calendar.working_periods,
            "timezone": settings.calendar.timezone,
        }
    calendar = WorkCalendar.builtin(**kwargs)
    years = list(session.scalars(select(CalendarYear.year)))
    if not years:
        return calendar
    days = session.scalars(select(CalendarDay).where(CalendarDay.year.in_(years))).all()
    return WorkCalendar(
        holidays=calendar.holidays | {d.day for d in days if not d.is_workday},
        workdays=calendar.workdays | {d.day for d in days if d.is_workday},
        known_years=calendar.known_years | set(years),
        periods=calendar.periods,
        timezone=calendar.zone.key,
    )


@dataclass(frozen=True)
class YearNotice:
    """One year of the State Council's holiday notice, as an operator loads it."""

    year: int
    source: str
    holidays: dict[date, str]
    workdays: dict[date, str]


def _bad_file(message: str, message_en: str) -> DomainError:
    return DomainError("calendar.bad_file", message, message_en, status=422)


def parse_notice(raw: dict[str, Any]) -> YearNotice:
    """Read ``{"year", "source", "holidays": [{"name", "days": [...]}], "workdays": [...]}``."""
    try:
        year = int(raw["year"])
        source = str(raw.get("source", ""))
        holidays = {
            date.fromisoformat(day): str(group.get("name", ""))
            for group in raw.get("holidays", [])
            for day in group["days"]
        }
        workdays = {}
        for entry in raw.get("workdays", []):
            day, name = (
                (entry, "调休上班")
                if isinstance(entry, str)
                else (entry["day"], entry.get("name", "调休上班"))
            )
            workdays[date.fromisoformat(day)] = name
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad_file(f"节假日文件格式错误：{exc}", f"Malformed holiday file: {exc}") from None
    outside = [d for d in [*holidays, *workdays] if d.year != year]
    if outside:
        raise _bad_file(
            f"日期 {outside[0]} 不属于 {year} 年", f"Date {outside[0]} is not in year {year}"
        )
    clash = set(holidays) & set(workdays)
    if clash:
        day = min(clash)
        raise _bad_file(f"{day} 同时是假日和工作日", f"{day} is both a holiday and a workday")
    if not holidays:
        raise _bad_file("文件中没有节假日", "The file lists no holidays")
    return YearNotice(year, source, holidays, workdays)


def read_notice_file(path: Path) -> YearNotice:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad_file(
            f"无法读取节假日文件：{exc}", f"Cannot read the holiday file: {exc}"
        ) from None
    if not isinstance(raw, dict):
        raise _bad_file("节假日文件应为 JSON 对象", "The holiday file must be a JSON object")
    return parse_notice(raw)


def load_year(session: Session, notice: YearNotice) -> None:
    """Store (or replace) one year's notice. The caller commits and announces it."""
    session.execute(delete(CalendarDay).where(CalendarDay.year == notice.year))
    existing = session.get(CalendarYear, notice.year)
    if existing is not None:
        session.delete(existing)
        session.flush()
    session.add(CalendarYear(year=notice.year, source=notice.source))
    session.add_all(
        CalendarDay(day=day, year=notice.year, is_workday=False, name=name)
        for day, name in notice.holidays.items()
    )
    session.add_all(
        CalendarDay(day=day, year=notice.year, is_workday=True, name=name)
        for day, name in notice.workdays.items()
    )
    session.flush()
