"""Applications (办件): submit, accept or refuse, correct, review, decide, withdraw.

One application per bundle submission, one task per chosen item. Each task runs its
item's BPMN process (state stored with the task) and its own working-day clock.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import case, select
from sqlalchemy.orm import Session, selectinload

from citybrain.core import audit
from citybrain.core.crypto import cipher_of
from citybrain.core.db import utcnow
from citybrain.core.errors import DomainError, forbidden, not_found
from citybrain.core.outbox import emit
from citybrain.core.security import Actor, ActorKind, Role
from citybrain.core.workdays import WorkCalendar, calendar_for
from citybrain.identity import service as identity_service
from citybrain.notifications import service as notifications_service
from citybrain.servicehub import bundles as bundle_service
from citybrain.servicehub import licences as licence_service
from citybrain.servicehub import rules, workflow
from citybrain.servicehub.events import ApplicationCompleted, ApplicationSubmitted, TaskStepTaken
from citybrain.servicehub.models import (
    Application,
    ApplicationMaterial,
    ApplicationTask,
    Bundle,
    ServiceItem,
)

FORM_CONTEXT = "servicehub.application.form"
OPEN = ("submitted", "accepted", "correcting", "suspended")
# 特别程序 (行政许可法 §45): time that does not count against the limit.
SPECIAL_PROCEDURES = ("hearing", "testing", "appraisal", "expert_review", "tendering")
FINAL = ("refused", "granted", "denied", "withdrawn", "cancelled")
LICENCE_YEARS = 5


def local_today(calendar: WorkCalendar, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(calendar.zone).date()


def validate_form(schema: dict[str, Any], form: Mapping[str, Any]) -> None:
    """422 naming every field that breaks the merged schema."""
    problems: dict[str, str] = {}
    for error in Draft202012Validator(schema).iter_errors(dict(form)):
        if error.validator == "required":
            for key in schema.get("required", []):
                if key not in form:
                    problems.setdefault(key, "必填 required")
        elif error.validator == "additionalProperties":
            for key in form:
                if key not in schema["properties"]:
                    problems.setdefault(key, "表单中没有此字段 not a field of this form")
        else:
            key = str(error.path[0]) if error.path else "form"
            problems.setdefault(key, error.message[:200])
    if problems:
        fields = sorted(problems)
        raise DomainError(
            "servicehub.form_invalid",
            "表单有误：" + "、".join(fields),
            "The form is invalid: " + ", ".join(fields),
            status=422,
            fields=[{"field": k, "problem": problems[k]} for k in fields],
        )


def _applicant(actor: Actor, enterprise_id: int | None) -> tuple[str, int | None, int | None]:
    if actor.kind is ActorKind.person and actor.person_id is not None:
        return "person", actor.person_id, None
    if actor.kind is ActorKind.enterprise and actor.enterprise_id is not None:
        if enterprise_id not in (None, actor.enterprise_id):
            raise forbidden("servicehub.other_enterprise")
        return "enterprise", None, actor.enterprise_id
    raise DomainError(
        "servicehub.applicant_only",
        "仅个人或企业用户可以申请",
        "Only residents and enterprises can apply",
        status=403,
    )


def submit(
    session: Session,
    *,
    actor: Actor,
    bundle_id: int,
    answers: Mapping[str, str],
    form: Mapping[str, Any],
    enterprise_id: int | None = None,
    today: date | None = None,
) -> Application:
    """One application for a bundle: validated form, one task per chosen item."""
    kind, person_id, ent_id = _applicant(actor, enterprise_id)
    bundle = bundle_service.get_bundle_or_raise(session, bundle_id)
    calendar = calendar_for(session)
    today = today or local_today(calendar)
    the_plan = bundle_service.plan(
        session, bundle=bundle, answers=answers, actor=actor, today=today, strict=True
    )
    validate_form(the_plan.form_schema, form)
    application = Application(
        number=f"SH{today:%Y%m%d}{secrets.token_hex(5).upper()}",
        bundle_id=bundle.id,
        title=bundle.name,
        applicant_kind=kind,
        person_id=person_id,
        enterprise_id=ent_id,
        status="submitted",
        answers=the_plan.answers,
        form_ciphertext=cipher_of(session).encrypt(
            json.dumps(dict(form), ensure_ascii=False), context=FORM_CONTEXT
        ),
        limit_days=the_plan.limit_days,
    )
    session.add(application)
    session.flush()
    tasks_by_item: dict[int, ApplicationTask] = {}
    for member in the_plan.members:
        item = session.get(ServiceItem, member.item_id)
        assert item is not None
        task = ApplicationTask(
            application_id=application.id,
            item_id=item.id,
            department_id=item.department_id,
            status="waiting" if member.requires else "submitted",
            workflow_state=workflow.dump(workflow.start(item.process)),
            limit_days=item.promised_days,
        )
        session.add(task)
        tasks_by_item[item.id] = task
    session.flush()
    for member in the_plan.members:
        tasks_by_item[member.item_id].requires = [tasks_by_item[r].id for r in member.requires]
    session.add_all(
        ApplicationMaterial(
            application_id=application.id,
            key=m.key,
            name=m.name[:200],
            status="missing" if m.status == "needed" else m.status,
            licence_id=m.licence_id,
        )
        for m in the_plan.materials
    )
    session.flush()
    audit.record(
        session,
        actor,
        "servicehub.application_submitted",
        entity_type="servicehub_application",
        entity_id=application.id,
        detail={"bundle": bundle.code, "tasks": len(tasks_by_item)},
    )
    emit(session, ApplicationSubmitted(application.id, bundle.id, len(tasks_by_item)))
    return application


def get_application_or_raise(session: Session, application_id: int) -> Application:
    application = session.get(Application, application_id)
    if application is None:
        raise not_found("servicehub.application_not_found", "办件", "Application")
    return application


def owns(actor: Actor, application: Application) -> bool:
    if actor.kind is ActorKind.person:
        return application.person_id is not None and application.person_id == actor.person_id
    if actor.kind is ActorKind.enterprise:
        return application.enterprise_id is not None and (
            application.enterprise_id == actor.enterprise_id
        )
    return False


def view_application(session: Session, *, actor: Actor, application_id: int) -> Application:
    """The applicant, the admin and the departments with a task in it may look."""
    application = get_application_or_raise(session, application_id)
    if owns(actor, application) or actor.is_admin:
        return application
    staff = actor.kind is ActorKind.staff
    if staff and actor.role in (Role.department_clerk, Role.department_head):
        mine = any(t.department_id == actor.department_id for t in application.tasks)
        if mine:
            return application
    raise forbidden("servicehub.not_your_application")


def read_form(session: Session, application: Application) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        cipher_of(session).decrypt(application.form_ciphertext, context=FORM_CONTEXT)
    )
    return data


def list_mine(session: Session, *, actor: Actor, limit: int = 50) -> list[Application]:
    if actor.kind is ActorKind.person:
        where = Application.person_id == actor.person_id
    elif actor.kind is ActorKind.enterprise:
        where = Application.enterprise_id == actor.enterprise_id
    else:
        return []
    return list(
        session.scalars(
            select(Application).where(where).order_by(Application.id.desc()).limit(limit)
        )
    )


def _conflict(task: ApplicationTask, action: str) -> DomainError:
    return DomainError(
        "servicehub.step_out_of_order",
        f"办件当前状态（{task.status}）不能执行此操作",
        f"Cannot {action} a task that is {task.status}",
        status=409,
        status_now=task.status,
        action=action,
    )


def take_step(
    session: Session,
    *,
    actor: Actor,
    task_id: int,
    action: str,
    step: str | None = None,
    granted: bool | None = None,
    reason: str = "",
    materials: list[str] | None = None,
    today: date | None = None,
) -> ApplicationTask:
    """A clerk's step on their department's task; 409 out of order, 403 for others."""
    actor.require_role(Role.department_clerk, Role.department_head)
    task = session.get(ApplicationTask, task_id)
    if task is None:
        raise not_found("servicehub.task_not_found", "办件事项", "Task")
    actor.require_department(task.department_id)
    calendar = calendar_for(session)
    today = today or local_today(calendar)
    flow = workflow.restore(task.workflow_state)
    if action == "accept":
        if task.status != "submitted":
            raise _conflict(task, action)
        workflow.complete(flow, workflow.ACCEPT_STEP, {"accepted": True})
        task.status, task.accepted_on = "accepted", today
        task.due_on = calendar.add_workdays(today, task.limit_days).day
    elif action == "refuse":
        if task.status != "submitted":
            raise _conflict(task, action)
        _need_reason(reason)
        flow.cancel()
        task.status, task.reason, task.decided_at = "refused", reason, utcnow()
    elif action == "request_correction":
        if task.status != "accepted":
            raise _conflict(task, action)
        if not materials:
            raise DomainError(
                "servicehub.materials_required",
                "请一次性列出需补正的全部材料",
                "List every material to correct",
                status=422,
            )
        task.status, task.correction_since = "correcting", today
        task.correction_materials, task.reason = list(materials), reason
    elif action == "suspend":
        if task.status != "accepted":
            raise _conflict(task, action)
        if step not in SPECIAL_PROCEDURES:
            raise DomainError(
                "servicehub.special_procedure",
                "请选择特别程序类型",
                "Name the special procedure",
                status=422,
                allowed=list(SPECIAL_PROCEDURES),
            )
        # The clock is paused from today (``correction_since`` is the pause start).
        task.status, task.correction_since, task.reason = "suspended", today, f"{step}: {reason}"
    elif action == "resume":
        if task.status != "suspended":
            raise _conflict(task, action)
        _resume_clock(calendar, task, today)
    elif action == "review":
        if task.status != "accepted":
            raise _conflict(task, action)
        pending = [
            s
            for s in workflow.ready_steps(flow)
            if s not in (workflow.ACCEPT_STEP, workflow.DECIDE_STEP)
        ]
        if not pending:
            raise _conflict(task, action)
        workflow.complete(flow, step or pending[0])
    elif action == "decide":
        if task.status != "accepted":
            raise _conflict(task, action)
        if granted is None:
            raise DomainError(
                "servicehub.decision_required",
                "请选择准予或不予许可",
                "Say whether the item is granted",
                status=422,
            )
        if not granted:
            _need_reason(reason)
        workflow.complete(flow, workflow.DECIDE_STEP, {"granted": granted})
        task.status = "granted" if workflow.outcome(flow) == "grant" else "denied"
        task.reason, task.decided_at = reason, utcnow()
        if task.status == "granted":
            _issue_result(session, actor, task, today)
    else:
        raise DomainError("servicehub.unknown_action", "未知操作", "Unknown action", status=422)
    task.workflow_state = workflow.dump(flow)
    session.flush()
    audit.record(
        session,
        actor,
        f"servicehub.task_{action}",
        entity_type="servicehub_task",
        entity_id=task.id,
        reason=reason,
        detail={"application": task.application_id, "status": task.status},
    )
    emit(
        session,
        TaskStepTaken(task.application_id, task.id, task.department_id, action, task.status),
    )
    _tell_applicant(session, task, action)
    _settle(session, actor, task.application)
    return task


# What the applicant is told after a clerk's step: (Chinese, English); None says nothing.
STEP_NOTICES: dict[str, tuple[str, str] | None] = {
    "accepted": ("「{item}」已受理", "Accepted: {item}"),
    "refused": ("「{item}」不予受理：{reason}", "Not accepted: {item}"),
    "correcting": ("「{item}」需要补正材料：{materials}", "Correction needed: {item}"),
    "suspended": ("「{item}」进入特别程序，期限暂停", "Special procedure, clock paused: {item}"),
    "granted": ("「{item}」已准予", "Granted: {item}"),
    "denied": ("「{item}」不予许可：{reason}", "Refused: {item}"),
}


def _notify(session: Session, application: Application, title: str, title_en: str) -> None:
    notifications_service.send(
        session,
        topic="servicehub.application",
        title=title,
        title_en=title_en,
        link=f"/services/applications/{application.id}",
        person_id=application.person_id if application.enterprise_id is None else None,
        enterprise_id=application.enterprise_id,
    )


def _tell_applicant(session: Session, task: ApplicationTask, action: str) -> None:
    """Tell the applicant (person or enterprise) what changed, in the same transaction."""
    notice = STEP_NOTICES.get(task.status) if action != "review" else None
    if notice is None:
        return
    values = {
        "item": task.item.name,
        "reason": task.reason,
        "materials": "、".join(task.correction_materials or []),
    }
    _notify(session, task.application, notice[0].format(**values), notice[1].format(**values))


def _need_reason(reason: str) -> None:
    if not reason.strip():
        raise DomainError(
            "servicehub.reason_required", "请说明理由", "A reason is required", status=422
        )


def _issue_result(session: Session, actor: Actor, task: ApplicationTask, today: date) -> None:
    item = task.item
    if not item.licence_type:
        return
    application = task.application
    form = read_form(session, application)
    holder = form.get("business_name") or form.get("applicant_name") or application.number
    licence = licence_service.issue(
        session,
        actor=actor,
        type_code=item.licence_type,
        issuer_department_id=task.department_id,
        person_id=application.person_id,
        enterprise_id=application.enterprise_id,
        holder_name=str(holder),
        issued_on=today,
        valid_until=date(today.year + LICENCE_YEARS, today.month, min(today.day, 28)),
        detail={"item": item.name, "application": application.number},
    )
    task.licence_id = licence.id


def _settle(session: Session, actor: Actor, application: Application) -> None:
    """Release tasks whose prerequisites are granted; finish the application when all are."""
    by_id = {t.id: t for t in application.tasks}
    for task in application.tasks:
        if task.status != "waiting":
            continue
        before = [by_id[r] for r in task.requires]
        if any(b.status in ("refused", "denied", "withdrawn", "cancelled") for b in before):
            task.status, task.reason = "cancelled", "前置事项未获准予 prerequisite not granted"
        elif all(b.status == "granted" for b in before):
            task.status = "submitted"
    statuses = {t.status for t in application.tasks}
    if statuses <= set(FINAL):
        if application.status != "completed":
            application.status, application.completed_at = "completed", utcnow()
            emit(session, ApplicationCompleted(application.id, "completed"))
            _notify(
                session,
                application,
                f"办件 {application.number} 已办结，请查收结果",
                f"Application {application.number} is complete",
            )
            audit.record(
                session,
                actor,
                "servicehub.application_completed",
                entity_type="servicehub_application",
                entity_id=application.id,
            )
    elif "correcting" in statuses:
        application.status = "correcting"
    elif statuses & {"accepted", "granted", "denied", "refused"}:
        application.status = "in_progress"
    session.flush()


def _resume_clock(calendar: WorkCalendar, task: ApplicationTask, today: date) -> None:
    """End a pause: its working days are added to ``paused_days`` and the due date moves."""
    assert task.correction_since is not None and task.accepted_on is not None
    paused, _ = calendar.workdays_between(task.correction_since, today)
    task.paused_days += paused
    task.status, task.correction_since, task.correction_materials = "accepted", None, []
    task.due_on = calendar.add_workdays(task.accepted_on, task.limit_days + task.paused_days).day


def answer_correction(
    session: Session,
    *,
    actor: Actor,
    application_id: int,
    today: date | None = None,
) -> Application:
    """The applicant has supplied the materials: every paused clock runs again."""
    application = get_application_or_raise(session, application_id)
    if not owns(actor, application):
        raise forbidden("servicehub.not_your_application")
    correcting = [t for t in application.tasks if t.status == "correcting"]
    if not correcting:
        raise DomainError(
            "servicehub.no_correction",
            "没有待补正的材料",
            "Nothing is waiting for correction",
            status=409,
        )
    calendar = calendar_for(session)
    today = today or local_today(calendar)
    for task in correcting:
        _resume_clock(calendar, task, today)
    audit.record(
        session,
        actor,
        "servicehub.correction_answered",
        entity_type="servicehub_application",
        entity_id=application.id,
        detail={"tasks": [t.id for t in correcting]},
    )
    application.status = "in_progress"
    _settle(session, actor, application)
    return application


def withdraw(
    session: Session, *, actor: Actor, application_id: int, reason: str = ""
) -> Application:
    application = get_application_or_raise(session, application_id)
    if not owns(actor, application):
        raise forbidden("servicehub.not_your_application")
    if application.status in ("completed", "withdrawn"):
        raise DomainError(
            "servicehub.cannot_withdraw",
            "办件已办结，不能撤回",
            "The application is already finished",
            status=409,
        )
    for task in application.tasks:
        if task.status not in FINAL:
            task.status = "withdrawn"
    application.status, application.completed_at = "withdrawn", utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "servicehub.application_withdrawn",
        entity_type="servicehub_application",
        entity_id=application.id,
        reason=reason,
    )
    emit(session, ApplicationCompleted(application.id, "withdrawn"))
    return application


def task_clock(calendar: WorkCalendar, task: ApplicationTask, today: date) -> rules.Clock:
    stopped = task.decided_at.astimezone(calendar.zone).date() if task.decided_at else None
    return rules.clock(
        calendar,
        limit_days=task.limit_days,
        accepted_on=task.accepted_on,
        paused_days=task.paused_days,
        today=today,
        correction_since=task.correction_since,
        stopped_on=stopped,
    )


def expected_on(calendar: WorkCalendar, application: Application, today: date) -> date | None:
    """The date the applicant can expect all results."""
    if application.status in ("completed", "withdrawn"):
        return None
    dues = [t.due_on for t in application.tasks if t.due_on and t.status in OPEN]
    if all(t.status in (*FINAL, *OPEN[1:]) for t in application.tasks) and dues:
        return max(dues)
    start = max(today, application.submitted_at.astimezone(calendar.zone).date())
    return calendar.add_workdays(start, application.limit_days + 1).day


def inbox(
    session: Session,
    *,
    actor: Actor,
    department_id: int | None = None,
    statuses: tuple[str, ...] = OPEN,
    limit: int = 100,
) -> list[ApplicationTask]:
    """A department's open tasks: not yet accepted first, then by due date."""
    actor.require_role(Role.department_clerk, Role.department_head)
    department_id = department_id if department_id is not None else actor.department_id
    actor.require_department(department_id)
    statement = (
        select(ApplicationTask)
        .where(ApplicationTask.department_id == department_id, ApplicationTask.status.in_(statuses))
        .options(selectinload(ApplicationTask.application), selectinload(ApplicationTask.item))
        .order_by(
            case((ApplicationTask.due_on.is_(None), 0), else_=1),
            ApplicationTask.due_on,
            ApplicationTask.id,
        )
        .limit(limit)
    )
    return list(session.scalars(statement))


def applicant_label(session: Session, application: Application) -> str:
    """A masked label of who applied, for staff screens."""
    if application.person_id is not None:
        person = identity_service.get_person_or_raise(session, application.person_id)
        return f"{person.name[:1]}*{'*' * max(len(person.name) - 2, 0)} {person.id_number_masked}"
    return f"企业 #{application.enterprise_id}"


def bundle_of(session: Session, application: Application) -> Bundle | None:
    return session.get(Bundle, application.bundle_id) if application.bundle_id else None


UPLOAD_CONTEXT = "servicehub.application.material"
UPLOAD_TYPES = {"application/pdf", "image/jpeg", "image/png"}
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def upload_material(
    session: Session,
    *,
    actor: Actor,
    application_id: int,
    key: str,
    filename: str,
    content_type: str,
    content: bytes,
) -> ApplicationMaterial:
    """The applicant uploads a material still missing; 413 too large, 415 wrong type."""
    application = get_application_or_raise(session, application_id)
    if not owns(actor, application):
        raise forbidden("servicehub.not_your_application")
    material = next((m for m in application.materials if m.key == key), None)
    if material is None:
        raise not_found("servicehub.material_not_found", "材料", "Material")
    if material.status not in ("missing", "deferred", "uploaded"):
        raise DomainError(
            "servicehub.material_satisfied",
            "该材料已由电子证照或表单满足，无需上传",
            "This material is already satisfied",
            status=409,
        )
    if content_type not in UPLOAD_TYPES:
        raise DomainError(
            "servicehub.upload_type",
            "仅支持 PDF、JPEG、PNG 文件",
            "Only PDF, JPEG or PNG files are accepted",
            status=415,
        )
    if len(content) > MAX_UPLOAD_BYTES or not content:
        raise DomainError(
            "servicehub.upload_size",
            "文件为空或超过 5 MB",
            "The file is empty or larger than 5 MB",
            status=413,
        )
    material.status, material.filename = "uploaded", filename[:200]
    # Uploaded documents hold personal data: encrypted at rest like every other field.
    sealed = cipher_of(session).encrypt(base64.b64encode(content).decode(), context=UPLOAD_CONTEXT)
    material.content_type, material.size, material.content = content_type, len(content), sealed
    session.flush()
    audit.record(
        session,
        actor,
        "servicehub.material_uploaded",
        entity_type="servicehub_application",
        entity_id=application.id,
        detail={"material": key, "size": len(content)},
    )
    return material


def read_upload(session: Session, material: ApplicationMaterial) -> bytes:
    """The uploaded file, decrypted (for the clerk who reviews it)."""
    if material.content is None:
        raise not_found("servicehub.upload_not_found", "上传文件", "Upload")
    return base64.b64decode(cipher_of(session).decrypt(material.content, context=UPLOAD_CONTEXT))
