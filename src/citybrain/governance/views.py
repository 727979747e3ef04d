"""Governance API (一网统管): categories, intake, the lifecycle, duplicates, indicators."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile

from citybrain.core import audit
from citybrain.core.db import DbSession, transaction, utcnow
from citybrain.core.errors import DomainError
from citybrain.core.schemas import IdPath
from citybrain.core.security import ActorKind, Role
from citybrain.governance import (
    classify,
    dedupe,
    gazetteer,
    intake,
    lifecycle,
    present,
    rules,
    schemas,
    service,
)
from citybrain.governance.models import CasePhoto
from citybrain.identity.dependencies import CurrentActor, StaffActor
from citybrain.regions import service as regions_service

router = APIRouter(prefix="/api/v1/governance", tags=["governance"])

MAX_LIMIT = 200


@router.get("/categories", response_model=list[schemas.CategoryOut])
def list_categories() -> list[schemas.CategoryOut]:
    """Every category (GB/T 30428 部件/事件 and the 12345 appeal) with owner and time limit."""
    return [present.category_out(c) for c in rules.categories().values()]


@router.post("/suggest", response_model=schemas.SuggestOut)
def suggest(body: schemas.SuggestIn, session: DbSession, actor: CurrentActor) -> schemas.SuggestOut:
    """As an agent types: likely categories and department, the place, possible duplicates."""
    top = classify.suggest([body.description], top=3)[0]
    duplicates: list[dedupe.Candidate] = []
    if body.lon is not None and body.lat is not None:
        where = regions_service.locate(session, lon=body.lon, lat=body.lat, crs=body.crs)
        place = schemas.PlaceOut(
            division_code=where.division_code,
            division_name=where.division_name,
            street_code=where.street_code,
            street_name=where.street_name,
            grid_cell_code=where.grid_cell_code,
            source="point",
        )
        if top:
            duplicates = dedupe.nearby(
                session,
                category_code=top[0].category_code,
                lon=where.lon,
                lat=where.lat,
                text=body.description,
                now=utcnow(),
            )
    else:
        match = gazetteer.parse_address(f"{body.address} {body.description}")
        place = schemas.PlaceOut(
            division_code=match.division_code,
            division_name=match.division_name,
            street_code=match.street_code,
            street_name=match.street_name,
            source="address" if match.division_code else "none",
        )
    return schemas.SuggestOut(
        suggestions=[present.suggestion_out(s) for s in top],
        place=place,
        duplicates=[present.candidate_out(c) for c in duplicates],
    )


@router.post("/cases", response_model=schemas.IntakeOut, status_code=201)
def create_case(body: schemas.CaseIn, session: DbSession, actor: CurrentActor) -> schemas.IntakeOut:
    """File a report (hotline agent, grid worker, resident app, or a sensor's API key)."""
    person_id = actor.person_id
    account_id = (
        int(actor.id) if actor.kind is not ActorKind.api_key and actor.id.isdigit() else None
    )
    report = intake.Report(
        channel=intake.channel_for(actor, body.channel),
        description=body.description,
        category_code=body.category_code,
        lon=body.lon,
        lat=body.lat,
        crs=body.crs,
        address=body.address,
        # Only a machine names its own alarm id, namespaced by its key, so nobody else can
        # read another's case or pre-empt a sensor's alarm by guessing the id.
        external_id=f"key{actor.id}:{body.external_id}"
        if body.external_id and actor.kind is ActorKind.api_key
        else None,
        reporter=intake.Reporter(
            account_id=account_id if actor.kind is not ActorKind.staff else None,
            person_id=person_id,
            name=body.caller_name,
            phone=body.caller_phone,
        ),
    )
    with transaction(session):
        result = intake.intake(session, report=report, actor=actor)
        clock = service.clocks(session, [result.case])[result.case.id]
        return schemas.IntakeOut(
            case=present.case_out(result.case, clock),
            merged_into=result.merged_into.id if result.merged_into else None,
            duplicates=[present.candidate_out(c) for c in result.offered],
            suggestion=present.suggestion_out(result.suggestion) if result.suggestion else None,
        )


@router.post("/cases/{case_id}/photos", status_code=201)
def add_photo(
    case_id: IdPath, session: DbSession, actor: CurrentActor, photo: Annotated[UploadFile, File()]
) -> dict[str, int]:
    """Attach a photo (JPEG/PNG/WebP, at most 2 MB) to a case the caller may see."""
    data = photo.file.read(intake.MAX_PHOTO_BYTES + 1)
    with transaction(session):
        case = service.get_case_for(session, case_id=case_id, actor=actor)
        purpose = "fix" if actor.kind is ActorKind.staff else "report"
        row = CasePhoto(
            case_id=case.id,
            purpose=purpose,
            content_type=intake.photo_type(data),
            size_bytes=len(data),
            data=data,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor,
            "governance.photo_added",
            entity_type="governance_case",
            entity_id=case.id,
            detail={"photo_id": row.id, "purpose": purpose},
        )
        return {"photo_id": row.id}


@router.get("/cases", response_model=schemas.CasePage)
def list_cases(
    session: DbSession,
    actor: StaffActor,
    status: rules.CaseStatus | None = None,
    department_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    division_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    needs_triage: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> schemas.CasePage:
    """Cases for staff; clerks and heads get their department's inbox, soonest due first."""
    cases, total = service.list_cases(
        session,
        actor=actor,
        status=status.value if status else None,
        department_id=department_id,
        division_code=division_code,
        needs_triage=needs_triage,
        limit=limit,
        offset=offset,
    )
    clocks = service.clocks(session, cases)
    return schemas.CasePage(items=[present.case_out(c, clocks[c.id]) for c in cases], total=total)


@router.get("/cases/mine", response_model=list[schemas.CaseOut])
def my_cases(session: DbSession, actor: CurrentActor) -> list[schemas.CaseOut]:
    """The caller's own reports and how they stand (the parent case after a merge)."""
    if not actor.id.isdigit() or actor.kind not in (ActorKind.person, ActorKind.enterprise):
        raise DomainError(
            "governance.residents_only", "仅限居民和企业", "Residents only", status=403
        )
    cases = service.cases_of_account(session, account_id=int(actor.id))
    clocks = service.clocks(session, cases)
    return [present.case_out(c, clocks[c.id]) for c in cases]


@router.get("/notifications/mine", response_model=list[schemas.NotificationOut])
def my_notifications(session: DbSession, actor: CurrentActor) -> list[schemas.NotificationOut]:
    """Progress messages for the caller's reports, newest first."""
    if not actor.id.isdigit() or actor.kind not in (ActorKind.person, ActorKind.enterprise):
        return []
    rows = service.notifications_of_account(session, account_id=int(actor.id))
    return [schemas.NotificationOut.model_validate(r) for r in rows]


@router.get("/cases/{case_id}", response_model=schemas.CaseDetailOut)
def get_case(case_id: IdPath, session: DbSession, actor: CurrentActor) -> schemas.CaseDetailOut:
    """One case with its history and reporters (masked); staff also see allowed actions."""
    case = service.get_case_for(session, case_id=case_id, actor=actor)
    clock = service.clocks(session, [case])[case.id]
    staff = actor.kind is ActorKind.staff
    return schemas.CaseDetailOut(
        case=present.case_out(case, clock),
        transitions=[
            schemas.TransitionOut.model_validate(t)
            for t in service.transitions(session, case_id=case.id)
        ],
        reporters=[
            schemas.ReporterOut.model_validate(r)
            for r in (service.reporters(session, case_id=case.id) if staff else [])
        ],
        allowed_actions=[
            a.value for a in rules.allowed_actions(rules.CaseStatus(case.status)) if staff
        ],
    )


@router.post("/cases/{case_id}/actions", response_model=schemas.CaseOut)
def act(
    case_id: IdPath, body: schemas.ActionIn, session: DbSession, actor: StaffActor
) -> schemas.CaseOut:
    """A lifecycle step (立案, 派遣, 签收, 退单, 延期, 反馈, 核查 ...); 409 if out of order."""
    with transaction(session):
        case = lifecycle.apply(
            session,
            case_id=case_id,
            action=rules.Action(body.action),
            actor=actor,
            reason=body.reason,
            category_code=body.category_code,
            department_id=body.department_id,
            workdays=body.workdays,
            rating=body.rating,
        )
        return present.case_out(case, service.clocks(session, [case])[case.id])


@router.post("/cases/{case_id}/merge", response_model=schemas.CaseOut)
def merge(
    case_id: IdPath, body: schemas.MergeIn, session: DbSession, actor: StaffActor
) -> schemas.CaseOut:
    """并单: merge this case into ``parent_id``; its reporters follow the parent."""
    with transaction(session):
        parent = lifecycle.merge(session, case_id=case_id, parent_id=body.parent_id, actor=actor)
        return present.case_out(parent, service.clocks(session, [parent])[parent.id])


@router.post("/escalations/run", response_model=schemas.EscalationOut)
def run_escalation(session: DbSession, actor: StaffActor) -> schemas.EscalationOut:
    """督办 every overdue case now (the scheduler calls the same service)."""
    actor.require_role(Role.command_centre_operator)
    with transaction(session):
        cases = lifecycle.escalate_overdue(session, actor=actor)
        return schemas.EscalationOut(escalated=[c.id for c in cases])


@router.get("/indicators", response_model=schemas.IndicatorsOut)
def get_indicators(
    session: DbSession,
    actor: StaffActor,
    start: datetime,
    end: datetime,
    department_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    division_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    grid_cell_code: Annotated[str | None, Query(max_length=20)] = None,
) -> schemas.IndicatorsOut:
    """结案率, 按期结案率, 返工率, 延期率, 回访满意率 for cases due in [start, end)."""
    start, end = _aware(start), _aware(end)
    if end <= start:
        raise DomainError(
            "governance.bad_period", "结束时间须晚于开始时间", "end must be after start", status=422
        )
    if actor.role in (Role.department_clerk, Role.department_head):
        # A department's staff evaluate their own department, not their neighbours'.
        if department_id is not None:
            actor.require_department(department_id)
        department_id = actor.department_id
    rates = service.indicators(
        session,
        start=start,
        end=end,
        department_id=department_id,
        division_code=division_code,
        grid_cell_code=grid_cell_code,
    )
    return present.rates_out(rates)


@router.get("/map")
def open_case_map(session: DbSession, actor: StaffActor) -> dict[str, dict[str, int]]:
    """Open cases per district and status, for the command centre's live map."""
    return service.open_counts_by_division(session)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
