"""Events the city code emits (payloads hold ids and codes, never personal data)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from citybrain.core.outbox import Event


@dataclass(frozen=True)
class KeyRotated(Event):
    """citycode.key_rotated: a new signer key became active for a usage."""

    name: ClassVar[str] = "citycode.key_rotated"
    key_id: int
    kid: str
    usage: str


@dataclass(frozen=True)
class KeyRevoked(Event):
    """citycode.key_revoked: a signer key was taken out of the trust list."""

    name: ClassVar[str] = "citycode.key_revoked"
    key_id: int
    kid: str


@dataclass(frozen=True)
class TrustListPublished(Event):
    """citycode.trust_list_published: checkpoints should fetch this version."""

    name: ClassVar[str] = "citycode.trust_list_published"
    version: int
    key_count: int


@dataclass(frozen=True)
class EmergencyLevelSet(Event):
    """citycode.emergency_level_set: a division's response level changed."""

    name: ClassVar[str] = "citycode.emergency_level_set"
    division_code: str
    level: int


@dataclass(frozen=True)
class StatusChanged(Event):
    """citycode.status_changed: a person's colour changed (by rule or by four eyes)."""

    name: ClassVar[str] = "citycode.status_changed"
    person_id: int
    from_colour: str
    to_colour: str
    rule_id: str
    manual: bool


@dataclass(frozen=True)
class DoorChecked(Event):
    """citycode.door_checked: a person's code was checked at a venue (outcome only)."""

    name: ClassVar[str] = "citycode.door_checked"
    venue_id: int
    outcome: str


@dataclass(frozen=True)
class ScansIngested(Event):
    """citycode.scans_ingested: a batch of scans was stored."""

    name: ClassVar[str] = "citycode.scans_ingested"
    device_id: int
    stored: int
    duplicates: int


@dataclass(frozen=True)
class ContactsTraced(Event):
    """citycode.contacts_traced: a tracing query ran for a case."""

    name: ClassVar[str] = "citycode.contacts_traced"
    trace_id: int
    case_id: str
    contacts: int


@dataclass(frozen=True)
class ScansPurged(Event):
    """citycode.scans_purged: scans past the retention limit were deleted."""

    name: ClassVar[str] = "citycode.scans_purged"
    deleted: int
    retention_days: int


@dataclass(frozen=True)
class CorrectionFiled(Event):
    """citycode.correction_filed: a resident disputes their status (纠错)."""

    name: ClassVar[str] = "citycode.correction_filed"
    correction_id: int
    department_id: int | None
