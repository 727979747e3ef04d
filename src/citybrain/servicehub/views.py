"""servicehub API: catalog, bundles, applications, clerk steps and inbox, e-licences."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Path, Query, UploadFile
from fastapi.responses import Response
from pydantic import Field

from citybrain.core.db import DbSession, transaction
from citybrain.core.errors import DomainError
from citybrain.core.schemas import IdPath, Schema
from citybrain.core.workdays import calendar_for
from citybrain.identity.dependencies import CurrentActor, OptionalActor, StaffActor
from citybrain.servicehub import (
    applications,
    bundles,
    catalog,
    construction,
    licences,
    metrics,
    reads,
    reports,
)
from citybrain.servicehub.schemas import (
    ApplicationOut,
    ApplyIn,
    BundlePlan,
    BundleSummary,
    ImportReport,
    InboxRow,
    ItemIn,
    ItemOut,
    LicenceOut,
    PlanIn,
    StepIn,
)

router = APIRouter(prefix="/api/v1/servicehub", tags=["servicehub"])
MAX_IMPORT_BYTES = 10 * 1024 * 1024


class ItemPage(Schema):
    total: int
    items: list[ItemOut]


def _item_out(session: DbSession, item: catalog.ServiceItem) -> ItemOut:
    out = ItemOut.model_validate(item)
    out.department_name = catalog.identity_service.get_department_or_raise(
        session, item.department_id
    ).name
    return out


@router.get("/items", response_model=ItemPage)
def list_items(
    session: DbSession,
    q: Annotated[str, Query(max_length=64)] = "",
    department_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    app_only: bool = False,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ItemPage:
    """Browse the service catalog (public)."""
    total, items = catalog.list_items(
        session, query=q, department_id=department_id, app_only=app_only, offset=offset, limit=limit
    )
    return ItemPage(total=total, items=[_item_out(session, i) for i in items])


@router.get("/items/export")
def export_items(session: DbSession, format: Literal["csv", "json"] = "csv") -> Response:
    """The whole catalog as re-importable CSV or JSON."""
    if format == "json":
        body = json.dumps(catalog.export_rows(session), ensure_ascii=False)
        return Response(body, media_type="application/json")
    return Response(catalog.export_csv(session), media_type="text/csv; charset=utf-8")


@router.get("/items/{item_id}", response_model=ItemOut)
def get_item(item_id: IdPath, session: DbSession) -> ItemOut:
    return _item_out(session, catalog.get_item_or_raise(session, item_id))


@router.post("/items", response_model=ItemOut, status_code=201)
def create_item(data: ItemIn, session: DbSession, actor: StaffActor) -> ItemOut:
    """Add one item; 422 naming the consistency rule it breaks."""
    with transaction(session):
        item = catalog.create_item(session, actor=actor, data=data)
    return _item_out(session, item)


@router.post("/items/import", response_model=ImportReport)
def import_items(
    session: DbSession,
    actor: StaffActor,
    file: Annotated[UploadFile, File(description="JSON array or CSV of items")],
    format: Literal["csv", "json"] = "json",
) -> ImportReport:
    """Import items: good rows are saved, bad rows come back with row and rule."""
    content = file.file.read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        raise DomainError(
            "servicehub.import_too_large",
            "文件超过 10 MB",
            "The file is larger than 10 MB",
            status=413,
        )
    rows = catalog.parse_json(content) if format == "json" else catalog.parse_csv(content)
    with transaction(session):
        return catalog.import_items(session, actor=actor, rows=rows)


@router.get("/bundles", response_model=list[BundleSummary])
def list_bundles(
    session: DbSession, audience: Literal["个人", "企业"] | None = None
) -> list[BundleSummary]:
    return [
        BundleSummary(
            id=b.id,
            code=b.code,
            name=b.name,
            audience=b.audience,
            lead_department_id=b.lead_department_id,
            member_count=len(b.members),
            limit_days=bundles.limit_days(b),
            generated=bundles.is_generated(b),
        )
        for b in bundles.list_bundles(session, audience=audience)
    ]


@router.post("/bundles/{bundle_id}/plan", response_model=BundlePlan)
def plan_bundle(
    bundle_id: IdPath, data: PlanIn, session: DbSession, actor: OptionalActor
) -> BundlePlan:
    """Items, merged form, materials (satisfied or not) and days for these answers."""
    bundle = bundles.get_bundle_or_raise(session, bundle_id)
    today = applications.local_today(calendar_for(session))
    return bundles.plan(session, bundle=bundle, answers=data.answers, actor=actor, today=today)


@router.post("/bundles/{bundle_id}/applications", response_model=ApplicationOut, status_code=201)
def apply(
    bundle_id: IdPath, data: ApplyIn, session: DbSession, actor: CurrentActor
) -> ApplicationOut:
    """Submit one application for the bundle; 422 names every bad form field."""
    with transaction(session):
        application = applications.submit(
            session,
            actor=actor,
            bundle_id=bundle_id,
            answers=data.answers,
            form=data.form,
            enterprise_id=data.enterprise_id,
        )
    return reads.application_out(session, application)


@router.get("/applications", response_model=list[ApplicationOut])
def my_applications(session: DbSession, actor: CurrentActor) -> list[ApplicationOut]:
    return [reads.application_out(session, a) for a in applications.list_mine(session, actor=actor)]


@router.get("/applications/{application_id}", response_model=ApplicationOut)
def get_application(
    application_id: IdPath, session: DbSession, actor: CurrentActor
) -> ApplicationOut:
    application = applications.view_application(session, actor=actor, application_id=application_id)
    return reads.application_out(session, application)


class ReasonIn(Schema):
    reason: Annotated[str, Field(max_length=500)] = ""


@router.post("/applications/{application_id}/withdraw", response_model=ApplicationOut)
def withdraw(
    application_id: IdPath, data: ReasonIn, session: DbSession, actor: CurrentActor
) -> ApplicationOut:
    with transaction(session):
        application = applications.withdraw(
            session, actor=actor, application_id=application_id, reason=data.reason
        )
    return reads.application_out(session, application)


@router.post("/applications/{application_id}/correction-answered", response_model=ApplicationOut)
def correction_answered(
    application_id: IdPath, session: DbSession, actor: CurrentActor
) -> ApplicationOut:
    """The applicant has supplied what the correction notice asked for."""
    with transaction(session):
        application = applications.answer_correction(
            session, actor=actor, application_id=application_id
        )
    return reads.application_out(session, application)


@router.post("/applications/{application_id}/materials/{key}", status_code=204)
def upload_material(
    application_id: IdPath,
    key: Annotated[str, Path(min_length=1, max_length=64)],
    session: DbSession,
    actor: CurrentActor,
    file: Annotated[UploadFile, File(description="PDF, JPEG or PNG, at most 5 MB")],
) -> Response:
    content = file.file.read(applications.MAX_UPLOAD_BYTES + 1)
    with transaction(session):
        applications.upload_material(
            session,
            actor=actor,
            application_id=application_id,
            key=key,
            filename=file.filename or "upload",
            content_type=file.content_type or "",
            content=content,
        )
    return Response(status_code=204)


@router.post("/tasks/{task_id}/steps", response_model=ApplicationOut)
def take_step(
    task_id: IdPath, data: StepIn, session: DbSession, actor: StaffActor
) -> ApplicationOut:
    """A clerk's step: accept, refuse, request_correction, review, decide."""
    with transaction(session):
        task = applications.take_step(
            session,
            actor=actor,
            task_id=task_id,
            action=data.action,
            step=data.step,
            granted=data.granted,
            reason=data.reason,
            materials=data.materials,
        )
    return reads.application_out(session, task.application)


@router.get("/inbox", response_model=list[InboxRow])
def inbox(
    session: DbSession,
    actor: StaffActor,
    department_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[InboxRow]:
    """The department's open tasks with their deadlines."""
    tasks = applications.inbox(session, actor=actor, department_id=department_id, limit=limit)
    return reads.inbox_rows(session, tasks)


@router.get("/licences", response_model=list[LicenceOut])
def my_licences(session: DbSession, actor: CurrentActor) -> list[LicenceOut]:
    return [reads.licence_out(session, lic) for lic in licences.list_for(session, actor=actor)]


@router.get("/licences/{licence_id}/verify", response_model=LicenceOut)
def verify_licence(licence_id: IdPath, session: DbSession) -> LicenceOut:
    """Whether a licence is valid and its issuer's signature holds (public)."""
    return reads.licence_out(session, licences.get_or_raise(session, licence_id))


@router.get("/construction")
def construction_report() -> dict[str, Any]:
    """工程建设项目审批: items and main-line working days per category, after vs before."""
    after, before = construction.report()
    return {"after": dataclasses.asdict(after), "before": dataclasses.asdict(before)}


class RatingIn(Schema):
    score: Annotated[int, Field(ge=1, le=5)]
    comment: Annotated[str, Field(max_length=500)] = ""


class RatingOut(Schema):
    application_id: int
    score: int
    comment: str


@router.post("/applications/{application_id}/rating", response_model=RatingOut, status_code=201)
def rate(
    application_id: IdPath, data: RatingIn, session: DbSession, actor: CurrentActor
) -> RatingOut:
    """好差评: rate a finished application once (1–5, optional comment)."""
    with transaction(session):
        rating = metrics.rate(
            session,
            actor=actor,
            application_id=application_id,
            score=data.score,
            comment=data.comment,
        )
    return RatingOut.model_validate(rating)


class MetricsOut(Schema):
    department_id: int
    department_name: str
    open_tasks: int
    overdue_tasks: int
    warning_tasks: int
    decided_tasks: int
    on_time_tasks: int
    on_time_rate: float | None
    average_working_days: float | None
    ratings: int
    average_rating: float | None
    poor_ratings: int
    score_counts: list[int]
    recent_comments: list[str]


@router.get("/departments/{department_id}/metrics", response_model=MetricsOut)
def department_metrics(department_id: IdPath, session: DbSession, actor: StaffActor) -> MetricsOut:
    """On-time completion, working days used and ratings of one department."""
    found = metrics.department_metrics(session, actor=actor, department_id=department_id)
    return MetricsOut.model_validate(dataclasses.asdict(found))


@router.get("/reports/departments", response_model=list[MetricsOut])
def departments_report(session: DbSession, actor: StaffActor) -> list[MetricsOut]:
    """Every department's on-time rate, working days and 好差评 (heads, data bureau, 政务办)."""
    rows = metrics.all_department_metrics(session, actor=actor)
    return [MetricsOut.model_validate(dataclasses.asdict(row)) for row in rows]


@router.get("/reports/departments.csv")
def departments_report_csv(session: DbSession, actor: StaffActor) -> Response:
    rows = metrics.all_department_metrics(session, actor=actor)
    return _csv(metrics.metrics_csv(rows), "servicehub-departments.csv")


class BundleReductionsOut(Schema):
    bundle_id: int
    code: str
    name: str
    audience: str
    generated: bool
    lead_department_id: int
    lead_department_name: str
    items: int
    departments: int
    separately: dict[str, int]
    bundled: dict[str, int]
    saved: dict[str, int]


class CityReductionsOut(Schema):
    bundles: int
    separately: dict[str, int]
    bundled: dict[str, int]
    saved: dict[str, int]
    saved_share: dict[str, float | None]
    rows: list[BundleReductionsOut]


@router.get("/reports/reductions", response_model=CityReductionsOut)
def reductions_report(
    session: DbSession,
    generated: bool | None = None,
    department_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> CityReductionsOut:
    """四减 of every bundle and in total: applications, steps, materials, days, trips (public)."""
    found = reports.city_reductions(session, generated=generated, department_id=department_id)
    return CityReductionsOut.model_validate(dataclasses.asdict(found))


@router.get("/reports/reductions.csv")
def reductions_report_csv(
    session: DbSession,
    generated: bool | None = None,
    department_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Response:
    found = reports.city_reductions(session, generated=generated, department_id=department_id)
    return _csv(reports.reductions_csv(found), "servicehub-reductions.csv")


def _csv(body: str, filename: str) -> Response:
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
