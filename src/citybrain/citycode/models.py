"""Tables of the city code, all named citycode_*.

Scans, venue-code uses and trace results hold only the pseudonymous person token
(16 bytes as hex), never a name or 身份证号; free text from residents is encrypted.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.core.db import Base, utcnow


class SignerKey(Base):
    """A key that signs personal codes, venue codes or the trust list (private key encrypted)."""

    __tablename__ = "citycode_signer_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(16), index=True)
    profile: Mapped[str] = mapped_column(String(16))  # es256, ed25519, sm2
    usage: Mapped[str] = mapped_column(String(16))  # person, venue, trust_list
    public_key_der: Mapped[bytes] = mapped_column(LargeBinary)
    private_key_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active/retired/revoked
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class TrustList(Base):
    """One published version of the signed list of signer keys (a COSE_Sign1)."""

    __tablename__ = "citycode_trust_list"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    issued_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    document: Mapped[bytes] = mapped_column(LargeBinary)
    key_count: Mapped[int] = mapped_column(Integer)


class EmergencyLevel(Base):
    """The emergency response level in force for a division (0 = normal times)."""

    __tablename__ = "citycode_emergency_level"

    division_code: Mapped[str] = mapped_column(
        ForeignKey("regions_division.code"), primary_key=True
    )
    level: Mapped[int] = mapped_column(Integer)
    legal_basis: Mapped[str] = mapped_column(String(200))
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)


class RuleSet(Base):
    """A published, versioned set of status rules (data, not code)."""

    __tablename__ = "citycode_rule_set"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_by: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)


class HealthRecord(Base):
    """One datum a rule may use: a test, a vaccination, a trip, a declaration, a contact flag."""

    __tablename__ = "citycode_health_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("identity_person.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    source: Mapped[str] = mapped_column(String(64))
    observed_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PersonStatus(Base):
    """A person's current colour and why; the token links pseudonymous scans to them."""

    __tablename__ = "citycode_person_status"

    person_id: Mapped[int] = mapped_column(ForeignKey("identity_person.id"), primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    colour: Mapped[str] = mapped_column(String(8), default="none")
    rule_version: Mapped[int] = mapped_column(Integer, default=0)
    rule_id: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(String(200), default="")
    reason_en: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(64), default="")
    legal_basis: Mapped[str] = mapped_column(String(200), default="")
    changed_by: Mapped[str] = mapped_column(String(64), default="")
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    manual_change_id: Mapped[int | None] = mapped_column(ForeignKey("citycode_manual_change.id"))
    last_negative_test_at: Mapped[datetime | None] = mapped_column()


class StatusChange(Base):
    """Every colour change with its rule, data source, legal basis and actor."""

    __tablename__ = "citycode_status_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("identity_person.id"), index=True)
    from_colour: Mapped[str] = mapped_column(String(8))
    to_colour: Mapped[str] = mapped_column(String(8))
    rule_version: Mapped[int] = mapped_column(Integer)
    rule_id: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    legal_basis: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(64))
    manual_change_id: Mapped[int | None] = mapped_column(ForeignKey("citycode_manual_change.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ManualChange(Base):
    """A hand-made colour change: proposed by one official, applied only when another approves."""

    __tablename__ = "citycode_manual_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("identity_person.id"), index=True)
    colour: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(String(200))
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="pending")
    valid_until: Mapped[datetime] = mapped_column()


class Correction(Base):
    """A resident's correction request (纠错) with a deadline and an owning department."""

    __tablename__ = "citycode_correction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("identity_person.id"), index=True)
    colour_disputed: Mapped[str] = mapped_column(String(8))
    reason_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    owner_department_id: Mapped[int | None] = mapped_column(ForeignKey("identity_department.id"))
    deadline_date: Mapped[date] = mapped_column(Date)
    deadline_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="open")
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolution: Mapped[str] = mapped_column(String(200), default="")


class Venue(Base):
    """A place of one of four kinds, with a policy per emergency level."""

    __tablename__ = "citycode_venue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    operator_name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    grid_cell_code: Mapped[str | None] = mapped_column(String(32), index=True)
    division_code: Mapped[str] = mapped_column(String(12))
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    dwell_minutes: Mapped[int] = mapped_column(Integer)
    min_overlap_minutes: Mapped[int] = mapped_column(Integer)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("identity_department.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VenueMember(Base):
    """A person pre-registered at a venue (resident of a compound, employee of a unit)."""

    __tablename__ = "citycode_venue_member"
    __table_args__ = (UniqueConstraint("venue_id", "person_token"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("citycode_venue.id"))
    person_token: Mapped[str] = mapped_column(String(32))


class Device(Base):
    """A checkpoint device at a venue; it signs its scan batches with its Ed25519 key."""

    __tablename__ = "citycode_device"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("citycode_venue.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    public_key_der: Mapped[bytes] = mapped_column(LargeBinary)
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()


class VenueCodeUse(Base):
    """One use of one venue-code instance by one person: a second use is a replay."""

    __tablename__ = "citycode_venue_code_use"
    __table_args__ = (UniqueConstraint("nonce", "person_token"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("citycode_venue.id"))
    nonce: Mapped[str] = mapped_column(String(16))
    person_token: Mapped[str] = mapped_column(String(32))
    used_at: Mapped[datetime] = mapped_column(index=True)


class Scan(Base):
    """One presence record at a venue (scan instant, outcome), keyed by the device's scan id."""

    __tablename__ = "citycode_scan"
    __table_args__ = (
        Index("ix_citycode_scan_venue_at", "venue_id", "scanned_at"),
        Index("ix_citycode_scan_token_at", "person_token", "scanned_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_id: Mapped[str] = mapped_column(String(36), unique=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("citycode_venue.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("citycode_device.id"))
    person_token: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))
    scanned_at: Mapped[datetime] = mapped_column(index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class TraceQuery(Base):
    """One contact-tracing question, always tied to a case."""

    __tablename__ = "citycode_trace_query"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    index_person_id: Mapped[int] = mapped_column(ForeignKey("identity_person.id"))
    asked_by: Mapped[str] = mapped_column(String(64))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    window_days: Mapped[int] = mapped_column(Integer)
    second_hop: Mapped[bool] = mapped_column(Boolean)
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class UseApplication(Base):
    """An organisation's application to use the code (健康码调用申请) for one purpose."""

    __tablename__ = "citycode_use_application"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(16))  # hospital, gate
    applied_by: Mapped[str] = mapped_column(String(64))
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(64))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("identity_api_key.id"))
