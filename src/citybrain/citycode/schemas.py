"""Pydantic in/out of the city code API. Every string and number is bounded."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field

from citybrain.citycode.rules import LevelPolicy, Rule, VenueKind
from citybrain.core.schemas import DbId, Schema

CodeText = Annotated[str, Field(min_length=1, max_length=4096)]
Colour = Literal["green", "yellow", "red"]
DivisionCode = Annotated[str, Field(pattern=r"^[0-9]{6}$")]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
Latitude = Annotated[float, Field(ge=-90, le=90)]


class CodeIn(Schema):
    person_id: DbId | None = Field(None, description="Staff only: whose code to make.")


class CodeOut(Schema):
    code: str
    qr_svg: str
    status: str
    reason: str
    reason_en: str
    rule_version: int
    expires_at: datetime
    refresh_seconds: int


class VerifyIn(Schema):
    code: CodeText
    at: AwareDatetime | None = None


class VerifyOut(Schema):
    valid: bool
    stage: str | None
    reason: str | None
    kind: str | None
    kid: str | None
    alg: str | None
    signer: str | None
    claims: dict[str, Any] | None


class ResolveIn(Schema):
    code: CodeText


class ResolveOut(Schema):
    purpose: str
    passes: bool
    status: str
    name: str | None = None
    id_number: str | None = None
    insurance_number: str | None = None


class StatusOut(Schema):
    colour: str
    reason: str
    reason_en: str
    rule_id: str
    rule_version: int
    source: str
    legal_basis: str
    changed_at: datetime


class StatusChangeOut(Schema):
    from_colour: str
    to_colour: str
    rule_id: str
    rule_version: int
    source: str
    legal_basis: str
    actor: str
    changed_at: datetime


class MyStatusOut(Schema):
    status: StatusOut
    history: list[StatusChangeOut]


Symptom = Literal["fever", "cough", "fatigue", "sore_throat", "loss_of_smell", "none"]


class HealthDeclarationIn(Schema):
    symptoms: list[Symptom] = Field(default_factory=list, max_length=6)
    temperature_c: float | None = Field(None, ge=34, le=43)


class TripDeclarationIn(Schema):
    division_code: DivisionCode
    visited_on: date


class RecordIn(Schema):
    person_id: DbId
    kind: Literal["test", "vaccination", "trip", "declaration", "close_contact"]
    value: str = Field(min_length=1, max_length=64)
    observed_at: AwareDatetime
    source: str = Field(min_length=1, max_length=64)


class EmergencyLevelIn(Schema):
    level: int = Field(ge=0, le=4)
    legal_basis: ShortText


class EmergencyLevelOut(Schema):
    division_code: str
    level: int
    legal_basis: str
    set_by: str
    set_at: datetime


class RuleSetIn(Schema):
    rules: list[Rule] = Field(min_length=1, max_length=100)
    risk_areas: list[DivisionCode] = Field(default_factory=list, max_length=1000)


class RuleSetOut(Schema):
    version: int
    body: dict[str, Any]
    published_by: str
    published_at: datetime
    is_active: bool


class ManualChangeIn(Schema):
    person_id: DbId
    colour: Colour
    reason: ShortText
    legal_basis: ShortText
    valid_days: int = Field(14, ge=1, le=28)


class DecisionIn(Schema):
    approve: bool


class ManualChangeOut(Schema):
    id: int
    person_id: int
    colour: str
    reason: str
    legal_basis: str
    proposed_by: str
    decided_by: str | None
    status: str
    valid_until: datetime


class CorrectionIn(Schema):
    reason: ShortText


class CorrectionResolutionIn(Schema):
    accepted: bool
    resolution: ShortText


class CorrectionOut(Schema):
    id: int
    person_id: int
    colour_disputed: str
    owner_department_id: int | None
    deadline_date: date
    deadline_provisional: bool
    status: str
    resolution: str


class KeyIn(Schema):
    usage: Literal["person", "venue", "trust_list"]
    profile: Literal["es256", "ed25519", "sm2"] | None = None


class KeyRevokeIn(Schema):
    reason: ShortText


class KeyOut(Schema):
    id: int
    kid: str
    profile: str
    usage: str
    status: str
    created_at: datetime


class TrustListOut(Schema):
    version: int
    issued_at: datetime
    expires_at: datetime
    key_count: int
    document: str = Field(description="Base64 of the zlib-compressed COSE_Sign1.")
    anchor: str = Field(description="Base64 DER of the trust-list signer's public key.")


class VenueIn(Schema):
    kind: VenueKind
    name: ShortText
    operator_name: ShortText
    address: ShortText
    lon: Longitude
    lat: Latitude
    policy: dict[Literal["0", "1", "2", "3", "4"], LevelPolicy] | None = None
    dwell_minutes: int | None = Field(None, ge=1, le=1440)
    min_overlap_minutes: int | None = Field(None, ge=0, le=1440)


class VenueOut(Schema):
    id: int
    kind: str
    name: str
    operator_name: str
    address: str
    lon: float
    lat: float
    grid_cell_code: str | None
    division_code: str
    policy: dict[str, Any]
    dwell_minutes: int
    min_overlap_minutes: int


class MemberIn(Schema):
    person_id: DbId


class DeviceIn(Schema):
    name: ShortText
    public_key: str = Field(min_length=1, max_length=200, description="Base64 DER, Ed25519.")


class DeviceOut(Schema):
    id: int
    venue_id: int
    name: str


class VenueCodeOut(Schema):
    code: str
    qr_svg: str
    valid_until: datetime


class DoorCheckIn(Schema):
    code: CodeText


class CheckInIn(Schema):
    code: CodeText
    lon: Longitude | None = None
    lat: Latitude | None = None


class DoorCheckOut(Schema):
    outcome: str
    label: str
    label_en: str
    scan_id: str
    venue_id: int
    failed_stage: str | None
    reason: str | None


class ScanItemIn(Schema):
    scan_id: str = Field(min_length=8, max_length=36, pattern=r"^[0-9A-Za-z-]+$")
    person_token: str | None = Field(None, pattern=r"^[0-9a-f]{32}$")
    outcome: Literal["pass", "status_abnormal", "test_overdue", "no_valid_code", "not_registered"]
    scanned_at: AwareDatetime


class ScanBatchIn(Schema):
    device_id: DbId
    batch_id: str = Field(min_length=1, max_length=64)
    scans: list[ScanItemIn] = Field(min_length=1, max_length=5000)
    signature: str = Field(min_length=1, max_length=200, description="Base64 Ed25519 signature.")


class ScanBatchAck(Schema):
    batch_id: str
    received: int
    stored: int
    duplicates: int
    acknowledged: list[str]


class ScanOut(Schema):
    scan_id: str
    venue_id: int
    outcome: str
    method: str
    scanned_at: datetime


class TraceIn(Schema):
    case_id: str = Field(min_length=1, max_length=64)
    person_id: DbId
    second_hop: bool = False
    days: int = Field(14, ge=1, le=14)


class ContactOut(Schema):
    hop: int
    person_id: int | None
    name: str
    id_number: str
    venue_id: int
    venue: str
    met_at: str
    overlap_minutes: int


class TraceOut(Schema):
    id: int
    case_id: str
    asked_by: str
    asked_at: datetime
    second_hop: bool
    contacts: list[ContactOut]


class PurgeIn(Schema):
    retention_days: int | None = Field(None, ge=1, le=28)


class CountOut(Schema):
    count: int


class UseApplicationIn(Schema):
    organisation: ShortText
    purpose: Literal["hospital", "gate"]


class UseApplicationOut(Schema):
    id: int
    organisation: str
    purpose: str
    status: str
    api_key: str | None = Field(None, description="Shown once, when the application is approved.")
