"""Events the governance pillar writes to the outbox. Payloads: ids and codes only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from citybrain.core.outbox import Event


@dataclass(frozen=True)
class CaseAccepted(Event):
    """governance.case_accepted: a report was taken in (受理) from some channel."""

    name: ClassVar[str] = "governance.case_accepted"
    case_id: int
    channel: str
    category_code: str | None
    division_code: str | None
    grid_cell_code: str | None


@dataclass(frozen=True)
class CaseTransitioned(Event):
    """governance.case_transitioned: a lifecycle step (立案, 派遣, 签收, 结案 ...)."""

    name: ClassVar[str] = "governance.case_transitioned"
    case_id: int
    action: str
    from_status: str
    to_status: str
    department_id: int | None


@dataclass(frozen=True)
class CaseDispatched(Event):
    """governance.case_dispatched: a case was handed to a department."""

    name: ClassVar[str] = "governance.case_dispatched"
    case_id: int
    department_id: int
    due_at: str


@dataclass(frozen=True)
class CaseMerged(Event):
    """governance.case_merged: a repeat report was merged (并单) into a parent case."""

    name: ClassVar[str] = "governance.case_merged"
    case_id: int
    parent_id: int
    automatic: bool


@dataclass(frozen=True)
class CaseClosed(Event):
    """governance.case_closed: a case passed its check and was closed (结案)."""

    name: ClassVar[str] = "governance.case_closed"
    case_id: int
    department_id: int | None
    on_time: bool


@dataclass(frozen=True)
class CaseEscalated(Event):
    """governance.case_escalated: an overdue case was escalated (督办)."""

    name: ClassVar[str] = "governance.case_escalated"
    case_id: int
    department_id: int | None
    level: int
