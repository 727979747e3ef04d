"""Tables of identity and access, all named identity_*."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.core.db import Base, utcnow


class Department(Base):
    """A government body (委办局) or other unit that owns work."""

    __tablename__ = "identity_department"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    short_name: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("identity_department.id"))
    division_code: Mapped[str] = mapped_column(ForeignKey("regions_division.code"), index=True)


class Person(Base):
    """A resident (自然人). Identity numbers are stored encrypted only."""

    __tablename__ = "identity_person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    id_number_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_index: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str] = mapped_column(String(18))
    phone_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(11))
    division_code: Mapped[str | None] = mapped_column(ForeignKey("regions_division.code"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Enterprise(Base):
    """A market entity (企业/个体工商户) identified by its unified social credit code."""

    __tablename__ = "identity_enterprise"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    legal_representative_id: Mapped[int | None] = mapped_column(ForeignKey("identity_person.id"))
    division_code: Mapped[str | None] = mapped_column(ForeignKey("regions_division.code"))
    industry: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Account(Base):
    """A login: staff with one role, or a resident or enterprise using the app."""

    __tablename__ = "identity_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(16))
    role: Mapped[str | None] = mapped_column(String(32))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("identity_department.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("identity_person.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("identity_enterprise.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    last_login_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """A machine's credential (checkpoint device, sensor, Open311 client) with scopes."""

    __tablename__ = "identity_api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("identity_department.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
