"""Pydantic in/out of identity. Out-schemas carry masked personal data only."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from citybrain.core.schemas import DbId, Schema
from citybrain.core.security import Role


class TokenOut(Schema):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    kind: str
    role: Role | None
    role_label: str | None
    department_id: int | None
    department_name: str | None


class DepartmentOut(Schema):
    id: int
    name: str
    short_name: str
    kind: str
    credit_code: str | None
    parent_id: int | None
    division_code: str


class PersonIn(Schema):
    name: str = Field(min_length=1, max_length=64, description="真实姓名 Real name")
    id_number: str = Field(min_length=1, max_length=32, description="身份证号 (GB 11643)")
    phone: str | None = Field(None, max_length=20, description="手机号 Mobile number")
    division_code: str | None = Field(None, max_length=6)


class PersonSearchIn(Schema):
    id_number: str = Field(min_length=1, max_length=32, description="身份证号")


class PersonOut(Schema):
    id: int
    name: str
    id_number_masked: str
    phone_masked: str | None
    division_code: str | None
    created_at: datetime


class EnterpriseIn(Schema):
    name: str = Field(min_length=1, max_length=128)
    credit_code: str = Field(min_length=1, max_length=32, description="统一社会信用代码 (GB 32100)")
    division_code: str | None = Field(None, max_length=6)
    industry: str = Field("", max_length=64)


class EnterpriseOut(Schema):
    id: int
    name: str
    credit_code: str
    division_code: str | None
    industry: str


class AccountIn(Schema):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    display_name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=128)
    role: Role
    department_id: DbId | None = None


class AccountOut(Schema):
    id: int
    username: str
    display_name: str
    kind: str
    role: str | None
    department_id: int | None
    is_active: bool


class ApiKeyIn(Schema):
    name: str = Field(min_length=1, max_length=128)
    scopes: list[str] = Field(min_length=1, max_length=32)
    department_id: DbId | None = None


class ApiKeyOut(Schema):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    department_id: int | None
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="The full key, shown once; store it on the device.")
