"""Events servicehub writes to the outbox (ids and codes only, no personal data)."""

from __future__ import annotations

from dataclasses import dataclass

from citybrain.core.outbox import Event


@dataclass(frozen=True)
class CatalogImported(Event):
    name = "servicehub.catalog_imported"
    imported: int
    rejected_rows: int


@dataclass(frozen=True)
class ApplicationSubmitted(Event):
    name = "servicehub.application_submitted"
    application_id: int
    bundle_id: int | None
    task_count: int


@dataclass(frozen=True)
class TaskStepTaken(Event):
    name = "servicehub.task_step_taken"
    application_id: int
    task_id: int
    department_id: int
    action: str
    status: str


@dataclass(frozen=True)
class ApplicationCompleted(Event):
    name = "servicehub.application_completed"
    application_id: int
    status: str


@dataclass(frozen=True)
class LicenceIssued(Event):
    name = "servicehub.licence_issued"
    licence_id: int
    type_code: str
    issuer_department_id: int
