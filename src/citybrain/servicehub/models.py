"""servicehub tables: catalog items and materials, bundles, applications, e-licences."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citybrain.core.db import Base, utcnow


class ServiceItem(Base):
    """One implementation-list entry (实施清单事项) of a department."""

    __tablename__ = "servicehub_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalog_code: Mapped[str] = mapped_column(String(12), index=True)
    task_code: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    item_type: Mapped[str] = mapped_column(String(8))
    department_id: Mapped[int] = mapped_column(ForeignKey("identity_department.id"), index=True)
    legal_basis: Mapped[str] = mapped_column(String(500), default="")
    legal_days: Mapped[int | None] = mapped_column(Integer)
    promised_days: Mapped[int] = mapped_column(Integer)
    handling_kind: Mapped[str] = mapped_column(String(8))  # 即办件 / 承诺件
    visits: Mapped[int] = mapped_column(Integer, default=0)
    visit_reason: Mapped[str] = mapped_column(String(200), default="")
    online_level: Mapped[int] = mapped_column(Integer)  # 网办深度 1..4
    app_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    mail_delivery: Mapped[bool] = mapped_column(Boolean, default=False)
    has_fee: Mapped[bool] = mapped_column(Boolean, default=False)
    fee_note: Mapped[str] = mapped_column(String(200), default="")
    online_payment: Mapped[bool] = mapped_column(Boolean, default=False)
    result_type: Mapped[str] = mapped_column(String(8))  # 出证办结 / 出文办结 / 审批办结
    result_name: Mapped[str] = mapped_column(String(128), default="")
    licence_type: Mapped[str | None] = mapped_column(String(32))
    acceptance_conditions: Mapped[str] = mapped_column(String(500), default="")
    process: Mapped[str] = mapped_column(String(32), default="approval_simple")
    form_fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    materials: Mapped[list[ItemMaterial]] = relationship(
        back_populates="item", order_by="ItemMaterial.position", cascade="all, delete-orphan"
    )


class ItemMaterial(Base):
    """One material row of an item: what, in which form, how necessary, from where."""

    __tablename__ = "servicehub_material"
    __table_args__ = (UniqueConstraint("item_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("servicehub_item.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    form: Mapped[str] = mapped_column(String(16), default="electronic")  # paper/electronic/both
    necessity: Mapped[str] = mapped_column(String(8), default="必要")  # 必要/非必要/容缺后补
    source: Mapped[str] = mapped_column(
        String(12), default="applicant"
    )  # applicant/government/other
    replaced_by: Mapped[str | None] = mapped_column(String(32))  # licence type or "form"
    position: Mapped[int] = mapped_column(Integer, default=0)

    item: Mapped[ServiceItem] = relationship(back_populates="materials")


class Bundle(Base):
    """A "one thing" (一件事): questions choose member items; one form, one application."""

    __tablename__ = "servicehub_bundle"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    audience: Mapped[str] = mapped_column(String(4))  # 个人 / 企业
    lead_department_id: Mapped[int] = mapped_column(ForeignKey("identity_department.id"))
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    published_numbers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(300), default="")
    note: Mapped[str] = mapped_column(String(500), default="")

    members: Mapped[list[BundleMember]] = relationship(
        back_populates="bundle", order_by="BundleMember.position", cascade="all, delete-orphan"
    )


class BundleMember(Base):
    """An item in a bundle, the answer that selects it and the members it waits for."""

    __tablename__ = "servicehub_bundle_member"
    __table_args__ = (UniqueConstraint("bundle_id", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("servicehub_bundle.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("servicehub_item.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # {"question": key, "values": [...]}; None: always chosen.
    condition: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    requires: Mapped[list[int]] = mapped_column(JSON, default=list)  # item ids

    bundle: Mapped[Bundle] = relationship(back_populates="members")
    item: Mapped[ServiceItem] = relationship()


class Application(Base):
    """One application (办件): one number, one form, one task per chosen item."""

    __tablename__ = "servicehub_application"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    bundle_id: Mapped[int | None] = mapped_column(ForeignKey("servicehub_bundle.id"))
    title: Mapped[str] = mapped_column(String(128))
    applicant_kind: Mapped[str] = mapped_column(String(12))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("identity_person.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("identity_enterprise.id"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    form_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    limit_days: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()

    tasks: Mapped[list[ApplicationTask]] = relationship(
        back_populates="application", order_by="ApplicationTask.id"
    )
    materials: Mapped[list[ApplicationMaterial]] = relationship(
        back_populates="application", order_by="ApplicationMaterial.id"
    )


class ApplicationTask(Base):
    """One item of an application, decided by its department on its own clock."""

    __tablename__ = "servicehub_task"
    __table_args__ = (Index("ix_servicehub_task_inbox", "department_id", "status", "due_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("servicehub_application.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("servicehub_item.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("identity_department.id"))
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    requires: Mapped[list[int]] = mapped_column(JSON, default=list)  # task ids
    workflow_state: Mapped[str] = mapped_column(Text, default="")
    limit_days: Mapped[int] = mapped_column(Integer, default=0)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    paused_days: Mapped[int] = mapped_column(Integer, default=0)
    correction_since: Mapped[date | None] = mapped_column(Date)
    correction_materials: Mapped[list[str]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(String(500), default="")
    decided_at: Mapped[datetime | None] = mapped_column()
    licence_id: Mapped[int | None] = mapped_column(ForeignKey("servicehub_licence.id"))

    application: Mapped[Application] = relationship(back_populates="tasks")
    item: Mapped[ServiceItem] = relationship()


class ApplicationMaterial(Base):
    """A de-duplicated material of an application and how it is satisfied."""

    __tablename__ = "servicehub_application_material"
    __table_args__ = (UniqueConstraint("application_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("servicehub_application.id"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12))  # licence/form/uploaded/missing/deferred
    licence_id: Mapped[int | None] = mapped_column(ForeignKey("servicehub_licence.id"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(64), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    application: Mapped[Application] = relationship(back_populates="materials")


class Licence(Base):
    """An e-licence (电子证照), signed by its issuing department (Ed25519)."""

    __tablename__ = "servicehub_licence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type_code: Mapped[str] = mapped_column(String(32), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    holder_kind: Mapped[str] = mapped_column(String(12))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("identity_person.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("identity_enterprise.id"), index=True
    )
    issuer_department_id: Mapped[int] = mapped_column(ForeignKey("identity_department.id"))
    issued_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    revoked_at: Mapped[datetime | None] = mapped_column()


class Rating(Base):
    """好差评: the applicant's rating (1–5) of a finished application (GB/T 39735)."""

    __tablename__ = "servicehub_rating"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("servicehub_application.id"), unique=True
    )
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
