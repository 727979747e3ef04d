"""Pydantic in/out shapes of servicehub's API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from citybrain.core.schemas import DbId, Schema

Text200 = Annotated[str, Field(max_length=200)]
Key = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]


class FieldIn(Schema):
    key: Key
    title: Annotated[str, Field(min_length=1, max_length=64)]
    title_en: Annotated[str, Field(max_length=100)] = ""
    type: Literal["string", "number", "boolean"] = "string"
    required: bool = True
    max_length: Annotated[int, Field(ge=1, le=2000)] = 200
    pattern: Annotated[str | None, Field(max_length=200)] = None
    prefill: Annotated[str | None, Field(max_length=64)] = None


class MaterialIn(Schema):
    key: Key
    name: Annotated[str, Field(min_length=1, max_length=200)]
    form: Literal["paper", "electronic", "both"] = "electronic"
    necessity: Literal["必要", "非必要", "容缺后补"] = "必要"
    source: Literal["applicant", "government", "other"] = "applicant"
    replaced_by: Annotated[str | None, Field(max_length=32)] = None


class ItemIn(Schema):
    catalog_code: Annotated[str, Field(min_length=1, max_length=12)]
    task_code: Annotated[str, Field(min_length=1, max_length=36)]
    name: Annotated[str, Field(min_length=1, max_length=128)]
    item_type: Annotated[str, Field(max_length=8)]
    department: Annotated[str, Field(min_length=1, max_length=64)]
    legal_basis: Annotated[str, Field(max_length=500)] = ""
    legal_days: Annotated[int | None, Field(ge=0, le=1000)] = None
    promised_days: Annotated[int, Field(ge=0, le=1000)]
    handling_kind: Annotated[str, Field(max_length=8)]
    visits: Annotated[int, Field(ge=0, le=20)] = 0
    visit_reason: Text200 = ""
    online_level: Annotated[int, Field(ge=1, le=4)]
    app_enabled: bool = False
    mail_delivery: bool = False
    has_fee: bool = False
    fee_note: Text200 = ""
    online_payment: bool = False
    result_type: Annotated[str, Field(max_length=8)] = "审批办结"
    result_name: Annotated[str, Field(max_length=128)] = ""
    licence_type: Annotated[str | None, Field(max_length=32)] = None
    acceptance_conditions: Annotated[str, Field(max_length=500)] = ""
    process: Literal["approval_simple", "approval_parallel"] = "approval_simple"
    form_fields: Annotated[list[FieldIn], Field(max_length=50)] = []
    materials: Annotated[list[MaterialIn], Field(max_length=60)] = []
    note: Annotated[str, Field(max_length=500)] = ""


class MaterialOut(Schema):
    key: str
    name: str
    form: str
    necessity: str
    source: str
    replaced_by: str | None


class ItemOut(Schema):
    id: int
    catalog_code: str
    task_code: str
    name: str
    item_type: str
    department_id: int
    department_name: str = ""
    legal_days: int | None
    promised_days: int
    handling_kind: str
    visits: int
    visit_reason: str
    online_level: int
    app_enabled: bool
    mail_delivery: bool
    has_fee: bool
    online_payment: bool
    result_type: str
    licence_type: str | None
    process: str
    materials: list[MaterialOut] = []


class ImportRejection(Schema):
    row: int
    rule: str
    message: str
    message_en: str


class ImportReport(Schema):
    imported: int
    rejected: list[ImportRejection]


class BundleSummary(Schema):
    id: int
    code: str
    name: str
    audience: str
    lead_department_id: int
    member_count: int
    limit_days: int
    generated: bool


class PlanMember(Schema):
    item_id: int
    name: str
    department_id: int
    department_name: str
    promised_days: int
    requires: list[int]


class PlanMaterial(Schema):
    key: str
    name: str
    status: str  # licence / form / needed / deferred
    licence_id: int | None = None
    licence_name: str = ""
    items: list[str]


class Reductions(Schema):
    separately: dict[str, int]
    bundled: dict[str, int]


class BundlePlan(Schema):
    bundle_id: int
    name: str
    questions: list[dict[str, Any]]
    answers: dict[str, str]
    lead_department_id: int
    departments: list[str]
    members: list[PlanMember]
    form_schema: dict[str, Any]
    prefill: dict[str, Any]
    materials: list[PlanMaterial]
    limit_days: int
    reductions: Reductions


Answers = Annotated[
    dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=64)]],
    Field(max_length=30),
]


class PlanIn(Schema):
    answers: Answers = {}


class ApplyIn(Schema):
    answers: Answers = {}
    form: Annotated[dict[Annotated[str, Field(max_length=64)], Any], Field(max_length=100)] = {}
    enterprise_id: DbId | None = None


class StepIn(Schema):
    action: Literal[
        "accept", "refuse", "request_correction", "review", "decide", "suspend", "resume"
    ]
    step: Annotated[str | None, Field(max_length=64)] = None
    granted: bool | None = None
    reason: Annotated[str, Field(max_length=500)] = ""
    materials: Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=60)] = []


class ClockOut(Schema):
    limit_days: int
    used_days: int
    due_on: date | None
    share: float
    state: str
    provisional: bool


class TaskOut(Schema):
    id: int
    item_id: int
    item_name: str
    department_id: int
    department_name: str
    status: str
    ready_steps: list[str]
    clock: ClockOut
    correction_materials: list[str]
    reason: str
    licence_number: str | None = None


class ApplicationMaterialOut(Schema):
    key: str
    name: str
    status: str


class ApplicationOut(Schema):
    id: int
    number: str
    title: str
    status: str
    applicant: str
    submitted_at: datetime
    completed_at: datetime | None
    limit_days: int
    expected_on: date | None
    tasks: list[TaskOut]
    materials: list[ApplicationMaterialOut]


class InboxRow(Schema):
    task_id: int
    application_id: int
    number: str
    item_name: str
    status: str
    due_on: date | None
    clock_state: str
    ready_steps: list[str]


class LicenceOut(Schema):
    id: int
    type_code: str
    type_name: str
    number: str
    holder_kind: str
    issuer_department_id: int
    issued_on: date
    valid_until: date | None
    valid: bool
    signature_ok: bool
