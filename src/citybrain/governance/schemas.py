"""Pydantic in/out models of the governance API. Bounded everywhere."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from citybrain.core.schemas import DbId, Schema

Description = Annotated[str, Field(min_length=1, max_length=4000)]
Lon = Annotated[float, Field(ge=-180, le=180)]
Lat = Annotated[float, Field(ge=-90, le=90)]
Crs = Literal["wgs84", "gcj02", "bd09"]
CategoryCode = Annotated[str, Field(min_length=2, max_length=8, pattern=r"^[A-Z0-9]+$")]
Reason = Annotated[str, Field(max_length=500)]


class CategoryOut(Schema):
    code: str
    kind: str
    major: str
    name: str
    gb2026_code: str
    department: str
    duty_rule: str
    time_limit: int
    time_unit: str
    time_limit_published: bool


class CaseIn(Schema):
    """A report from the hotline form, the app, a grid worker or a sensor (JSON)."""

    channel: Literal["hotline", "app", "grid", "sensor"] = "hotline"
    description: Description
    category_code: CategoryCode | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    crs: Crs = "wgs84"
    address: Annotated[str, Field(max_length=200)] = ""
    caller_name: Annotated[str, Field(max_length=64)] = ""
    caller_phone: Annotated[str, Field(max_length=20)] = ""
    external_id: Annotated[str | None, Field(max_length=64)] = None


class SuggestIn(Schema):
    description: Description
    lon: Lon | None = None
    lat: Lat | None = None
    crs: Crs = "wgs84"
    address: Annotated[str, Field(max_length=200)] = ""


class SuggestionOut(Schema):
    category_code: str
    category_name: str
    department: str
    confidence: float
    confident: bool


class CandidateOut(Schema):
    case_id: int
    category_code: str
    distance_m: float
    similarity: float
    score: float
    same_category: bool
    confident: bool


class PlaceOut(Schema):
    division_code: str | None
    division_name: str | None = None
    street_code: str | None
    street_name: str | None = None
    grid_cell_code: str | None = None
    source: str


class SuggestOut(Schema):
    suggestions: list[SuggestionOut]
    place: PlaceOut
    duplicates: list[CandidateOut]


class CaseOut(Schema):
    id: int
    channel: str
    status: str
    status_label: str
    category_code: str | None
    category_name: str | None
    suggested_category_code: str | None
    category_confidence: float | None
    needs_triage: bool
    description: str
    address: str
    lon: float | None
    lat: float | None
    grid_cell_code: str | None
    street_code: str | None
    division_code: str | None
    department_id: int | None
    parent_id: int | None
    time_limit: int
    time_unit: str
    accepted_at: datetime
    dispatched_at: datetime | None
    due_at: datetime | None
    closed_at: datetime | None
    clock_percent: int | None
    clock_state: str | None
    escalation_level: int
    rework_count: int
    extension_workdays: int
    rating: int | None


class IntakeOut(Schema):
    case: CaseOut
    merged_into: int | None
    duplicates: list[CandidateOut]
    suggestion: SuggestionOut | None


class CasePage(Schema):
    items: list[CaseOut]
    total: int


class TransitionOut(Schema):
    action: str
    from_status: str | None
    to_status: str
    actor_name: str
    reason: str
    occurred_at: datetime


class ReporterOut(Schema):
    channel: str
    name_masked: str
    phone_masked: str | None
    email_masked: str | None
    reported_at: datetime


class CaseDetailOut(Schema):
    case: CaseOut
    transitions: list[TransitionOut]
    reporters: list[ReporterOut]
    allowed_actions: list[str]


class ActionIn(Schema):
    """A lifecycle step; the extra fields apply to the actions named beside them."""

    action: Literal[
        "register",
        "reject",
        "dispatch",
        "claim",
        "return",
        "request_extension",
        "approve_extension",
        "suspend",
        "resume",
        "feedback",
        "verify_pass",
        "verify_fail",
        "rate",
    ]
    reason: Reason = ""
    category_code: CategoryCode | None = None  # register
    department_id: DbId | None = None  # dispatch
    workdays: Annotated[int | None, Field(ge=1, le=10)] = None  # request_extension
    rating: Annotated[int | None, Field(ge=1, le=5)] = None  # rate


class MergeIn(Schema):
    parent_id: DbId


class EscalationOut(Schema):
    escalated: list[int]


class IndicatorsOut(Schema):
    due: int
    closed: int
    closed_on_time: int
    reworked: int
    extended: int
    rated: int
    satisfied: int
    closure_rate: Decimal | None
    on_time_rate: Decimal | None
    rework_rate: Decimal | None
    extension_rate: Decimal | None
    satisfaction_rate: Decimal | None


class NotificationOut(Schema):
    case_id: int
    status: str
    message: str
    created_at: datetime
