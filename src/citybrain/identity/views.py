"""HTTP face of identity: login, me, departments, people, enterprises, accounts, keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from citybrain.core.db import DbSession, transaction
from citybrain.core.errors import DomainError
from citybrain.core.schemas import IdPath
from citybrain.core.security import issue_token
from citybrain.identity import schemas
from citybrain.identity import service as identity_service
from citybrain.identity.dependencies import CurrentActor, StaffActor
from citybrain.identity.models import Account

auth_router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
router = APIRouter(prefix="/api/v1", tags=["identity"])


def login_token(request: Request, session: DbSession, username: str, password: str) -> str:
    """Authenticate and issue a bearer token; a failed attempt is committed, then raised."""
    settings = request.app.state.settings
    try:
        account = identity_service.authenticate(
            session, username=username, password=password, settings=settings
        )
    except DomainError:
        session.commit()  # keep the failed-attempt count and any lock-out
        raise
    session.commit()
    return token_for(request, account)


def token_for(request: Request, account: Account) -> str:
    settings = request.app.state.settings
    return issue_token(
        request.app.state.token_secret,
        subject=str(account.id),
        ttl=timedelta(minutes=settings.auth.token_ttl_minutes),
        claims={"kind": account.kind, "role": account.role},
    )


@auth_router.post("/token", response_model=schemas.TokenOut)
def token(
    request: Request,
    session: DbSession,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> schemas.TokenOut:
    """OAuth2 password login: returns a bearer JWT."""
    access_token = login_token(request, session, form.username, form.password)
    ttl = request.app.state.settings.auth.token_ttl_minutes * 60
    return schemas.TokenOut(access_token=access_token, expires_in=ttl)


@router.get("/me", response_model=schemas.MeOut)
def me(session: DbSession, actor: CurrentActor) -> schemas.MeOut:
    if actor.kind.value == "api_key":
        raise DomainError(
            "auth.account_only", "接口密钥没有账号信息", "API keys have no account", status=403
        )
    account = identity_service.get_account(session, int(actor.id))
    assert account is not None
    department = (
        identity_service.get_department_or_raise(session, account.department_id)
        if account.department_id
        else None
    )
    return schemas.MeOut(
        id=account.id,
        username=account.username,
        display_name=account.display_name,
        kind=account.kind,
        role=actor.role,
        role_label=identity_service.role_label(account.role),
        department_id=account.department_id,
        department_name=department.name if department else None,
    )


@router.get("/departments", response_model=list[schemas.DepartmentOut])
def departments(session: DbSession, actor: CurrentActor) -> list[schemas.DepartmentOut]:
    return [
        schemas.DepartmentOut.model_validate(d) for d in identity_service.list_departments(session)
    ]


@router.get("/departments/{department_id}", response_model=schemas.DepartmentOut)
def department(
    department_id: IdPath, session: DbSession, actor: CurrentActor
) -> schemas.DepartmentOut:
    return schemas.DepartmentOut.model_validate(
        identity_service.get_department_or_raise(session, department_id)
    )


@router.post("/people", response_model=schemas.PersonOut, status_code=201)
def register_person(
    body: schemas.PersonIn, session: DbSession, actor: StaffActor
) -> schemas.PersonOut:
    with transaction(session):
        person = identity_service.register_person(session, actor=actor, **body.model_dump())
    return schemas.PersonOut.model_validate(person)


@router.post("/people/search", response_model=schemas.PersonOut)
def find_person(
    body: schemas.PersonSearchIn, session: DbSession, actor: StaffActor
) -> schemas.PersonOut:
    """Find a person by 身份证号 through the blind index (in the body: never in a URL)."""
    with transaction(session):
        person = identity_service.find_person_by_id_number(
            session, actor=actor, id_number=body.id_number
        )
    return schemas.PersonOut.model_validate(person)


@router.post("/enterprises", response_model=schemas.EnterpriseOut, status_code=201)
def register_enterprise(
    body: schemas.EnterpriseIn, session: DbSession, actor: StaffActor
) -> schemas.EnterpriseOut:
    with transaction(session):
        enterprise = identity_service.register_enterprise(session, actor=actor, **body.model_dump())
    return schemas.EnterpriseOut.model_validate(enterprise)


@router.get("/enterprises/{credit_code}", response_model=schemas.EnterpriseOut)
def enterprise(credit_code: str, session: DbSession, actor: StaffActor) -> schemas.EnterpriseOut:
    return schemas.EnterpriseOut.model_validate(
        identity_service.get_enterprise_by_credit_code(session, credit_code)
    )


@router.get("/accounts", response_model=list[schemas.AccountOut])
def accounts(session: DbSession, actor: StaffActor) -> list[schemas.AccountOut]:
    return [
        schemas.AccountOut.model_validate(a)
        for a in identity_service.list_accounts(session, actor=actor)
    ]


@router.post("/accounts", response_model=schemas.AccountOut, status_code=201)
def create_account(
    body: schemas.AccountIn, session: DbSession, actor: StaffActor
) -> schemas.AccountOut:
    with transaction(session):
        account = identity_service.create_staff_account(session, actor=actor, **body.model_dump())
    return schemas.AccountOut.model_validate(account)


@router.get("/api-keys", response_model=list[schemas.ApiKeyOut])
def api_keys(session: DbSession, actor: StaffActor) -> list[schemas.ApiKeyOut]:
    return [
        schemas.ApiKeyOut.model_validate(k)
        for k in identity_service.list_api_keys(session, actor=actor)
    ]


@router.post("/api-keys", response_model=schemas.ApiKeyCreatedOut, status_code=201)
def create_api_key(
    body: schemas.ApiKeyIn, session: DbSession, actor: StaffActor
) -> schemas.ApiKeyCreatedOut:
    with transaction(session):
        new = identity_service.create_api_key(session, actor=actor, **body.model_dump())
    out = schemas.ApiKeyOut.model_validate(new.record)
    return schemas.ApiKeyCreatedOut(**out.model_dump(), key=new.key)


@router.post("/api-keys/{key_id}/revoke", response_model=schemas.ApiKeyOut)
def revoke_api_key(key_id: IdPath, session: DbSession, actor: StaffActor) -> schemas.ApiKeyOut:
    with transaction(session):
        record = identity_service.revoke_api_key(session, actor=actor, key_id=key_id)
    return schemas.ApiKeyOut.model_validate(record)
