"""Use cases of identity and access. Plain functions over a session; callers commit."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.config import Settings
from citybrain.core import audit, ids
from citybrain.core.crypto import cipher_of
from citybrain.core.db import utcnow
from citybrain.core.errors import DomainError, not_found
from citybrain.core.security import (
    ROLE_LABELS,
    Actor,
    ActorKind,
    Role,
    hash_password,
    verify_password,
)
from citybrain.identity.models import Account, ApiKey, Department, Enterprise, Person

ID_CONTEXT = "identity_person.id_number"
PHONE_CONTEXT = "identity_person.phone"
SCOPE_PATTERN = re.compile(r"^[a-z0-9_]+(:[a-z0-9_*]+)*$|^\*$")
DEPARTMENT_ROLES = {Role.department_clerk, Role.department_head}
# A throwaway hash so an unknown username costs as much time as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def _invalid_credentials() -> DomainError:
    return DomainError(
        "auth.invalid_credentials",
        "用户名或密码错误",
        "Wrong username or password",
        status=401,
    )


def authenticate(session: Session, *, username: str, password: str, settings: Settings) -> Account:
    """Check a password login; count failures and lock the account after too many.

    On failure the attempt count is flushed before raising: the caller commits it.
    """
    account = session.scalar(select(Account).where(Account.username == username))
    if account is None or not account.is_active:
        verify_password(_DUMMY_HASH, password)
        raise _invalid_credentials()
    now = utcnow()
    if account.locked_until is not None and account.locked_until > now:
        raise DomainError(
            "auth.account_locked",
            "密码错误次数过多，账号已锁定，请稍后再试",
            "Too many failed logins; the account is locked for a while",
            status=423,
            locked_until=account.locked_until.isoformat(),
        )
    if not verify_password(account.password_hash, password):
        _count_failure(session, account, settings)
        raise _invalid_credentials()
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = now
    session.flush()
    return account


def _count_failure(session: Session, account: Account, settings: Settings) -> None:
    account.failed_logins += 1
    if account.failed_logins >= settings.auth.max_failed_logins:
        account.locked_until = utcnow() + timedelta(minutes=settings.auth.lockout_minutes)
        account.failed_logins = 0
        audit.record(
            session,
            actor_for(account),
            "identity.account_locked",
            entity_type="account",
            entity_id=account.id,
            reason="too many failed logins",
        )
    session.flush()


def actor_for(account: Account) -> Actor:
    kind = ActorKind(account.kind)
    return Actor(
        kind=kind,
        id=str(account.id),
        name=account.display_name,
        role=Role(account.role) if account.role else None,
        department_id=account.department_id,
        person_id=account.person_id,
        enterprise_id=account.enterprise_id,
    )


def get_account(session: Session, account_id: int) -> Account | None:
    return session.get(Account, account_id)


def role_label(role: str | None) -> str | None:
    return ROLE_LABELS[Role(role)][0] if role else None


# Departments


def list_departments(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.id)))


def get_department_or_raise(session: Session, department_id: int) -> Department:
    department = session.get(Department, department_id)
    if department is None:
        raise not_found("identity.unknown_department", "部门", "Department")
    return department


def get_department_by_name(session: Session, name: str) -> Department | None:
    return session.scalar(
        select(Department).where((Department.name == name) | (Department.short_name == name))
    )


def create_department(
    session: Session,
    *,
    actor: Actor,
    name: str,
    short_name: str,
    kind: str,
    division_code: str,
    credit_code: str | None = None,
    parent_id: int | None = None,
) -> Department:
    actor.require_role(Role.admin)
    department = Department(
        name=name,
        short_name=short_name,
        kind=kind,
        division_code=division_code,
        credit_code=ids.validate_credit_code(credit_code) if credit_code else None,
        parent_id=parent_id,
    )
    session.add(department)
    session.flush()
    audit.record(
        session,
        actor,
        "identity.department_created",
        entity_type="department",
        entity_id=department.id,
    )
    return department


# People


def _duplicate(code: str, what_zh: str, what_en: str) -> DomainError:
    return DomainError(code, f"{what_zh}已登记", f"{what_en} is already registered", status=409)


def register_person(
    session: Session,
    *,
    actor: Actor,
    name: str,
    id_number: str,
    phone: str | None = None,
    division_code: str | None = None,
) -> Person:
    """Register a resident; the 身份证号 is checked, encrypted and indexed, never kept plain."""
    actor.require_role(Role.department_clerk, Role.department_head, Role.call_centre_agent)
    person = build_person(
        session, name=name, id_number=id_number, phone=phone, division_code=division_code
    )
    if session.scalar(select(Person.id).where(Person.id_number_index == person.id_number_index)):
        raise _duplicate("identity.person_exists", "该身份证号", "This ID number")
    session.add(person)
    session.flush()
    audit.record(
        session, actor, "identity.person_registered", entity_type="person", entity_id=person.id
    )
    return person


def build_person(
    session: Session,
    *,
    name: str,
    id_number: str,
    phone: str | None = None,
    division_code: str | None = None,
) -> Person:
    """A validated, encrypted Person row, not yet added (bulk loaders add many at once)."""
    cipher = cipher_of(session)
    number = ids.validate_id_number(id_number)
    clean_name = name.strip()
    if not clean_name:
        raise DomainError(
            "identity.name_required", "姓名不能为空", "A name is required", status=422
        )
    person = Person(
        name=clean_name,
        id_number_ciphertext=cipher.encrypt(number, context=ID_CONTEXT),
        id_number_index=cipher.blind_index(number, context=ID_CONTEXT),
        id_number_masked=ids.mask_id_number(number),
        division_code=division_code,
    )
    if phone:
        mobile = ids.validate_phone(phone)
        person.phone_ciphertext = cipher.encrypt(mobile, context=PHONE_CONTEXT)
        person.phone_index = cipher.blind_index(mobile, context=PHONE_CONTEXT)
        person.phone_masked = ids.mask_phone(mobile)
    return person


def find_person_by_id_number(session: Session, *, actor: Actor, id_number: str) -> Person:
    actor.require_role(
        Role.department_clerk, Role.department_head, Role.call_centre_agent, Role.health_authority
    )
    number = ids.validate_id_number(id_number)
    index = cipher_of(session).blind_index(number, context=ID_CONTEXT)
    person = session.scalar(select(Person).where(Person.id_number_index == index))
    if person is None:
        raise not_found("identity.unknown_person", "该人员", "Person")
    audit.record(
        session, actor, "identity.person_looked_up", entity_type="person", entity_id=person.id
    )
    return person


def get_person_or_raise(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise not_found("identity.unknown_person", "该人员", "Person")
    return person


def reveal_id_number(session: Session, person: Person) -> str:
    """The plain 身份证号, for a service that must print it; never log the result."""
    return cipher_of(session).decrypt(person.id_number_ciphertext, context=ID_CONTEXT)


def count_people(session: Session) -> int:
    return session.scalar(select(func.count(Person.id))) or 0


# Enterprises


def register_enterprise(
    session: Session,
    *,
    actor: Actor,
    name: str,
    credit_code: str,
    division_code: str | None = None,
    industry: str = "",
) -> Enterprise:
    actor.require_role(Role.department_clerk, Role.department_head)
    code = ids.validate_credit_code(credit_code)
    if session.scalar(select(Enterprise.id).where(Enterprise.credit_code == code)):
        raise _duplicate("identity.enterprise_exists", "该统一社会信用代码", "This credit code")
    enterprise = Enterprise(
        name=name.strip(), credit_code=code, division_code=division_code, industry=industry
    )
    session.add(enterprise)
    session.flush()
    audit.record(
        session,
        actor,
        "identity.enterprise_registered",
        entity_type="enterprise",
        entity_id=enterprise.id,
    )
    return enterprise


def get_enterprise_by_credit_code(session: Session, credit_code: str) -> Enterprise:
    code = ids.validate_credit_code(credit_code)
    enterprise = session.scalar(select(Enterprise).where(Enterprise.credit_code == code))
    if enterprise is None:
        raise not_found("identity.unknown_enterprise", "该企业", "Enterprise")
    return enterprise


# Accounts


def create_staff_account(
    session: Session,
    *,
    actor: Actor,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    department_id: int | None = None,
) -> Account:
    """Create a staff login. Department roles need a department."""
    actor.require_role(Role.admin)
    if role in DEPARTMENT_ROLES and department_id is None:
        raise DomainError(
            "identity.department_required",
            "部门角色必须指定所属部门",
            "A department role needs a department",
            status=422,
        )
    if department_id is not None:
        get_department_or_raise(session, department_id)
    if session.scalar(select(Account.id).where(Account.username == username)):
        raise _duplicate("identity.username_taken", "该用户名", "This username")
    account = Account(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        kind=ActorKind.staff.value,
        role=role.value,
        department_id=department_id,
    )
    session.add(account)
    session.flush()
    audit.record(
        session,
        actor,
        "identity.account_created",
        entity_type="account",
        entity_id=account.id,
        detail={"role": role.value},
    )
    return account


def create_resident_account(
    session: Session,
    *,
    username: str,
    password: str,
    person: Person,
    password_hash: str | None = None,
) -> Account:
    account = Account(
        username=username,
        display_name=ids.mask_name(person.name),
        password_hash=password_hash or hash_password(password),
        kind=ActorKind.person.value,
        person_id=person.id,
    )
    session.add(account)
    session.flush()
    return account


def list_accounts(session: Session, *, actor: Actor) -> list[Account]:
    actor.require_role(Role.admin)
    return list(session.scalars(select(Account).order_by(Account.id)))


# API keys


@dataclass(frozen=True)
class NewApiKey:
    record: ApiKey
    key: str


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(
    session: Session,
    *,
    actor: Actor,
    name: str,
    scopes: list[str],
    department_id: int | None = None,
) -> NewApiKey:
    """Issue a key ``cbk_<prefix>_<secret>``; only its hash is kept."""
    actor.require_role(Role.admin)
    bad = [scope for scope in scopes if not SCOPE_PATTERN.match(scope)]
    if bad:
        raise DomainError(
            "identity.bad_scope",
            f"权限范围格式错误：{bad[0]}",
            f"Malformed scope: {bad[0]}",
            status=422,
        )
    if department_id is not None:
        get_department_or_raise(session, department_id)
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    record = ApiKey(
        name=name,
        prefix=prefix,
        secret_hash=_secret_hash(secret),
        scopes=sorted(set(scopes)),
        department_id=department_id,
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor,
        "identity.api_key_created",
        entity_type="api_key",
        entity_id=record.id,
        detail={"scopes": record.scopes},
    )
    return NewApiKey(record, f"cbk_{prefix}_{secret}")


def authenticate_api_key(session: Session, key: str) -> Actor:
    """The machine behind a key, or a 401/403 for an unknown, malformed or revoked one."""
    parts = key.split("_", 2)
    record = (
        session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
        if (len(parts) == 3 and parts[0] == "cbk")
        else None
    )
    if record is None or not hmac.compare_digest(record.secret_hash, _secret_hash(parts[2])):
        raise DomainError(
            "auth.api_key_invalid", "接口密钥无效", "The API key is invalid", status=401
        )
    if record.revoked_at is not None:
        raise DomainError(
            "auth.api_key_revoked", "接口密钥已吊销", "The API key was revoked", status=403
        )
    return Actor(
        kind=ActorKind.api_key,
        id=str(record.id),
        name=record.name,
        department_id=record.department_id,
        scopes=frozenset(record.scopes),
    )


def revoke_api_key(session: Session, *, actor: Actor, key_id: int) -> ApiKey:
    actor.require_role(Role.admin)
    record = session.get(ApiKey, key_id)
    if record is None:
        raise not_found("identity.unknown_api_key", "接口密钥", "API key")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        audit.record(
            session, actor, "identity.api_key_revoked", entity_type="api_key", entity_id=record.id
        )
    return record


def list_api_keys(session: Session, *, actor: Actor) -> list[ApiKey]:
    actor.require_role(Role.admin)
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))
