"""Pydantic shapes of the portal's own API: the service search and the staff inbox."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import StringConstraints

from citybrain.core.schemas import Schema

Pillar = Literal["servicehub", "governance"]
Level = Literal["normal", "warning", "overdue", "none"]


class SearchHitOut(Schema):
    kind: Literal["bundle", "item"]
    id: int
    name: str
    matched: str
    audience: str
    department: str
    href: str


class SearchPage(Schema):
    query: str
    items: list[SearchHitOut]


class InboxRowOut(Schema):
    key: str
    pillar: Pillar
    kind: Literal["application", "case"]
    id: int
    ref: str
    title: str
    summary: str
    status: str
    status_label: str
    received_at: datetime | None
    deadline: datetime | None
    remaining: float | None
    remaining_unit: Literal["workdays", "workhours"] | None
    remaining_label: str
    remaining_label_en: str
    level: Level
    level_label: str
    escalation_level: int
    href: str
    bulk_action: Literal["accept", "claim"] | None


class InboxPage(Schema):
    total: int
    truncated: bool  # more open work than the inbox reads; narrow it with the filters
    page: int
    page_size: int
    pages: int
    items: list[InboxRowOut]


class ServiceFiguresOut(Schema):
    open_tasks: int
    overdue_tasks: int
    warning_tasks: int
    decided_tasks: int
    on_time_rate: float | None
    average_working_days: float | None
    ratings: int
    average_rating: float | None


class CaseFiguresOut(Schema):
    start: date
    end: date
    due: int
    closed: int
    closure_rate: Decimal | None
    on_time_rate: Decimal | None
    rework_rate: Decimal | None
    extension_rate: Decimal | None
    satisfaction_rate: Decimal | None


class BulkIn(Schema):
    action: Literal["accept", "claim"]
    keys: list[Annotated[str, StringConstraints(max_length=32)]]  # how many: the service says


class BulkResultOut(Schema):
    key: str
    ok: bool
    status: str | None = None
    code: str | None = None
    message: str = ""
    message_en: str = ""


class BulkOut(Schema):
    action: str
    succeeded: int
    failed: int
    results: list[BulkResultOut]


class FiguresOut(Schema):
    """A department head's figures; null for a clerk."""

    services: ServiceFiguresOut | None
    cases: CaseFiguresOut | None
    overdue: int | None
