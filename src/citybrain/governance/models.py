"""Tables of the governance pillar: cases (事件/工单), their reporters, transitions,
notifications and photos. All named ``governance_*``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.core.db import Base, utcnow


class Case(Base):
    """One event (一事件) with one owner, from intake to evaluation.

    Location is stored in WGS-84 (``lon``/``lat``) with the grid cell, street and
    district it falls in; when a report has only an address, the gazetteer fills
    the district and street and the point stays empty. ``parent_id`` is set on a
    case merged (并单) into another; its reporters are then followed on the parent.
    Times are UTC; the disposal clock starts at dispatch (``clock_started_at``).
    """

    __tablename__ = "governance_case"
    __table_args__ = (
        Index("ix_governance_case_bucket_category", "geo_bucket", "category_code"),
        Index("ix_governance_case_status_due", "status", "due_at"),
        Index("ix_governance_case_category_accepted", "category_code", "accepted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    category_code: Mapped[str | None] = mapped_column(String(8))
    suggested_category_code: Mapped[str | None] = mapped_column(String(8))
    category_confidence: Mapped[float | None] = mapped_column(Float)
    needs_triage: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(String(200), default="")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    location_source: Mapped[str] = mapped_column(String(16), default="none")
    geo_bucket: Mapped[int | None] = mapped_column(BigInteger)
    grid_cell_code: Mapped[str | None] = mapped_column(String(20), index=True)
    street_code: Mapped[str | None] = mapped_column(String(12))
    division_code: Mapped[str | None] = mapped_column(String(6), index=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("identity_department.id"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("governance_case.id"), index=True)
    media_url: Mapped[str] = mapped_column(String(500), default="")
    time_limit: Mapped[int] = mapped_column(Integer, default=5)
    time_unit: Mapped[str] = mapped_column(String(16), default="workdays")
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)
    registered_at: Mapped[datetime | None] = mapped_column()
    dispatched_at: Mapped[datetime | None] = mapped_column()
    clock_started_at: Mapped[datetime | None] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column()
    suspended_at: Mapped[datetime | None] = mapped_column()
    claimed_at: Mapped[datetime | None] = mapped_column()
    handled_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_on_time: Mapped[bool | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    extension_requested_workdays: Mapped[int] = mapped_column(Integer, default=0)
    extension_workdays: Mapped[int] = mapped_column(Integer, default=0)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str] = mapped_column(String(500), default="")


class CaseReporter(Base):
    """A person who reported the problem; every reporter of a merged case is kept.

    Phone and e-mail are encrypted with a blind index; only masked forms are shown.
    ``original_case_id`` is the case they filed (a merged child or the parent itself).
    """

    __tablename__ = "governance_case_reporter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("governance_case.id"), index=True)
    original_case_id: Mapped[int] = mapped_column(ForeignKey("governance_case.id"))
    channel: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("identity_person.id"))
    name_masked: Mapped[str] = mapped_column(String(64), default="")
    phone_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(11))
    email_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    email_masked: Mapped[str | None] = mapped_column(String(80))
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseTransition(Base):
    """One step of a case's lifecycle: who moved it, when, from what to what, and why."""

    __tablename__ = "governance_case_transition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("governance_case.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(String(500), default="")
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """A progress message owed to one reporter (delivered by the app's inbox)."""

    __tablename__ = "governance_notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("governance_case.id"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("governance_case_reporter.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CasePhoto(Base):
    """A photo of the problem (at report) or of the fix (at feedback); JPEG/PNG/WebP."""

    __tablename__ = "governance_case_photo"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("governance_case.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16), default="report")
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
