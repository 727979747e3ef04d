"""Intake, de-duplication, the lifecycle, escalation and indicators on a real session."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core import audit, geo
from citybrain.core.errors import DomainError
from citybrain.core.models import OutboxEvent
from citybrain.core.security import SYSTEM, Actor, ActorKind, Role
from citybrain.governance import intake, lifecycle, rules, service
from citybrain.governance.models import Case, CaseReporter, CaseTransition, Notification
from citybrain.identity.models import Department
from tests.factories.governance import make_case, report

BJ = ZoneInfo("Asia/Shanghai")
Action = rules.Action


def staff(role: Role, department_id: int | None = None) -> Actor:
    return Actor(kind=ActorKind.staff, id="9", name="测试", role=role, department_id=department_id)


def test_point_report_is_located_dispatched_and_timed(
    gov_session: Session, point: tuple[float, float], departments: dict[str, Department]
) -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=BJ)  # Monday
    result = intake.intake(
        gov_session,
        report=report(lon=point[0], lat=point[1], category_code="E0112"),  # 道路不洁, 5 h
        actor=SYSTEM,
        now=now,
    )
    case = result.case
    assert case.status == "dispatched"
    assert case.grid_cell_code and case.street_code and case.division_code
    assert case.location_source == "point"
    assert case.department_id == departments["郑州市城市管理局"].id
    assert case.due_at == datetime(2026, 11, 23, 15, 30, tzinfo=BJ)
    actions = [t.action for t in service.transitions(gov_session, case_id=case.id)]
    assert actions == ["accept", "register", "dispatch"]
    names = set(gov_session.scalars(select(OutboxEvent.name)))
    assert {"governance.case_accepted", "governance.case_dispatched"} <= names
    trail = audit.entries_for(gov_session, entity_type="governance_case", entity_id=case.id)
    assert [e.action for e in trail][:1] == ["governance.case_accepted"]


def test_gcj02_point_is_stored_in_wgs84(gov_session: Session, point: tuple[float, float]) -> None:
    gcj = geo.wgs84_to_gcj02(*point)
    case = make_case(gov_session, lon=gcj[0], lat=gcj[1], crs="gcj02")
    assert geo.haversine_m(case.lon, case.lat, *point) < 0.5


def test_address_only_report_is_placed_by_the_gazetteer(gov_session: Session) -> None:
    case = make_case(gov_session, address="管城区商都路与未来路交叉口")
    assert (case.division_code, case.location_source, case.lon) == ("410104", "address", None)


def test_an_address_naming_the_zone_counts_in_the_county_of_its_street(
    gov_session: Session,
) -> None:
    """郑东新区 runs 如意湖街道, which lies in 金水区: the case counts where a point would."""
    case = make_case(gov_session, address="郑东新区如意湖街道如意湖东北角")
    assert (case.street_code, case.division_code) == ("410105560000", "410105")


def test_point_outside_the_city_is_refused_and_nothing_stored(gov_session: Session) -> None:
    before = gov_session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1))
    with pytest.raises(DomainError) as error:
        make_case(gov_session, lon=121.47, lat=31.23)  # Shanghai
    assert error.value.code == "regions.point_outside_city"
    assert gov_session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1)) == before


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"description": "x" * 4001}, "governance.description_too_long"),
        ({"description": "   "}, "governance.description_required"),
        ({"category_code": "Z999"}, "governance.unknown_category"),
        ({"photo": b"GIF89a not allowed"}, "governance.photo_not_image"),
        ({"photo": b"\xff\xd8\xff" + b"0" * (3 * 1024 * 1024)}, "governance.photo_too_large"),
        ({"lon": 113.6}, "governance.point_incomplete"),
    ],
)
def test_bad_reports_are_refused(gov_session: Session, overrides: dict, code: str) -> None:
    with pytest.raises(DomainError) as error:
        intake.intake(gov_session, report=report(**overrides), actor=SYSTEM)
    assert error.value.code == code


def test_vague_report_waits_for_manual_triage(gov_session: Session) -> None:
    case = make_case(gov_session, category_code=None, description="你好，有点事情想反映一下")
    assert case.needs_triage and case.category_code is None and case.status == "accepted"
    agent = staff(Role.call_centre_agent)
    lifecycle.apply(
        gov_session, case_id=case.id, action=Action.register, actor=agent, category_code="H0001"
    )
    lifecycle.apply(gov_session, case_id=case.id, action=Action.dispatch, actor=agent)
    assert case.status == "dispatched" and not case.needs_triage


def test_repeat_report_merges_and_every_reporter_is_kept(
    gov_session: Session, point: tuple[float, float]
) -> None:
    first = intake.intake(
        gov_session,
        report=report(lon=point[0], lat=point[1], reporter=intake.Reporter(phone="13800001111")),
        actor=SYSTEM,
    ).case
    near = geo.metres_to_degrees(20, 0, lat=point[1])
    second = intake.intake(
        gov_session,
        report=report(
            lon=point[0] + near[0],
            lat=point[1],
            description="垃圾箱满了溢出来，没人清理发臭了，麻烦尽快处理一下",  # a repeat
            reporter=intake.Reporter(phone="13900002222"),
        ),
        actor=SYSTEM,
    )
    assert second.merged_into is not None and second.merged_into.id == first.id
    assert second.case.status == "merged" and second.case.parent_id == first.id
    reporters = service.reporters(gov_session, case_id=first.id)
    assert [r.phone_masked for r in reporters] == ["138****1111", "139****2222"]
    assert all(r.phone_ciphertext and b"1380000" not in r.phone_ciphertext for r in reporters)
    # Both are told when the parent moves on.
    lifecycle.apply(gov_session, case_id=first.id, action=Action.claim, actor=SYSTEM)
    told = gov_session.scalars(
        select(Notification.reporter_id).where(
            Notification.case_id == first.id, Notification.status == "claimed"
        )
    ).all()
    assert sorted(told) == sorted(r.id for r in reporters)


def test_unlike_or_distant_reports_are_only_offered(
    gov_session: Session, point: tuple[float, float]
) -> None:
    first = make_case(gov_session, lon=point[0], lat=point[1])
    far = geo.metres_to_degrees(180, 0, lat=point[1])
    second = intake.intake(
        gov_session,
        report=report(lon=point[0] + far[0], lat=point[1], description="垃圾桶被撞翻了"),
        actor=SYSTEM,
    )
    assert second.merged_into is None
    assert [c.case_id for c in second.offered] == [first.id]
    assert not second.offered[0].confident
    beyond = geo.metres_to_degrees(400, 0, lat=point[1])
    third = intake.intake(
        gov_session, report=report(lon=point[0] + beyond[0], lat=point[1]), actor=SYSTEM
    )
    assert first.id not in [c.case_id for c in third.offered]


def test_full_lifecycle_with_rework_extension_suspension_and_rating(
    gov_session: Session, departments: dict[str, Department]
) -> None:
    dept = departments["郑州市城市管理局"].id
    clerk, head = staff(Role.department_clerk, dept), staff(Role.department_head, dept)
    checker, command = staff(Role.grid_worker), staff(Role.command_centre_operator)
    t0 = datetime(2026, 11, 23, 9, 0, tzinfo=BJ)
    case = intake.intake(gov_session, report=report(), actor=SYSTEM, now=t0).case
    due = case.due_at
    step = iter(range(1, 100))

    def at() -> datetime:
        return t0 + timedelta(minutes=10 * next(step))

    def do(action: Action, actor: Actor, **kw: object) -> None:
        lifecycle.apply(gov_session, case_id=case.id, action=action, actor=actor, now=at(), **kw)

    do(Action.claim, clerk)
    do(Action.request_extension, clerk, workdays=2)
    do(Action.approve_extension, head)
    assert case.due_at is not None and due is not None and case.due_at > due
    do(Action.suspend, head, reason="等待产权单位确认")
    do(Action.resume, head)
    do(Action.feedback, clerk)
    do(Action.verify_fail, checker, reason="仍有垃圾")
    assert (case.status, case.rework_count) == ("claimed", 1)
    do(Action.feedback, clerk)
    do(Action.verify_pass, checker)
    assert case.status == "closed" and case.closed_on_time
    do(Action.rate, command, rating=5, reason="满意")
    assert case.status == "evaluated"
    steps = gov_session.scalars(
        select(CaseTransition.action).where(CaseTransition.case_id == case.id)
    ).all()
    assert steps[:3] == ["accept", "register", "dispatch"]
    assert steps[3:] == [
        a.value
        for a in (
            Action.claim,
            Action.request_extension,
            Action.approve_extension,
            Action.suspend,
            Action.resume,
            Action.feedback,
            Action.verify_fail,
            Action.feedback,
            Action.verify_pass,
            Action.rate,
        )
    ]
    with pytest.raises(DomainError) as error:
        do(Action.claim, clerk)
    assert error.value.status == 409


def test_another_departments_clerk_is_refused(
    gov_session: Session, departments: dict[str, Department]
) -> None:
    case = make_case(gov_session)
    other = departments["郑州市园林局"].id
    with pytest.raises(DomainError) as error:
        lifecycle.apply(
            gov_session,
            case_id=case.id,
            action=Action.claim,
            actor=staff(Role.department_clerk, other),
        )
    assert error.value.status == 403
    assert case.status == "dispatched"


def test_return_within_two_working_days_then_redispatch(
    gov_session: Session, departments: dict[str, Department]
) -> None:
    t0 = datetime(2026, 9, 30, 10, 0, tzinfo=BJ)
    case = intake.intake(gov_session, report=report(), actor=SYSTEM, now=t0).case
    clerk = staff(Role.department_clerk, case.department_id)
    late = datetime(2026, 10, 12, 10, 0, tzinfo=BJ)  # 3 working days later (8, 9, 10, 12 Oct)
    with pytest.raises(DomainError) as error:
        lifecycle.apply(
            gov_session,
            case_id=case.id,
            action=Action.return_case,
            actor=clerk,
            reason="不属于本部门",
            now=late,
        )
    assert error.value.code == "governance.return_window_passed"
    ok = datetime(2026, 10, 8, 10, 0, tzinfo=BJ)  # the holiday does not count
    lifecycle.apply(
        gov_session,
        case_id=case.id,
        action=Action.return_case,
        actor=clerk,
        reason="不属于本部门",
        now=ok,
    )
    assert (case.status, case.department_id) == ("returned", None)
    target = departments["郑州市园林局"].id
    lifecycle.apply(
        gov_session,
        case_id=case.id,
        action=Action.dispatch,
        actor=staff(Role.command_centre_operator),
        department_id=target,
        now=ok,
    )
    assert case.department_id == target and case.return_count == 1


def test_overdue_case_is_escalated_once_per_level(gov_session: Session) -> None:
    t0 = datetime(2026, 11, 23, 9, 0, tzinfo=BJ)
    case = intake.intake(
        gov_session, report=report(category_code="E0112"), actor=SYSTEM, now=t0
    ).case  # due 15:30 the same day
    on_time = make_case(gov_session, category_code="E0101")  # 15 working days
    assert lifecycle.escalate_overdue(gov_session, actor=SYSTEM, now=t0 + timedelta(hours=1)) == []
    later = datetime(2026, 11, 23, 16, 0, tzinfo=BJ)
    assert [c.id for c in lifecycle.escalate_overdue(gov_session, actor=SYSTEM, now=later)] == [
        case.id
    ]
    assert case.escalation_level == 1 and on_time.escalation_level == 0
    assert lifecycle.escalate_overdue(gov_session, actor=SYSTEM, now=later) == []
    much_later = datetime(2026, 11, 25, 9, 0, tzinfo=BJ)
    lifecycle.escalate_overdue(gov_session, actor=SYSTEM, now=much_later)
    assert case.escalation_level == 2
    levels = gov_session.scalars(
        select(OutboxEvent.payload).where(OutboxEvent.name == "governance.case_escalated")
    ).all()
    assert [p["level"] for p in levels if p["case_id"] == case.id] == [1, 2]


def test_indicators_count_due_closed_on_time_rework_and_satisfaction(
    gov_session: Session, departments: dict[str, Department]
) -> None:
    t0 = datetime(2026, 11, 23, 9, 0, tzinfo=BJ)
    checker = staff(Role.grid_worker)
    cases = [
        intake.intake(gov_session, report=report(category_code="E0112"), actor=SYSTEM, now=t0).case
        for _ in range(4)
    ]
    for n, case in enumerate(cases[:3]):
        lifecycle.apply(gov_session, case_id=case.id, action=Action.claim, actor=SYSTEM, now=t0)
        done = t0 + timedelta(hours=2 if n < 2 else 30)  # the third one is late
        lifecycle.apply(
            gov_session, case_id=case.id, action=Action.feedback, actor=SYSTEM, now=done
        )
        lifecycle.apply(
            gov_session, case_id=case.id, action=Action.verify_pass, actor=checker, now=done
        )
    lifecycle.apply(gov_session, case_id=cases[0].id, action=Action.rate, actor=SYSTEM, rating=5)
    lifecycle.apply(gov_session, case_id=cases[1].id, action=Action.rate, actor=SYSTEM, rating=2)
    rates = service.indicators(gov_session, start=t0, end=t0 + timedelta(days=1))
    assert (rates.due, rates.closed, rates.closed_on_time) == (4, 3, 2)
    assert str(rates.closure_rate) == "75.00" and str(rates.on_time_rate) == "50.00"
    assert str(rates.satisfaction_rate) == "50.00"
    dept = departments["郑州市城市管理局"].id
    assert (
        service.indicators(
            gov_session, start=t0, end=t0 + timedelta(days=1), department_id=dept + 999
        ).due
        == 0
    )


def test_sensor_alarm_is_idempotent(gov_session: Session) -> None:
    first = make_case(gov_session, channel="sensor", external_id="wl-0007-20261123")
    again = make_case(gov_session, channel="sensor", external_id="wl-0007-20261123")
    assert first.id == again.id
    assert gov_session.scalars(select(CaseReporter).where(CaseReporter.case_id == first.id)).all()


def test_residents_who_reported_are_told_live_in_the_app(
    gov_session: Session, point: tuple[float, float]
) -> None:
    from citybrain.identity import service as identity_service
    from citybrain.notifications import service as notifications_service
    from tests.factories.identity import make_resident

    residents = [make_resident(gov_session) for _ in range(2)]
    first = intake.intake(
        gov_session,
        report=report(
            channel="app",
            lon=point[0],
            lat=point[1],
            reporter=intake.Reporter(account_id=residents[0].id, person_id=residents[0].person_id),
        ),
        actor=identity_service.actor_for(residents[0]),
    ).case
    near = geo.metres_to_degrees(15, 0, lat=point[1])
    intake.intake(
        gov_session,
        report=report(
            channel="app",
            lon=point[0] + near[0],
            lat=point[1],
            description="垃圾箱满了溢出来，没人清理发臭了，麻烦尽快处理一下",  # a repeat
            reporter=intake.Reporter(account_id=residents[1].id, person_id=residents[1].person_id),
        ),
        actor=identity_service.actor_for(residents[1]),
    )
    lifecycle.apply(gov_session, case_id=first.id, action=Action.claim, actor=SYSTEM)
    for resident in residents:
        notices = notifications_service.list_for(
            gov_session, actor=identity_service.actor_for(resident), limit=5
        )
        assert notices and notices[0].link == f"/governance/cases/{first.id}"
        assert notices[0].title.startswith(f"案件 #{first.id}")
