"""Ready-to-show shapes of applications, inbox rows and licences (for API and pages)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from citybrain.core.workdays import WorkCalendar, calendar_for
from citybrain.identity import service as identity_service
from citybrain.servicehub import applications, licences, rules, workflow
from citybrain.servicehub.models import Application, ApplicationTask, Licence
from citybrain.servicehub.schemas import (
    ApplicationMaterialOut,
    ApplicationOut,
    ClockOut,
    InboxRow,
    LicenceOut,
    TaskOut,
)


def _department_names(session: Session) -> dict[int, str]:
    return {d.id: d.name for d in identity_service.list_departments(session)}


def _ready(task: ApplicationTask) -> list[str]:
    if task.status not in ("submitted", "accepted"):
        return []
    return workflow.ready_steps(workflow.restore(task.workflow_state))


def _clock(calendar: WorkCalendar, task: ApplicationTask, today: date) -> ClockOut:
    c = applications.task_clock(calendar, task, today)
    return ClockOut(
        limit_days=c.limit_days,
        used_days=c.used_days,
        due_on=c.due_on,
        share=round(c.share, 3),
        state=c.state,
        provisional=c.provisional,
    )


def application_out(
    session: Session, application: Application, today: date | None = None
) -> ApplicationOut:
    calendar = calendar_for(session)
    today = today or applications.local_today(calendar)
    names = _department_names(session)
    tasks = []
    for task in application.tasks:
        licence = session.get(Licence, task.licence_id) if task.licence_id else None
        tasks.append(
            TaskOut(
                id=task.id,
                item_id=task.item_id,
                item_name=task.item.name,
                department_id=task.department_id,
                department_name=names.get(task.department_id, ""),
                status=task.status,
                ready_steps=_ready(task),
                clock=_clock(calendar, task, today),
                correction_materials=task.correction_materials,
                reason=task.reason,
                licence_number=licence.number if licence else None,
            )
        )
    return ApplicationOut(
        id=application.id,
        number=application.number,
        title=application.title,
        status=application.status,
        applicant=applications.applicant_label(session, application),
        submitted_at=application.submitted_at,
        completed_at=application.completed_at,
        limit_days=application.limit_days,
        expected_on=applications.expected_on(calendar, application, today),
        tasks=tasks,
        materials=[
            ApplicationMaterialOut(key=m.key, name=m.name, status=m.status)
            for m in application.materials
        ],
    )


def inbox_rows(
    session: Session, tasks: list[ApplicationTask], today: date | None = None
) -> list[InboxRow]:
    calendar = calendar_for(session)
    today = today or applications.local_today(calendar)
    return [
        InboxRow(
            task_id=t.id,
            application_id=t.application_id,
            number=t.application.number,
            item_name=t.item.name,
            status=t.status,
            due_on=t.due_on,
            clock_state=applications.task_clock(calendar, t, today).state,
            ready_steps=_ready(t),
        )
        for t in tasks
    ]


def licence_out(session: Session, licence: Licence, today: date | None = None) -> LicenceOut:
    today = today or applications.local_today(calendar_for(session))
    return LicenceOut(
        id=licence.id,
        type_code=licence.type_code,
        type_name=rules.LICENCE_TYPES.get(licence.type_code, (licence.type_code,))[0],
        number=licence.number,
        holder_kind=licence.holder_kind,
        issuer_department_id=licence.issuer_department_id,
        issued_on=licence.issued_on,
        valid_until=licence.valid_until,
        valid=licences.is_valid(session, licence, on=today),
        signature_ok=licences.signature_ok(session, licence),
    )
