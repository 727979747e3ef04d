"""Pure rules of the governance pillar: no session, no HTTP.

The category catalogue (GB/T 30428 部件/事件, with GB/T 47678.5-2026 codes beside),
the case lifecycle as a transition table, time limits on the working calendar,
the 80 % warning / 100 % overdue clock, escalation levels (督办) and the evaluation
rates (结案率, 按期结案率, 返工率, 延期率, 回访满意率).
"""

from __future__ import annotations

import csv
import enum
import math
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from typing import Final

from citybrain.core.errors import DomainError
from citybrain.core.security import Role
from citybrain.core.workdays import WorkCalendar

# --- categories ---------------------------------------------------------------------------


class TimeUnit(enum.StrEnum):
    workhours = "workhours"
    workdays = "workdays"


class DutyRule(enum.StrEnum):
    """部件 先属主后属地 (owner first); 事件 先属地后属主 (locality first)."""

    owner_first = "owner_first"
    locality_first = "locality_first"


@dataclass(frozen=True)
class Category:
    """A city-management category (部件 component, 事件 event, or a 12345 appeal)."""

    code: str
    kind: str
    major_code: str
    major: str
    minor_code: str
    name: str
    gb2026_code: str
    department_slug: str
    department: str
    source_department: str
    duty_rule: DutyRule
    time_limit: int
    time_unit: TimeUnit
    time_limit_published: bool

    @property
    def group(self) -> str:
        """The sibling group: same kind and major class (e.g. 事件 市容环境)."""
        return f"{self.kind}:{self.major}"

    @property
    def kind_zh(self) -> str:
        return {"component": "部件", "event": "事件", "appeal": "诉求"}[self.kind]

    @property
    def label(self) -> str:
        return f"{self.kind_zh}·{self.major}·{self.name}"


GENERAL_APPEAL: Final = "H0001"
"""12345 一般诉求: the fallback category, 5 working days."""


@cache
def categories() -> dict[str, Category]:
    """Every category by code, read once from the packaged table."""
    source = resources.files("citybrain.governance").joinpath("data/categories.csv")
    with source.open(encoding="utf-8") as handle:
        return {
            row["code"]: Category(
                code=row["code"],
                kind=row["kind"],
                major_code=row["major_code"],
                major=row["major"],
                minor_code=row["minor_code"],
                name=row["name"],
                gb2026_code=row["gb2026_code"],
                department_slug=row["department_slug"],
                department=row["department"],
                source_department=row["source_department"],
                duty_rule=DutyRule(row["duty_rule"]),
                time_limit=int(row["time_limit"]),
                time_unit=TimeUnit(row["time_unit"]),
                time_limit_published=row["time_limit_source"] == "published",
            )
            for row in csv.DictReader(handle)
        }


def category_or_raise(code: str) -> Category:
    category = categories().get(code)
    if category is None:
        raise DomainError(
            "governance.unknown_category",
            "案件类别不存在",
            "Unknown category code",
            status=404,
            category=code[:32],
        )
    return category


@cache
def siblings(code: str) -> frozenset[str]:
    """Codes of the same kind and major class as ``code`` (itself included)."""
    group = categories()[code].group
    return frozenset(c.code for c in categories().values() if c.group == group)


# --- lifecycle ----------------------------------------------------------------------------


class CaseStatus(enum.StrEnum):
    accepted = "accepted"  # 受理
    rejected = "rejected"  # 不予立案
    registered = "registered"  # 立案
    dispatched = "dispatched"  # 派遣
    returned = "returned"  # 退单 (awaiting re-dispatch)
    claimed = "claimed"  # 签收 / 处置中
    suspended = "suspended"  # 挂起
    handled = "handled"  # 反馈 (awaiting 核查)
    closed = "closed"  # 结案
    evaluated = "evaluated"  # 回访/评价 done
    merged = "merged"  # 并单 into a parent case


STATUS_LABELS: Final[dict[CaseStatus, tuple[str, str]]] = {
    CaseStatus.accepted: ("已受理", "Accepted"),
    CaseStatus.rejected: ("不予立案", "Not registered"),
    CaseStatus.registered: ("已立案", "Registered"),
    CaseStatus.dispatched: ("已派遣", "Dispatched"),
    CaseStatus.returned: ("已退单", "Returned"),
    CaseStatus.claimed: ("处置中", "In progress"),
    CaseStatus.suspended: ("已挂起", "Suspended"),
    CaseStatus.handled: ("待核查", "Awaiting check"),
    CaseStatus.closed: ("已结案", "Closed"),
    CaseStatus.evaluated: ("已评价", "Rated"),
    CaseStatus.merged: ("已并单", "Merged"),
}

FINAL_STATUSES: Final = frozenset(
    {CaseStatus.rejected, CaseStatus.closed, CaseStatus.evaluated, CaseStatus.merged}
)
"""Statuses Open311 reports as ``closed``."""

CLOCK_RUNNING: Final = frozenset({CaseStatus.dispatched, CaseStatus.claimed, CaseStatus.handled})
"""Statuses in which the disposal clock runs (it starts at dispatch; 挂起 stops it)."""


class Action(enum.StrEnum):
    register = "register"  # 立案
    reject = "reject"  # 不予立案
    dispatch = "dispatch"  # 派遣
    claim = "claim"  # 签收
    return_case = "return"  # 退单
    request_extension = "request_extension"  # 申请延期
    approve_extension = "approve_extension"  # 批准延期
    suspend = "suspend"  # 挂起
    resume = "resume"  # 恢复
    feedback = "feedback"  # 处置反馈
    verify_pass = "verify_pass"  # 核查通过 → 结案
    verify_fail = "verify_fail"  # 核查不通过 → 返工
    rate = "rate"  # 回访/评价
    merge = "merge"  # 并单


_TRIAGE = {Role.call_centre_agent, Role.command_centre_operator, Role.grid_worker}
_DEPT = {Role.department_clerk, Role.department_head}
_COMMAND = {Role.command_centre_operator, Role.call_centre_agent}

TRANSITIONS: Final[dict[tuple[CaseStatus, Action], CaseStatus]] = {
    (CaseStatus.accepted, Action.register): CaseStatus.registered,
    (CaseStatus.accepted, Action.reject): CaseStatus.rejected,
    (CaseStatus.accepted, Action.merge): CaseStatus.merged,
    (CaseStatus.registered, Action.merge): CaseStatus.merged,
    (CaseStatus.registered, Action.dispatch): CaseStatus.dispatched,
    (CaseStatus.returned, Action.dispatch): CaseStatus.dispatched,
    (CaseStatus.dispatched, Action.claim): CaseStatus.claimed,
    (CaseStatus.dispatched, Action.return_case): CaseStatus.returned,
    (CaseStatus.claimed, Action.request_extension): CaseStatus.claimed,
    (CaseStatus.claimed, Action.approve_extension): CaseStatus.claimed,
    (CaseStatus.claimed, Action.suspend): CaseStatus.suspended,
    (CaseStatus.suspended, Action.resume): CaseStatus.claimed,
    (CaseStatus.claimed, Action.feedback): CaseStatus.handled,
    (CaseStatus.handled, Action.verify_pass): CaseStatus.closed,
    (CaseStatus.handled, Action.verify_fail): CaseStatus.claimed,
    (CaseStatus.closed, Action.rate): CaseStatus.evaluated,
}
"""(from status, action) → to status. Anything else is refused with 409."""

ACTION_ROLES: Final[dict[Action, set[Role]]] = {
    Action.register: _TRIAGE,
    Action.reject: _TRIAGE,
    Action.merge: _TRIAGE,
    Action.dispatch: _COMMAND,
    Action.claim: _DEPT,
    Action.return_case: _DEPT,
    Action.request_extension: _DEPT,
    Action.approve_extension: {Role.department_head, Role.command_centre_operator},
    Action.suspend: {Role.department_head, Role.command_centre_operator},
    Action.resume: {Role.department_head, Role.command_centre_operator},
    Action.feedback: _DEPT,
    Action.verify_pass: {Role.grid_worker, Role.command_centre_operator},
    Action.verify_fail: {Role.grid_worker, Role.command_centre_operator},
    Action.rate: _COMMAND,
}
"""Staff roles allowed to take each action (admins may take any)."""

DEPARTMENT_ACTIONS: Final = frozenset(
    {Action.claim, Action.return_case, Action.request_extension, Action.feedback}
)
"""Actions only the case's own department (or an admin) may take."""

MAX_EXTENSION_WORKDAYS: Final = 10
RETURN_WINDOW_WORKDAYS: Final = 2


def next_status(status: CaseStatus, action: Action) -> CaseStatus:
    """The status after ``action``, or a 409 naming the refused move."""
    target = TRANSITIONS.get((status, action))
    if target is None:
        raise DomainError(
            "governance.illegal_transition",
            f"案件当前状态（{STATUS_LABELS[status][0]}）不能执行该操作",
            f"A case in status {status.value} cannot take action {action.value}",
            status=409,
            status_from=status.value,
            action=action.value,
        )
    return target


def allowed_actions(status: CaseStatus) -> list[Action]:
    return [action for (source, action) in TRANSITIONS if source is status]


# --- time limits --------------------------------------------------------------------------


def due_at(calendar: WorkCalendar, start: datetime, *, limit: int, unit: TimeUnit) -> datetime:
    """When a limit counted from ``start`` runs out on the working calendar.

    Hours count working time; days end at the close of the ``limit``-th working day
    after the start day (the start day itself is not counted).
    """
    if unit is TimeUnit.workhours:
        return calendar.add_working_hours(start, limit).at
    local_day = start.astimezone(calendar.zone).date()
    return calendar.end_of_day(calendar.add_workdays(local_day, limit).day)


def extend_due(calendar: WorkCalendar, due: datetime, *, workdays: int) -> datetime:
    """The due time moved ``workdays`` working days later (延期)."""
    local = due.astimezone(calendar.zone)
    day = calendar.add_workdays(local.date(), workdays).day
    return datetime.combine(day, local.timetz().replace(tzinfo=None), calendar.zone)


class ClockState(enum.StrEnum):
    normal = "normal"
    warning = "warning"  # ≥ 80 % of the limit used
    overdue = "overdue"  # past 100 %


WARNING_FRACTION: Final = 0.8


def elapsed_fraction(
    calendar: WorkCalendar, *, started: datetime, due: datetime, now: datetime
) -> float:
    """Share of the working time between ``started`` and ``due`` used by ``now``."""
    total = calendar.working_hours_between(started, due)
    used = calendar.working_hours_between(started, now) if now > started else 0.0
    if total <= 0:
        return 2.0 if now > due else 0.0
    if now > due:
        # Past the deadline counts as overdue even when the extra time is off-hours.
        return max(used / total, 1.0 + 1e-9)
    return used / total


def clock_state(fraction: float) -> ClockState:
    if fraction > 1.0:
        return ClockState.overdue
    if fraction >= WARNING_FRACTION:
        return ClockState.warning
    return ClockState.normal


def escalation_level(fraction: float) -> int:
    """督办 level: 0 none, 1 overdue (department head and command centre), 2 at double time."""
    if fraction >= 2.0:
        return 2
    if fraction > 1.0:
        return 1
    return 0


# --- evaluation ---------------------------------------------------------------------------


def percent(numerator: int, denominator: int) -> Decimal | None:
    """numerator / denominator as a percentage with two decimals, half up; None if 0/0."""
    if denominator == 0:
        return None
    value = Decimal(numerator) * 100 / Decimal(denominator)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Rates:
    due: int
    closed: int
    closed_on_time: int
    reworked: int
    extended: int
    rated: int
    satisfied: int

    @property
    def closure_rate(self) -> Decimal | None:
        """结案率 = 结案数 / 应结案数."""
        return percent(self.closed, self.due)

    @property
    def on_time_rate(self) -> Decimal | None:
        """按期结案率 = 按期结案数 / 应结案数."""
        return percent(self.closed_on_time, self.due)

    @property
    def rework_rate(self) -> Decimal | None:
        """返工率 = 返工案件数 / 应结案数."""
        return percent(self.reworked, self.due)

    @property
    def extension_rate(self) -> Decimal | None:
        """延期率 = 延期案件数 / 应结案数."""
        return percent(self.extended, self.due)

    @property
    def satisfaction_rate(self) -> Decimal | None:
        """回访满意率 = 满意数 / 回访评价数."""
        return percent(self.satisfied, self.rated)


SATISFIED_MIN_RATING: Final = 4
"""A rating of 4 or 5 (of 5) counts as satisfied."""


# --- duplicates ---------------------------------------------------------------------------

DEDUP_RADIUS_M: Final = 250.0
DEDUP_WINDOW_DAYS: Final = 30
DEDUP_MERGE_SIMILARITY: Final = 0.7
"""Bigram similarity from which a same-category candidate is merged without asking."""
BUCKET_LAT_DEG: Final = 0.0025  # about 278 m
BUCKET_LON_DEG: Final = 0.003  # about 274 m at Zhengzhou's latitude (34.7° N)
_BUCKET_ROW: Final = 1_000_000


def bucket_of(lon: float, lat: float) -> int:
    """A coarse square (~275 m) holding the point: an indexed key for "what is near"."""
    row = math.floor((lat + 90.0) / BUCKET_LAT_DEG)
    column = math.floor((lon + 180.0) / BUCKET_LON_DEG)
    return row * _BUCKET_ROW + column


def buckets_around(lon: float, lat: float, radius_m: float) -> list[int]:
    """Every bucket a circle of ``radius_m`` around the point can touch."""
    metres_lat = 111_320.0
    metres_lon = max(1.0, 111_320.0 * math.cos(math.radians(lat)))
    reach_rows = math.ceil(radius_m / (BUCKET_LAT_DEG * metres_lat))
    reach_cols = math.ceil(radius_m / (BUCKET_LON_DEG * metres_lon))
    centre = bucket_of(lon, lat)
    return sorted(
        centre + dr * _BUCKET_ROW + dc
        for dr in range(-reach_rows, reach_rows + 1)
        for dc in range(-reach_cols, reach_cols + 1)
    )


_PUNCTUATION: Final = set("，。、！？；：,.!?;:“”\"'（）() 　\n\t")


def _bigrams(text: str) -> dict[str, int]:
    chars = [c for c in text if c not in _PUNCTUATION]
    grams: dict[str, int] = {}
    for a, b in zip(chars, chars[1:], strict=False):
        grams[a + b] = grams.get(a + b, 0) + 1
    return grams


def text_similarity(a: str, b: str) -> float:
    """Cosine similarity of character bigram counts (0 … 1); robust to word order."""
    ga, gb = _bigrams(a), _bigrams(b)
    if not ga or not gb:
        return 0.0
    dot = sum(count * gb.get(gram, 0) for gram, count in ga.items())
    norm = (sum(v * v for v in ga.values()) * sum(v * v for v in gb.values())) ** 0.5
    return dot / norm


def duplicate_score(*, distance_m: float, radius_m: float, similarity: float) -> float:
    """Ranking score: mostly text similarity, some nearness."""
    nearness = max(0.0, 1.0 - distance_m / radius_m) if radius_m > 0 else 0.0
    return round(0.7 * similarity + 0.3 * nearness, 4)


def is_confident_duplicate(*, same_category: bool, similarity: float) -> bool:
    """Merge without asking: same category and nearly the same words (a repeat report).

    Measured on synthetic pairs (``tests/governance/test_dedupe_quality.py``): two people
    describing one problem in their own words score 0–0.6 in bigram similarity, and so do
    two different problems at the same corner, whose texts share the place names and the
    hotline's stock phrases — so nothing below ``DEDUP_MERGE_SIMILARITY`` can be merged
    automatically without losing reports. Nearness does not help: the wrong merges of the
    former rule (≤ 50 m and ≥ 0.3) were all a few metres apart. Those pairs are offered
    to the agent instead.
    """
    return same_category and similarity >= DEDUP_MERGE_SIMILARITY
