"""一网通办 pages: residents browse, answer, apply and follow; clerks work their inbox."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile as StarletteUploadFile

from citybrain.core.db import DbSession, transaction
from citybrain.core.errors import DomainError
from citybrain.core.schemas import IdPath
from citybrain.core.security import Actor, ActorKind
from citybrain.core.workdays import calendar_for
from citybrain.identity.dependencies import CurrentActor, OptionalActor, StaffActor
from citybrain.portal.pages import page_context
from citybrain.portal.rendering import render
from citybrain.servicehub import applications, bundles, catalog, licences, metrics, reads, reports
from citybrain.servicehub.views import MAX_IMPORT_BYTES

router = APIRouter(include_in_schema=False)

STATUS_LABELS = {
    "submitted": "已提交 Submitted",
    "waiting": "待前置事项 Waiting",
    "accepted": "已受理 Accepted",
    "correcting": "待补正 Correction requested",
    "suspended": "特别程序（暂停计时） Special procedure",
    "refused": "不予受理 Refused",
    "granted": "准予许可 Granted",
    "denied": "不予许可 Denied",
    "withdrawn": "已撤回 Withdrawn",
    "cancelled": "已取消 Cancelled",
    "in_progress": "办理中 In progress",
    "completed": "已办结 Completed",
}
MATERIAL_LABELS = {
    "licence": "免提交：电子证照 Satisfied by e-licence",
    "form": "免提交：一表申请 Covered by the form",
    "missing": "需上传 To upload",
    "needed": "需上传 To upload",
    "uploaded": "已上传 Uploaded",
    "deferred": "容缺后补 May follow later",
    "optional": "非必要 Optional",
}
REDUCTION_LABELS = {
    "applications": "申请 Applications",
    "steps": "环节 Steps",
    "materials": "材料 Materials",
    "days": "时限（工作日） Days",
    "trips": "跑动 Trips",
}
CLOCK_LABELS = {
    "not_started": "未起算 Not started",
    "on_time": "正常 On time",
    "warning": "即将到期 Due soon",
    "overdue": "已超期 Overdue",
    "paused": "暂停计时 Paused",
    "stopped": "已办结 Stopped",
}


def _ctx(request: Request, session: Any, actor: Actor | None, **extra: Any) -> dict[str, Any]:
    context = page_context(request, session, actor)
    context.update(
        status_labels=STATUS_LABELS,
        material_labels=MATERIAL_LABELS,
        clock_labels=CLOCK_LABELS,
        **extra,
    )
    return context


@router.get("/services", response_class=HTMLResponse)
def services(
    request: Request,
    session: DbSession,
    actor: OptionalActor,
    q: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The catalog and the one-thing bundles."""
    audience = "企业" if actor is not None and actor.kind is ActorKind.enterprise else None
    total, items = catalog.list_items(session, query=q, app_only=True, limit=30)
    listed = bundles.list_bundles(session, audience=audience)
    return render(
        request,
        "servicehub/services.html",
        _ctx(
            request,
            session,
            actor,
            q=q,
            total=total,
            items=items,
            bundles=listed,
            generated={b.id for b in listed if bundles.is_generated(b)},
        ),
    )


def _answers(request: Request) -> dict[str, str]:
    return {k[2:]: v[:64] for k, v in request.query_params.items() if k.startswith("q_")}


@router.get("/services/bundles/{bundle_id}", response_class=HTMLResponse)
def bundle_page(
    request: Request, bundle_id: IdPath, session: DbSession, actor: CurrentActor
) -> Response:
    """Situation questions, then the merged form and the material list."""
    bundle = bundles.get_bundle_or_raise(session, bundle_id)
    answers = _answers(request)
    today = applications.local_today(calendar_for(session))
    plan = bundles.plan(session, bundle=bundle, answers=answers, actor=actor, today=today)
    return render(
        request,
        "servicehub/bundle.html",
        _ctx(
            request,
            session,
            actor,
            bundle=bundle,
            plan=plan,
            answered=bool(answers),
            values=plan.prefill,
            errors={},
        ),
    )


@router.post("/services/bundles/{bundle_id}/apply", response_class=HTMLResponse)
async def apply(
    request: Request, bundle_id: IdPath, session: DbSession, actor: CurrentActor
) -> Response:
    form_data = await request.form()
    bundle = bundles.get_bundle_or_raise(session, bundle_id)
    answers = {k[2:]: str(v)[:64] for k, v in form_data.items() if k.startswith("q_")}
    today = applications.local_today(calendar_for(session))
    plan = bundles.plan(session, bundle=bundle, answers=answers, actor=actor, today=today)
    values: dict[str, Any] = {}
    for key, spec in plan.form_schema["properties"].items():
        raw = str(form_data.get(f"f_{key}", ""))[:2000].strip()
        if raw == "" and key not in plan.form_schema["required"]:
            continue
        if spec["type"] == "number":
            try:
                values[key] = float(raw) if "." in raw else int(raw)
            except ValueError:
                values[key] = raw
        else:
            values[key] = raw
    try:
        with transaction(session):
            application = applications.submit(
                session, actor=actor, bundle_id=bundle.id, answers=answers, form=values
            )
    except DomainError as error:
        if error.code != "servicehub.form_invalid":
            raise
        errors = {f["field"]: f["problem"] for f in error.detail["fields"]}
        return render(
            request,
            "servicehub/bundle.html",
            _ctx(
                request,
                session,
                actor,
                bundle=bundle,
                plan=plan,
                answered=True,
                values=values,
                errors=errors,
                error=error.body(),
            ),
            status_code=422,
        )
    return RedirectResponse(f"/services/applications/{application.id}", status_code=303)


@router.get("/services/applications", response_class=HTMLResponse)
def my_applications(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    rows = [reads.application_out(session, a) for a in applications.list_mine(session, actor=actor)]
    held = [reads.licence_out(session, lic) for lic in licences.list_for(session, actor=actor)]
    return render(
        request,
        "servicehub/applications.html",
        _ctx(request, session, actor, applications=rows, licences=held),
    )


@router.get("/services/applications/{application_id}", response_class=HTMLResponse)
def application_page(
    request: Request, application_id: IdPath, session: DbSession, actor: CurrentActor
) -> Response:
    application = applications.view_application(session, actor=actor, application_id=application_id)
    out = reads.application_out(session, application)
    held = {
        lic.number: reads.licence_out(session, lic)
        for lic in licences.list_for(session, actor=actor)
    }
    return render(
        request,
        "servicehub/application.html",
        _ctx(
            request,
            session,
            actor,
            app=out,
            licences=held,
            is_staff=actor.kind is ActorKind.staff,
            my_department=actor.department_id,
        ),
    )


@router.post("/services/applications/{application_id}/correction-answered")
def correction_answered(
    application_id: IdPath, session: DbSession, actor: CurrentActor
) -> Response:
    with transaction(session):
        applications.answer_correction(session, actor=actor, application_id=application_id)
    return RedirectResponse(f"/services/applications/{application_id}", status_code=303)


@router.get("/services/inbox", response_class=HTMLResponse)
def inbox(request: Request, session: DbSession, actor: StaffActor) -> Response:
    """The clerk's inbox: open tasks of the department, deadlines first."""
    rows = reads.inbox_rows(session, applications.inbox(session, actor=actor))
    figures = None
    if actor.department_id is not None:
        figures = metrics.department_metrics(
            session, actor=actor, department_id=actor.department_id
        )
    return render(
        request,
        "servicehub/inbox.html",
        _ctx(
            request,
            session,
            actor,
            rows=rows,
            metrics=figures,
            city_report=metrics.may_see_city_report(session, actor),
        ),
    )


@router.get("/services/reports", response_class=HTMLResponse)
def reports_page(request: Request, session: DbSession, actor: StaffActor) -> Response:
    """四减 across all bundles and every department's figures (heads, data bureau, 政务办)."""
    departments = metrics.all_department_metrics(session, actor=actor)
    return render(
        request,
        "servicehub/reports.html",
        _ctx(
            request,
            session,
            actor,
            departments=departments,
            reductions=reports.city_reductions(session),
            measures=REDUCTION_LABELS,
        ),
    )


@router.post("/services/tasks/{task_id}/steps")
def take_step(
    task_id: IdPath,
    session: DbSession,
    actor: StaffActor,
    action: Annotated[str, Form(max_length=32)],
    step: Annotated[str | None, Form(max_length=64)] = None,
    granted: Annotated[str | None, Form(max_length=8)] = None,
    reason: Annotated[str, Form(max_length=500)] = "",
    materials: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    listed = [line.strip()[:200] for line in materials.splitlines() if line.strip()]
    with transaction(session):
        task = applications.take_step(
            session,
            actor=actor,
            task_id=task_id,
            action=action,
            step=step or None,
            granted=None if granted is None else granted == "yes",
            reason=reason,
            materials=listed,
        )
    return RedirectResponse(f"/services/applications/{task.application_id}", status_code=303)


@router.post("/services/applications/{application_id}/rating")
def rate(
    application_id: IdPath,
    session: DbSession,
    actor: CurrentActor,
    score: Annotated[int, Form(ge=1, le=5)],
    comment: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    with transaction(session):
        metrics.rate(
            session, actor=actor, application_id=application_id, score=score, comment=comment
        )
    return RedirectResponse(f"/services/applications/{application_id}", status_code=303)


@router.get("/services/admin/catalog", response_class=HTMLResponse)
def catalog_admin(
    request: Request,
    session: DbSession,
    actor: StaffActor,
    q: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The administrator's catalog page: counts, search, import and export."""
    actor.require_role()
    total, items = catalog.list_items(session, query=q, limit=100)
    counts = catalog.count_items(session)
    return render(
        request,
        "servicehub/catalog_admin.html",
        _ctx(request, session, actor, q=q, total=total, items=items, counts=counts, report=None),
    )


@router.post("/services/admin/catalog/import", response_class=HTMLResponse)
async def catalog_import(request: Request, session: DbSession, actor: StaffActor) -> Response:
    actor.require_role()
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, StarletteUploadFile):
        raise DomainError("servicehub.bad_file", "请选择文件", "Choose a file", status=422)
    content = await upload.read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        raise DomainError(
            "servicehub.import_too_large",
            "文件超过 10 MB",
            "The file is larger than 10 MB",
            status=413,
        )
    name = (upload.filename or "").lower()
    rows = catalog.parse_csv(content) if name.endswith(".csv") else catalog.parse_json(content)
    with transaction(session):
        report = catalog.import_items(session, actor=actor, rows=rows)
    total, items = catalog.list_items(session, limit=100)
    return render(
        request,
        "servicehub/catalog_admin.html",
        _ctx(
            request,
            session,
            actor,
            q="",
            total=total,
            items=items,
            counts=catalog.count_items(session),
            report=report,
        ),
    )


@router.post("/services/applications/{application_id}/materials/{key}")
async def upload_material(
    request: Request,
    application_id: IdPath,
    key: Annotated[str, Path(max_length=64)],
    session: DbSession,
    actor: CurrentActor,
) -> Response:
    """The applicant uploads a material the application still needs."""
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, StarletteUploadFile):
        raise DomainError("servicehub.bad_file", "请选择文件", "Choose a file", status=422)
    content = await upload.read(applications.MAX_UPLOAD_BYTES + 1)
    with transaction(session):
        applications.upload_material(
            session,
            actor=actor,
            application_id=application_id,
            key=key,
            filename=upload.filename or "upload",
            content_type=upload.content_type or "",
            content=content,
        )
    return RedirectResponse(f"/services/applications/{application_id}", status_code=303)
