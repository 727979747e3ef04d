"""Who is acting: roles, the acting principal, password hashes and bearer tokens."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from citybrain.core.db import utcnow
from citybrain.core.errors import DomainError

TOKEN_ALGORITHM = "HS256"
TOKEN_AUDIENCE = "citybrain"


class Role(enum.StrEnum):
    """Staff roles. A staff account has exactly one."""

    admin = "admin"
    department_clerk = "department_clerk"
    department_head = "department_head"
    call_centre_agent = "call_centre_agent"
    grid_worker = "grid_worker"
    command_centre_operator = "command_centre_operator"
    checkpoint_operator = "checkpoint_operator"
    health_authority = "health_authority"


ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.admin: ("系统管理员", "Administrator"),
    Role.department_clerk: ("部门窗口人员", "Department clerk"),
    Role.department_head: ("部门负责人", "Department head"),
    Role.call_centre_agent: ("12345话务员", "Call-centre agent"),
    Role.grid_worker: ("网格员", "Grid worker"),
    Role.command_centre_operator: ("指挥中心值班员", "Command-centre operator"),
    Role.checkpoint_operator: ("卡口核验员", "Checkpoint operator"),
    Role.health_authority: ("卫生健康部门", "Health authority"),
}


class ActorKind(enum.StrEnum):
    staff = "staff"
    person = "person"
    enterprise = "enterprise"
    api_key = "api_key"
    system = "system"


@dataclass(frozen=True)
class Actor:
    """The principal behind a request or command; services authorise against it."""

    kind: ActorKind
    id: str
    name: str
    role: Role | None = None
    department_id: int | None = None
    person_id: int | None = None
    enterprise_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    def require_role(self, *roles: Role) -> None:
        if self.role is Role.admin or self.role in roles:
            return
        raise DomainError(
            "auth.role_required",
            "您的角色无权进行此操作",
            "Your role does not allow this",
            status=403,
            roles=[role.value for role in roles],
        )

    def require_department(self, department_id: int | None) -> None:
        """A clerk or head touches only the work of their own department."""
        if self.is_admin or (department_id is not None and self.department_id == department_id):
            return
        raise DomainError(
            "auth.other_department",
            "只能处理本部门的事项",
            "You may only handle your own department's work",
            status=403,
        )

    def require_scope(self, scope: str) -> None:
        if scope in self.scopes or "*" in self.scopes:
            return
        raise DomainError(
            "auth.scope_required",
            "该密钥没有此项权限",
            f"This API key lacks the scope {scope}",
            status=403,
        )


SYSTEM = Actor(kind=ActorKind.system, id="system", name="系统")
# An operator at the server's shell, trusted like an admin (``citybrain users create``).
OPERATOR = Actor(kind=ActorKind.system, id="cli", name="运维命令行", role=Role.admin)

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def issue_token(secret: str, *, subject: str, ttl: timedelta, claims: dict[str, Any]) -> str:
    now = utcnow()
    payload = {
        **claims,
        "sub": subject,
        "aud": TOKEN_AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
    }
    return jwt.encode(payload, secret, algorithm=TOKEN_ALGORITHM)


def decode_token(secret: str, token: str, *, now: datetime | None = None) -> dict[str, Any]:
    """The token's claims, or a 401 saying whether it expired or is invalid."""
    try:
        return jwt.decode(
            token,
            secret,
            algorithms=[TOKEN_ALGORITHM],
            audience=TOKEN_AUDIENCE,
            options={"require": ["exp", "sub", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise DomainError(
            "auth.token_expired", "登录已过期，请重新登录", "The token has expired", status=401
        ) from None
    except jwt.PyJWTError:
        raise DomainError(
            "auth.token_invalid", "登录凭证无效", "The token is invalid", status=401
        ) from None
