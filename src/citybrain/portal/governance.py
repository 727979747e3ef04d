"""一网统管 pages: residents report and follow; agents take calls with suggestions;
departments work their inbox; grid workers report and check fixes; the command
centre watches open cases on a map of the districts. Every page calls the same
governance services as the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from citybrain.core.db import DbSession, transaction, utcnow
from citybrain.core.errors import DomainError
from citybrain.core.schemas import IdPath
from citybrain.core.security import Actor, ActorKind, Role
from citybrain.governance import (
    classify,
    dedupe,
    gazetteer,
    intake,
    lifecycle,
    present,
    rules,
    service,
)
from citybrain.identity import service as identity_service
from citybrain.identity.dependencies import CurrentActor, StaffActor
from citybrain.portal.pages import page_context
from citybrain.portal.rendering import render
from citybrain.regions import service as regions_service
from citybrain.regions.models import COUNTY_LEVELS

router = APIRouter(include_in_schema=False)

ASSET: Final = Path(__file__).parent / "templates" / "governance" / "governance.js"
CLOCK_LABELS: Final = {
    "normal": "正常 On time",
    "warning": "即将到期 Due soon",
    "overdue": "已超期 Overdue",
}
ACTION_LABELS: Final = {
    "register": "立案 Register",
    "reject": "不予立案 Reject",
    "dispatch": "派遣 Dispatch",
    "claim": "签收 Claim",
    "return": "退单 Return",
    "request_extension": "申请延期 Request extension",
    "approve_extension": "批准延期 Approve extension",
    "suspend": "挂起 Suspend",
    "resume": "恢复 Resume",
    "feedback": "处置完毕并反馈 Report done",
    "verify_pass": "核查通过·结案 Check passed",
    "verify_fail": "核查不通过·返工 Check failed",
    "rate": "回访评价 Rate",
}


def _districts(session: Any) -> list[str]:
    """The city's county-level divisions, whose boundaries the map draws."""
    return [d.code for d in regions_service.list_divisions(session) if d.level in COUNTY_LEVELS]


def _ctx(request: Request, session: Any, actor: Actor | None, **extra: Any) -> dict[str, Any]:
    context = page_context(request, session, actor)
    context.update(
        clock_labels=CLOCK_LABELS,
        action_labels=ACTION_LABELS,
        **extra,
    )
    return context


def _rows(session: Any, cases: list[Any]) -> list[Any]:
    clocks = service.clocks(session, cases)
    return [present.case_out(c, clocks[c.id]) for c in cases]


def _field(form: FormData, name: str, limit: int) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _number(form: FormData, name: str) -> float | None:
    raw = _field(form, name, 32)
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise DomainError(
            "governance.bad_coordinate",
            "经纬度格式不正确",
            "Coordinates must be numbers",
            status=422,
        ) from None


async def _photo(form: FormData) -> bytes | None:
    upload = form.get("photo")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = await upload.read(intake.MAX_PHOTO_BYTES + 1)
    return data or None


def _report_from(form: FormData, channel: str, actor: Actor, photo: bytes | None) -> intake.Report:
    category = _field(form, "category_code", 8) or None
    return intake.Report(
        channel=channel,
        description=_field(form, "description", intake.MAX_DESCRIPTION + 1),
        category_code=category,
        lon=_number(form, "lon"),
        lat=_number(form, "lat"),
        address=_field(form, "address", 200),
        photo=photo,
        reporter=intake.Reporter(
            account_id=int(actor.id)
            if actor.id.isdigit() and actor.kind in (ActorKind.person, ActorKind.enterprise)
            else None,
            person_id=actor.person_id,
            name=_field(form, "caller_name", 64),
            phone=_field(form, "caller_phone", 20),
        ),
    )


def _flash_for(result: intake.IntakeResult) -> dict[str, str]:
    if result.merged_into is not None:
        return {
            "kind": "success",
            "message": (
                f"已受理。该问题已有人反映，已合并到案件 #{result.merged_into.id}，"
                "处理进展会同时通知您。"
            ),
            "message_en": f"Received. Already reported: merged into case {result.merged_into.id}.",
        }
    return {
        "kind": "success",
        "message": f"已受理，案件编号 #{result.case.id}。",
        "message_en": f"Received as case {result.case.id}.",
    }


@router.get("/governance/assets/governance.js")
def governance_js() -> Response:
    """The pages' one script (maps, suggestions), served from the package."""
    return Response(ASSET.read_text("utf-8"), media_type="application/javascript")


# --- residents ------------------------------------------------------------------------


def _my_cases(session: Any, actor: Actor) -> list[Any]:
    if not actor.id.isdigit() or actor.kind not in (ActorKind.person, ActorKind.enterprise):
        return []
    return _rows(session, service.cases_of_account(session, account_id=int(actor.id)))


@router.get("/governance/report", response_class=HTMLResponse)
def report_page(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    """随手拍: report a problem on the map, and follow one's reports."""
    return render(
        request,
        "governance/report.html",
        _ctx(
            request, session, actor, cases=_my_cases(session, actor), districts=_districts(session)
        ),
    )


@router.post("/governance/report", response_class=HTMLResponse)
async def submit_report(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    form = await request.form()
    photo = await _photo(form)
    channel = "grid" if actor.role is Role.grid_worker else "app"
    try:
        if actor.kind is ActorKind.api_key or (
            actor.kind is ActorKind.staff and actor.role is not Role.grid_worker
        ):
            raise DomainError(
                "governance.cannot_report", "请使用话务受理页面", "Use the intake page", status=403
            )
        with transaction(session):
            result = intake.intake(
                session, report=_report_from(form, channel, actor, photo), actor=actor
            )
        flashes = [_flash_for(result)]
        status = 200
    except DomainError as error:
        flashes = [{"kind": "error", "message": error.message, "message_en": error.message_en}]
        status = error.status
    template = "governance/grid.html" if channel == "grid" else "governance/report.html"
    extra: dict[str, Any] = {"cases": _my_cases(session, actor), "districts": _districts(session)}
    if channel == "grid":
        extra = _grid_context(session)
    return render(
        request,
        template,
        _ctx(request, session, actor, flashes=flashes, **extra),
        status_code=status,
    )


# --- staff ----------------------------------------------------------------------------


@router.get("/governance/inbox", response_class=HTMLResponse)
def inbox(request: Request, session: DbSession, actor: StaffActor) -> Response:
    """A department's cases, soonest deadline first (command centre: every case)."""
    cases, total = service.list_cases(session, actor=actor, open_only=True, limit=200)
    return render(
        request,
        "governance/inbox.html",
        _ctx(request, session, actor, rows=_rows(session, cases), total=total),
    )


@router.get("/governance/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request, case_id: IdPath, session: DbSession, actor: CurrentActor
) -> Response:
    """One case: where it stands, its history and (for staff) what can be done next."""
    case = service.get_case_for(session, case_id=case_id, actor=actor)
    staff = actor.kind is ActorKind.staff
    department = (
        identity_service.get_department_or_raise(session, case.department_id).name
        if case.department_id
        else None
    )
    return render(
        request,
        "governance/case.html",
        _ctx(
            request,
            session,
            actor,
            case=_rows(session, [case])[0],
            department=department,
            history=service.transitions(session, case_id=case.id),
            reporters=service.reporters(session, case_id=case.id) if staff else [],
            actions=[a.value for a in rules.allowed_actions(rules.CaseStatus(case.status))]
            if staff
            else [],
        ),
    )


@router.post("/governance/cases/{case_id}/act")
async def case_action(
    request: Request, case_id: IdPath, session: DbSession, actor: StaffActor
) -> Response:
    form = await request.form()
    raw_action = _field(form, "action", 24)
    try:
        action = rules.Action(raw_action)
    except ValueError:
        raise DomainError(
            "governance.unknown_action", "未知的操作", "Unknown action", status=422
        ) from None
    workdays = _field(form, "workdays", 3)
    rating = _field(form, "rating", 1)
    with transaction(session):
        lifecycle.apply(
            session,
            case_id=case_id,
            action=action,
            actor=actor,
            reason=_field(form, "reason", 500),
            category_code=_field(form, "category_code", 8) or None,
            workdays=int(workdays) if workdays.isdigit() else None,
            rating=int(rating) if rating.isdigit() else None,
        )
    back = _field(form, "next", 100)
    target = back if back.startswith("/governance/") else f"/governance/cases/{case_id}"
    return RedirectResponse(target, status_code=303)


# --- call centre ----------------------------------------------------------------------


@router.get("/governance/intake", response_class=HTMLResponse)
def intake_page(request: Request, session: DbSession, actor: StaffActor) -> Response:
    """12345 受理: the agent's form, with suggestions as the caller speaks."""
    actor.require_role(Role.call_centre_agent, Role.command_centre_operator)
    triage, _ = service.list_cases(session, actor=actor, needs_triage=True, status="accepted")
    return render(
        request,
        "governance/intake.html",
        _ctx(
            request,
            session,
            actor,
            categories=list(rules.categories().values()),
            triage=_rows(session, triage),
        ),
    )


@router.post("/governance/intake/suggest", response_class=HTMLResponse)
async def intake_suggest(request: Request, session: DbSession, actor: StaffActor) -> Response:
    """htmx partial: likely categories, the place and possible duplicates."""
    form = await request.form()
    text = _field(form, "description", intake.MAX_DESCRIPTION)
    context = _ctx(request, session, actor, suggestions=[], place=None, duplicates=[])
    if text:
        top = classify.suggest([text], top=3)[0]
        context["suggestions"] = [present.suggestion_out(s) for s in top]
        lon, lat = _number(form, "lon"), _number(form, "lat")
        if lon is not None and lat is not None and top:
            where = regions_service.locate(session, lon=lon, lat=lat)
            context["place"] = f"{where.division_name} {where.street_name}"
            context["duplicates"] = dedupe.nearby(
                session,
                category_code=top[0].category_code,
                lon=where.lon,
                lat=where.lat,
                text=text,
                now=utcnow(),
            )
        else:
            match = gazetteer.parse_address(f"{_field(form, 'address', 200)} {text}")
            if match.division_name:
                context["place"] = " ".join(
                    p for p in (match.division_name, match.street_name) if p
                )
    return render(request, "governance/_suggestions.html", context)


@router.post("/governance/intake", response_class=HTMLResponse)
async def intake_submit(request: Request, session: DbSession, actor: StaffActor) -> Response:
    form = await request.form()
    channel = intake.channel_for(actor, "hotline")
    with transaction(session):
        result = intake.intake(
            session, report=_report_from(form, channel, actor, None), actor=actor
        )
        case_id = result.case.id
    return RedirectResponse(f"/governance/cases/{case_id}", status_code=303)


# --- grid workers and the command centre ----------------------------------------------


def _grid_context(session: Any) -> dict[str, Any]:
    waiting, _ = service.list_cases(
        session, actor=_SYSTEM_READER, status=rules.CaseStatus.handled.value, limit=50
    )
    return {"to_check": _rows(session, waiting), "districts": _districts(session)}


_SYSTEM_READER: Final = Actor(kind=ActorKind.system, id="grid-page", name="网格页面")


@router.get("/governance/grid", response_class=HTMLResponse)
def grid_page(request: Request, session: DbSession, actor: StaffActor) -> Response:
    """网格员: report on patrol (photo, location) and check fixes awaiting verification."""
    actor.require_role(Role.grid_worker, Role.command_centre_operator)
    return render(
        request, "governance/grid.html", _ctx(request, session, actor, **_grid_context(session))
    )


@router.get("/governance/map", response_class=HTMLResponse)
def command_map(request: Request, session: DbSession, actor: StaffActor) -> Response:
    """指挥中心: open cases by district and status on the district map."""
    actor.require_role(Role.command_centre_operator, Role.call_centre_agent)
    counts = service.open_counts_by_division(session)
    names = {d.code: d.name for d in regions_service.list_divisions(session)}
    table = [
        {
            "code": code,
            "name": names.get(code, code),
            "total": sum(by_status.values()),
            "by_status": {
                rules.STATUS_LABELS[rules.CaseStatus(s)][0]: n for s, n in sorted(by_status.items())
            },
        }
        for code, by_status in sorted(counts.items())
    ]
    return render(
        request,
        "governance/map.html",
        _ctx(request, session, actor, table=table, districts=_districts(session)),
    )
