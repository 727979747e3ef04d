"""The application lifecycle of a bundle: submit, accept, correct, review, decide."""

from __future__ import annotations

import random
from datetime import date

import pytest
from sqlalchemy.orm import Session

from citybrain.core import audit, ids
from citybrain.core.errors import DomainError
from citybrain.core.security import Actor, ActorKind, Role
from citybrain.core.workdays import calendar_for
from citybrain.identity import service as identity_service
from citybrain.identity.models import Enterprise
from citybrain.notifications import service as notifications_service
from citybrain.servicehub import applications, bundles, licences, workflow
from citybrain.servicehub.models import ApplicationTask
from tests.factories.servicehub import (
    ADMIN,
    RESTAURANT_ANSWERS,
    clerk_of,
    department,
    resident_with_business_licence,
    restaurant_form,
)

MONDAY = date(2026, 3, 2)


def _restaurant(hub: Session):  # type: ignore[no-untyped-def]
    account, licence = resident_with_business_licence(hub)
    actor = identity_service.actor_for(account)
    bundle = bundles.get_bundle_by_name(hub, "开办餐饮店")
    assert bundle is not None
    application = applications.submit(
        hub,
        actor=actor,
        bundle_id=bundle.id,
        answers=RESTAURANT_ANSWERS,
        form=restaurant_form(),
        today=MONDAY,
    )
    return actor, licence, application


def _clerk(hub: Session, task: ApplicationTask, role: Role = Role.department_clerk):  # type: ignore[no-untyped-def]
    department = identity_service.get_department_or_raise(hub, task.department_id)
    return identity_service.actor_for(clerk_of(hub, department.name, role))


def test_restaurant_plan_has_three_items_and_the_licence_satisfies_materials(hub: Session) -> None:
    account, licence = resident_with_business_licence(hub)
    bundle = bundles.get_bundle_by_name(hub, "开办餐饮店")
    assert bundle is not None
    plan = bundles.plan(
        hub,
        bundle=bundle,
        answers=RESTAURANT_ANSWERS,
        actor=identity_service.actor_for(account),
        today=MONDAY,
    )
    assert len(plan.members) == 3
    assert len(plan.departments) == 3
    statuses = {m.key: m for m in plan.materials}
    assert statuses["licence_business_licence"].status == "licence"
    assert statuses["licence_business_licence"].licence_id == licence.id
    assert len(statuses["licence_business_licence"].items) == 2  # asked once for two items
    assert statuses["merged_form"].status == "form"
    keys = list(plan.form_schema["properties"])
    assert len(keys) == len(set(keys)) and "business_area_m2" in keys
    assert plan.prefill["business_name"] == "李记小吃店"
    assert plan.limit_days == max(m.promised_days for m in plan.members)  # all parallel
    assert plan.reductions.bundled["materials"] < plan.reductions.separately["materials"]
    assert plan.reductions.bundled["applications"] == 1


def test_form_errors_name_every_field(hub: Session) -> None:
    account, _ = resident_with_business_licence(hub)
    bundle = bundles.get_bundle_by_name(hub, "开办餐饮店")
    assert bundle is not None
    form = restaurant_form() | {"business_area_m2": "eighty", "contact_phone": "123"}
    del form["food_categories"]
    with pytest.raises(DomainError) as caught:
        applications.submit(
            hub,
            actor=identity_service.actor_for(account),
            bundle_id=bundle.id,
            answers=RESTAURANT_ANSWERS,
            form=form,
            today=MONDAY,
        )
    assert caught.value.status == 422
    named = {f["field"] for f in caught.value.detail["fields"]}
    assert named == {"business_area_m2", "contact_phone", "food_categories"}
    assert applications.list_mine(hub, actor=identity_service.actor_for(account)) == []


def test_full_lifecycle_issues_licences_and_completes(hub: Session) -> None:
    actor, _, application = _restaurant(hub)
    assert application.status == "submitted" and len(application.tasks) == 3
    for task in application.tasks:
        clerk = _clerk(hub, task)
        applications.take_step(hub, actor=clerk, task_id=task.id, action="accept", today=MONDAY)
        assert task.due_on == calendar_for(hub).add_workdays(MONDAY, task.limit_days).day
        while True:
            pending = [
                s
                for s in workflow.ready_steps(workflow.restore(task.workflow_state))
                if s not in ("decide",)
            ]
            if not pending:
                break
            applications.take_step(
                hub, actor=clerk, task_id=task.id, action="review", step=pending[0], today=MONDAY
            )
        applications.take_step(
            hub, actor=clerk, task_id=task.id, action="decide", granted=True, today=date(2026, 3, 4)
        )
    assert application.status == "completed"
    held = licences.list_for(hub, actor=actor)
    issued = {lic.type_code for lic in held if lic.id in {t.licence_id for t in application.tasks}}
    assert issued == {"food_business_licence", "fire_safety_permit", "outdoor_sign_permit"}
    assert all(licences.signature_ok(hub, lic) for lic in held)
    trail = audit.entries_for(hub, entity_type="servicehub_application", entity_id=application.id)
    assert [e.action for e in trail][-1] == "servicehub.application_completed"
    notices = [m.title for m in notifications_service.list_for(hub, actor=actor, limit=20)]
    assert notices[0] == f"办件 {application.number} 已办结，请查收结果"
    assert sum("已受理" in t for t in notices) == 3 and sum("已准予" in t for t in notices) == 3


def test_a_correction_notice_reaches_the_applicant_with_every_material(hub: Session) -> None:
    actor, _, application = _restaurant(hub)
    task = application.tasks[0]
    clerk = _clerk(hub, task)
    applications.take_step(hub, actor=clerk, task_id=task.id, action="accept", today=MONDAY)
    applications.take_step(
        hub,
        actor=clerk,
        task_id=task.id,
        action="request_correction",
        materials=["营业场所平面图", "健康证明"],
        today=MONDAY,
    )
    latest = notifications_service.list_for(hub, actor=actor, limit=1)[0]
    assert "需要补正材料：营业场所平面图、健康证明" in latest.title
    assert latest.link == f"/services/applications/{application.id}"


def test_out_of_order_step_is_409_and_other_department_is_403(hub: Session) -> None:
    _, _, application = _restaurant(hub)
    task = application.tasks[0]
    clerk = _clerk(hub, task)
    with pytest.raises(DomainError) as caught:
        applications.take_step(hub, actor=clerk, task_id=task.id, action="decide", granted=True)
    assert caught.value.status == 409
    other = application.tasks[1]
    with pytest.raises(DomainError) as caught:
        applications.take_step(hub, actor=clerk, task_id=other.id, action="accept")
    assert caught.value.status == 403
    assert other.status == "submitted"
    applications.take_step(hub, actor=clerk, task_id=task.id, action="accept", today=MONDAY)
    with pytest.raises(DomainError) as caught:  # reviews still pending
        applications.take_step(hub, actor=clerk, task_id=task.id, action="decide", granted=True)
    assert caught.value.status == 409
    assert task.status == "accepted"


def test_correction_pauses_the_clock(hub: Session) -> None:
    actor, _, application = _restaurant(hub)
    task = application.tasks[0]
    clerk = _clerk(hub, task)
    applications.take_step(hub, actor=clerk, task_id=task.id, action="accept", today=MONDAY)
    due = task.due_on
    applications.take_step(
        hub,
        actor=clerk,
        task_id=task.id,
        action="request_correction",
        materials=["经营场所平面图", "设备布局图"],
        today=date(2026, 3, 3),
    )
    assert application.status == "correcting"
    assert task.correction_materials == ["经营场所平面图", "设备布局图"]
    with pytest.raises(DomainError) as caught:
        applications.take_step(hub, actor=clerk, task_id=task.id, action="review")
    assert caught.value.status == 409
    # Answered the next Monday: five working days paused.
    applications.answer_correction(
        hub, actor=actor, application_id=application.id, today=date(2026, 3, 9)
    )
    assert task.status == "accepted" and task.paused_days == 4  # 03-04, 05, 06, 09
    assert task.due_on == calendar_for(hub).add_workdays(MONDAY, task.limit_days + 4).day
    assert due is not None and task.due_on > due


def test_withdrawal_and_refusal(hub: Session) -> None:
    actor, _, application = _restaurant(hub)
    task = application.tasks[0]
    clerk = _clerk(hub, task)
    with pytest.raises(DomainError) as caught:
        applications.take_step(hub, actor=clerk, task_id=task.id, action="refuse")
    assert caught.value.code == "servicehub.reason_required"
    applications.take_step(
        hub, actor=clerk, task_id=task.id, action="refuse", reason="不属于本部门受理范围"
    )
    assert task.status == "refused"
    applications.withdraw(hub, actor=actor, application_id=application.id)
    assert application.status == "withdrawn"
    assert {t.status for t in application.tasks} == {"refused", "withdrawn"}
    with pytest.raises(DomainError) as caught:
        applications.withdraw(hub, actor=actor, application_id=application.id)
    assert caught.value.status == 409


def test_inbox_lists_only_the_department_open_work(hub: Session) -> None:
    _, _, application = _restaurant(hub)
    task = application.tasks[0]
    clerk = _clerk(hub, task)
    rows = applications.inbox(hub, actor=clerk)
    assert [r.id for r in rows] == [task.id]
    with pytest.raises(DomainError) as caught:
        applications.inbox(hub, actor=clerk, department_id=application.tasks[1].department_id)
    assert caught.value.status == 403


def test_in_flight_parallel_task_is_restored_from_the_database(hub: Session) -> None:
    _, _, application = _restaurant(hub)
    task = next(t for t in application.tasks if t.item.process == "approval_parallel")
    clerk = _clerk(hub, task)
    applications.take_step(hub, actor=clerk, task_id=task.id, action="accept", today=MONDAY)
    applications.take_step(
        hub, actor=clerk, task_id=task.id, action="review", step="inspect_site", today=MONDAY
    )
    task_id = task.id
    hub.expire_all()  # forget every loaded object: only the stored rows remain
    stored = hub.get(ApplicationTask, task_id)
    assert stored is not None
    assert workflow.ready_steps(workflow.restore(stored.workflow_state)) == ["review_documents"]
    applications.take_step(hub, actor=clerk, task_id=task_id, action="review", today=MONDAY)
    applications.take_step(hub, actor=clerk, task_id=task_id, action="decide", granted=True)
    assert stored.status == "granted" and stored.licence_id is not None


@pytest.mark.parametrize(
    ("kind", "area", "expected"),
    [
        (
            "catering",
            "500",
            {
                "有限责任公司设立登记",
                "公章刻制备案",
                "食品经营许可(新办)",
                "公众聚集场所投入使用、营业前消防安全检查",
            },
        ),
        ("catering", "120", {"有限责任公司设立登记", "公章刻制备案", "食品经营许可(新办)"}),
        ("other", "900", {"有限责任公司设立登记", "公章刻制备案"}),
    ],
)
def test_one_plus_x_picks_the_permits_the_business_needs(
    hub: Session, kind: str, area: str, expected: set[str]
) -> None:
    bundle = bundles.get_bundle_by_name(hub, "企业开办(1+X)")
    assert bundle is not None
    plan = bundles.plan(
        hub,
        bundle=bundle,
        answers={"business_kind": kind, "floor_area_m2": area},
        actor=None,
        today=MONDAY,
    )
    assert {m.name for m in plan.members} == expected
    registration = next(m for m in plan.members if m.name == "有限责任公司设立登记")
    assert all(m.requires == [registration.item_id] for m in plan.members if m is not registration)


def test_one_plus_x_permits_wait_for_the_business_licence(hub: Session) -> None:
    account, _ = resident_with_business_licence(hub)
    actor = identity_service.actor_for(account)
    bundle = bundles.get_bundle_by_name(hub, "企业开办(1+X)")
    assert bundle is not None
    with pytest.raises(DomainError) as caught:
        bundles.plan(
            hub, bundle=bundle, answers={"floor_area_m2": "很大"}, actor=actor, today=MONDAY
        )
    assert caught.value.code == "servicehub.answer_invalid"
    form = restaurant_form() | {"business_scope": "餐饮服务"}
    form = {
        k: v
        for k, v in form.items()
        if k not in ("sign_location", "sign_area_m2", "fire_safety_manager")
    }
    application = applications.submit(
        hub,
        actor=actor,
        bundle_id=bundle.id,
        today=MONDAY,
        form=form,
        answers={"business_kind": "catering", "floor_area_m2": "80"},
    )
    by_item = {t.item.name: t for t in application.tasks}
    registration = by_item.pop("有限责任公司设立登记")
    assert {t.status for t in by_item.values()} == {"waiting"}
    clerk = _clerk(hub, next(iter(by_item.values())))
    with pytest.raises(DomainError) as caught:
        applications.take_step(
            hub, actor=clerk, task_id=by_item["公章刻制备案"].id, action="accept"
        )
    assert caught.value.status in (403, 409)
    registrar = _clerk(hub, registration)
    applications.take_step(
        hub, actor=registrar, task_id=registration.id, action="accept", today=MONDAY
    )
    for step in workflow.ready_steps(workflow.restore(registration.workflow_state)):
        if step != "decide":
            applications.take_step(
                hub, actor=registrar, task_id=registration.id, action="review", step=step
            )
    applications.take_step(
        hub, actor=registrar, task_id=registration.id, action="decide", granted=True
    )
    assert {t.status for t in by_item.values()} == {"submitted"}


def test_enterprise_applies_with_its_own_licence(hub: Session) -> None:
    rng = random.Random(7)
    company = Enterprise(
        name="郑州豫味餐饮管理有限公司",
        division_code="410100",
        credit_code=ids.make_credit_code(rng, "410100", kind="91"),
    )
    hub.add(company)
    hub.flush()
    licences.issue(
        hub,
        actor=ADMIN,
        type_code="business_licence",
        issuer_department_id=department(hub, "郑州市市场监督管理局").id,
        enterprise_id=company.id,
        holder_name=company.name,
        issued_on=date(2024, 5, 6),
        detail={"business_name": company.name},
    )
    actor = Actor(kind=ActorKind.enterprise, id="e1", name=company.name, enterprise_id=company.id)
    bundle = bundles.get_bundle_by_name(hub, "开办餐饮店")
    assert bundle is not None
    plan = bundles.plan(hub, bundle=bundle, answers=RESTAURANT_ANSWERS, actor=actor, today=MONDAY)
    assert plan.prefill["business_name"] == company.name
    assert {m.status for m in plan.materials if m.key == "licence_business_licence"} == {"licence"}
    application = applications.submit(
        hub,
        actor=actor,
        bundle_id=bundle.id,
        answers=RESTAURANT_ANSWERS,
        form=restaurant_form(),
        today=MONDAY,
    )
    assert application.enterprise_id == company.id and application.person_id is None
    assert applications.list_mine(hub, actor=actor) == [application]
    with pytest.raises(DomainError) as caught:
        applications.submit(
            hub,
            actor=actor,
            bundle_id=bundle.id,
            answers=RESTAURANT_ANSWERS,
            form=restaurant_form(),
            enterprise_id=company.id + 1,
        )
    assert caught.value.status == 403


def test_special_procedure_does_not_count(hub: Session) -> None:
    _, _, application = _restaurant(hub)
    task = application.tasks[0]
    clerk = _clerk(hub, task)
    applications.take_step(hub, actor=clerk, task_id=task.id, action="accept", today=MONDAY)
    with pytest.raises(DomainError) as caught:
        applications.take_step(
            hub, actor=clerk, task_id=task.id, action="suspend", step="lunch", today=MONDAY
        )
    assert caught.value.status == 422
    # Expert review from Wednesday 03-04 to Wednesday 03-11: five working days off the clock.
    applications.take_step(
        hub,
        actor=clerk,
        task_id=task.id,
        action="suspend",
        step="expert_review",
        reason="组织专家评审",
        today=date(2026, 3, 4),
    )
    calendar = calendar_for(hub)
    paused = applications.task_clock(calendar, task, date(2026, 3, 20))
    assert task.status == "suspended" and paused.state == "paused" and paused.used_days == 2
    with pytest.raises(DomainError) as caught:
        applications.take_step(hub, actor=clerk, task_id=task.id, action="review")
    assert caught.value.status == 409
    applications.take_step(
        hub, actor=clerk, task_id=task.id, action="resume", today=date(2026, 3, 11)
    )
    assert task.status == "accepted" and task.paused_days == 5
    assert task.due_on == calendar.add_workdays(MONDAY, task.limit_days + 5).day
    assert applications.task_clock(calendar, task, date(2026, 3, 12)).used_days == 3
