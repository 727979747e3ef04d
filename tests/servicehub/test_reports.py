"""City-wide reports: 四减 per bundle and in total, every department's figures; by hand."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from itertools import count
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.core.errors import DomainError
from citybrain.core.security import Actor, ActorKind, Role
from citybrain.identity.models import Department
from citybrain.servicehub import licences, metrics, reports
from citybrain.servicehub.models import (
    Application,
    ApplicationTask,
    Bundle,
    BundleMember,
    ItemMaterial,
    Rating,
    ServiceItem,
)
from tests.factories.identity import auth_headers, ensure_city, make_department, make_staff
from tests.factories.servicehub import ADMIN

_serial = count(1)
TODAY = date(2025, 3, 31)  # March 2025 has no public holiday: Mon 3 … Mon 31


def _item(session: Session, department: Department, name: str, **values: Any) -> ServiceItem:
    materials = values.pop("materials", [])
    item = ServiceItem(
        catalog_code="410100000000",
        task_code=f"T{next(_serial):035d}",
        name=name,
        item_type="行政许可",
        department_id=department.id,
        handling_kind="承诺件" if values.get("promised_days", 0) else "即办件",
        result_type="审批办结",
        **{"promised_days": 0, "online_level": 4, "visits": 0, **values},
    )
    item.materials = [
        ItemMaterial(key=f"m{n}", name=m[0], replaced_by=m[1], position=n)
        for n, m in enumerate(materials)
    ]
    session.add(item)
    session.flush()
    return item


def _bundle(
    session: Session, code: str, lead: Department, members: list[tuple[ServiceItem, list[int]]]
) -> Bundle:
    bundle = Bundle(code=code, name=f"测试{code}", audience="企业", lead_department_id=lead.id)
    bundle.members = [
        BundleMember(item_id=item.id, position=n, requires=requires)
        for n, (item, requires) in enumerate(members)
    ]
    session.add(bundle)
    session.flush()
    return bundle


def test_reductions_by_hand(session: Session) -> None:
    ensure_city(session)
    market, fire = make_department(session), make_department(session)
    # A: 3 days, online, 3 materials (form, business licence, plan); B: 10 days, one visit,
    # level Ⅰ (one more trip), 2 materials (form, business licence); C: 5 days, waits for A.
    a = _item(
        session,
        market,
        "甲",
        promised_days=3,
        materials=[("申请表", "form"), ("营业执照", "business_licence"), ("平面图", None)],
    )
    b = _item(
        session,
        fire,
        "乙",
        promised_days=10,
        legal_days=20,
        online_level=1,
        visits=1,
        visit_reason="现场检查",
        materials=[("申请书", "form"), ("营业执照", "business_licence")],
    )
    c = _item(session, fire, "丙", promised_days=5, materials=[("承诺书", None)])
    first = _bundle(session, "B901", market, [(a, []), (b, []), (c, [a.id])])
    second = _bundle(session, "G902", fire, [(b, []), (c, [])])

    report = reports.city_reductions(session)
    rows = {r.code: r for r in report.rows}
    assert rows["B901"].separately == {
        "applications": 3,
        "steps": 6,
        "materials": 6,  # 3 + 2 + 1
        "days": 18,  # 3 + 10 + 5
        "trips": 2,  # B: one visit and not online
    }
    # merged form, one business licence (held by nobody here), 平面图, 承诺书
    assert rows["B901"].bundled == {
        "applications": 1,
        "steps": 2,
        "materials": 3,
        "days": 10,  # A 3 then C 5 = 8, parallel to B 10
        "trips": 1,
    }
    assert rows["B901"].saved == {
        "applications": 2,
        "steps": 4,
        "materials": 3,
        "days": 8,
        "trips": 1,
    }
    assert rows["B901"].items == 3 and rows["B901"].departments == 2
    assert not rows["B901"].generated and rows["G902"].generated
    assert rows["G902"].separately["days"] == 15 and rows["G902"].bundled["days"] == 10
    assert report.bundles == 2
    assert report.separately == {
        "applications": 5,
        "steps": 10,
        "materials": 9,
        "days": 33,
        "trips": 4,
    }
    assert report.bundled == {"applications": 2, "steps": 4, "materials": 5, "days": 20, "trips": 2}
    assert report.saved_share["days"] == round(13 / 33, 3)

    only_generated = reports.city_reductions(session, generated=True)
    assert [r.code for r in only_generated.rows] == ["G902"]
    assert [r.code for r in reports.city_reductions(session, department_id=market.id).rows] == [
        "B901"
    ]
    assert first.id != second.id

    lines = list(csv.reader(io.StringIO(reports.reductions_csv(report))))
    assert lines[0][:3] == ["code", "name", "audience"] and len(lines) == 3
    assert lines[1][lines[0].index("saved_days")] == "8"


def _task(
    session: Session,
    application: Application,
    item: ServiceItem,
    *,
    status: str,
    limit: int,
    accepted: date | None,
    decided: date | None = None,
) -> None:
    session.add(
        ApplicationTask(
            application_id=application.id,
            item_id=item.id,
            department_id=item.department_id,
            status=status,
            limit_days=limit,
            accepted_on=accepted,
            decided_at=datetime(decided.year, decided.month, decided.day, 4, tzinfo=UTC)
            if decided
            else None,
        )
    )


def _application(session: Session) -> Application:
    application = Application(
        number=f"SHTEST{next(_serial):06d}",
        title="测试",
        applicant_kind="person",
        form_ciphertext=b"x",
        status="in_progress",
    )
    session.add(application)
    session.flush()
    return application


def test_every_department_in_one_report_by_hand(session: Session) -> None:
    ensure_city(session)
    market, fire, idle = (make_department(session) for _ in range(3))
    a = _item(session, market, "甲", promised_days=3)
    b = _item(session, fire, "乙", promised_days=10)
    one, two, three = _application(session), _application(session), _application(session)
    # market: granted Mon 3 → Thu 6 (3 days of 3: on time); denied Mon 10 → Fri 14
    # (4 of 3: late); open since Mon 17 with 5 days (10 used by Mon 31: overdue); one
    # not yet accepted. fire: granted Mon 3 → Fri 21 (14 of 10: late).
    _task(
        session,
        one,
        a,
        status="granted",
        limit=3,
        accepted=date(2025, 3, 3),
        decided=date(2025, 3, 6),
    )
    _task(
        session,
        one,
        b,
        status="granted",
        limit=10,
        accepted=date(2025, 3, 3),
        decided=date(2025, 3, 21),
    )
    _task(
        session,
        two,
        a,
        status="denied",
        limit=3,
        accepted=date(2025, 3, 10),
        decided=date(2025, 3, 14),
    )
    _task(session, three, a, status="accepted", limit=5, accepted=date(2025, 3, 17))
    _task(session, three, a, status="submitted", limit=3, accepted=None)
    session.add_all(
        [
            Rating(
                application_id=one.id,
                score=5,
                comment="很快",
                created_at=datetime(2025, 3, 22, tzinfo=UTC),
            ),
            Rating(
                application_id=two.id,
                score=2,
                comment="太慢",
                created_at=datetime(2025, 3, 23, tzinfo=UTC),
            ),
        ]
    )
    session.flush()

    rows = {
        r.department_id: r
        for r in metrics.all_department_metrics(session, actor=ADMIN, today=TODAY)
    }
    m = rows[market.id]
    assert (m.open_tasks, m.overdue_tasks, m.warning_tasks) == (2, 1, 0)
    assert (m.decided_tasks, m.on_time_tasks, m.on_time_rate) == (2, 1, 0.5)
    assert m.average_working_days == 3.5
    assert (m.ratings, m.average_rating, m.poor_ratings) == (2, 3.5, 1)
    assert m.score_counts == [0, 1, 0, 0, 1] and m.recent_comments == ["太慢", "很快"]
    f = rows[fire.id]
    assert (f.decided_tasks, f.on_time_tasks, f.on_time_rate, f.average_working_days) == (
        1,
        0,
        0.0,
        14.0,
    )
    assert (f.ratings, f.average_rating, f.score_counts) == (1, 5.0, [0, 0, 0, 0, 1])
    i = rows[idle.id]
    assert (i.open_tasks, i.decided_tasks, i.on_time_rate, i.ratings, i.average_rating) == (
        0,
        0,
        None,
        0,
        None,
    )
    # the one-department figures agree with the city report
    head = Actor(
        kind=ActorKind.staff,
        id="h",
        name="负责人",
        role=Role.department_head,
        department_id=market.id,
    )
    assert (
        metrics.department_metrics(session, actor=head, department_id=market.id, today=TODAY) == m
    )

    lines = list(csv.reader(io.StringIO(metrics.metrics_csv(list(rows.values())))))
    header = lines[0]
    market_line = next(line for line in lines[1:] if line[0] == str(market.id))
    assert market_line[header.index("on_time_rate")] == "0.5"
    assert market_line[header.index("score_5")] == "1"


def test_who_may_see_every_department(session: Session) -> None:
    ensure_city(session)
    plain = make_department(session)
    bureau = make_department(session, name="郑州市大数据管理局")

    def staff(role: Role, department: Department) -> Actor:
        return Actor(kind=ActorKind.staff, id="s", name="s", role=role, department_id=department.id)

    metrics.require_city_report(session, staff(Role.department_head, plain))
    metrics.require_city_report(session, staff(Role.department_clerk, bureau))
    with pytest.raises(DomainError) as refused:
        metrics.require_city_report(session, staff(Role.department_clerk, plain))
    assert refused.value.code == "servicehub.city_report_not_allowed"
    with pytest.raises(DomainError) as wrong_role:
        metrics.require_city_report(session, staff(Role.grid_worker, bureau))
    assert wrong_role.value.code == "auth.role_required"


def test_report_routes(hub: Session, client: TestClient) -> None:
    body = client.get("/api/v1/servicehub/reports/reductions").json()
    assert body["bundles"] == 300 and len(body["rows"]) == 300
    assert body["saved"]["applications"] == sum(r["items"] for r in body["rows"]) - 300
    generated = client.get("/api/v1/servicehub/reports/reductions", params={"generated": True})
    assert generated.json()["bundles"] == 263
    exported = client.get("/api/v1/servicehub/reports/reductions.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    assert len(exported.text.strip().splitlines()) == 301

    from tests.factories.servicehub import department

    head = auth_headers(
        client, make_staff(hub, Role.department_head, department(hub, "郑州市民政局"))
    )
    clerk = auth_headers(
        client, make_staff(hub, Role.department_clerk, department(hub, "郑州市民政局"))
    )
    bureau = auth_headers(
        client, make_staff(hub, Role.department_clerk, department(hub, "郑州市大数据管理局"))
    )
    listed = client.get("/api/v1/servicehub/reports/departments", headers=head)
    assert listed.status_code == 200 and len(listed.json()) == 51
    assert client.get("/api/v1/servicehub/reports/departments", headers=bureau).status_code == 200
    refused = client.get("/api/v1/servicehub/reports/departments", headers=clerk)
    assert refused.status_code == 403
    assert refused.json()["code"] == "servicehub.city_report_not_allowed"
    assert client.get("/api/v1/servicehub/reports/departments").status_code == 401
    as_csv = client.get("/api/v1/servicehub/reports/departments.csv", headers=head)
    assert len(as_csv.text.strip().splitlines()) == 52


def test_licence_text_keeps_no_id_or_phone_number(hub: Session) -> None:
    from tests.factories.identity import make_resident, valid_id_number
    from tests.factories.servicehub import department

    account = make_resident(hub)
    number = valid_id_number(7)
    licence = licences.issue(
        hub,
        actor=ADMIN,
        type_code="business_licence",
        issuer_department_id=department(hub, "郑州市市场监督管理局").id,
        person_id=account.person_id,
        holder_name=f"李记小吃店{number}",
        issued_on=date(2025, 3, 3),
        detail={"business_address": "农业路8号 电话13800138000", "application": "SH2025030312"},
    )
    text = str(licence.payload)
    assert number not in text and "13800138000" not in text
    assert number[:4] + "**********" + number[-4:] in licence.payload["holder_name"]
    assert licence.payload["application"] == "SH2025030312"
    assert licences.signature_ok(hub, licence)


def test_report_page_for_a_department_head(hub: Session, client: TestClient) -> None:
    from tests.factories.servicehub import department

    html = {"Accept": "text/html"}
    head = auth_headers(
        client, make_staff(hub, Role.department_head, department(hub, "郑州市民政局"))
    )
    inbox = client.get("/services/inbox", headers=head | html)
    assert 'id="reports-link"' in inbox.text
    page = client.get("/services/reports", headers=head | html)
    assert page.status_code == 200
    assert page.text.count("<tr data-department=") == 51
    assert page.text.count("<tr data-bundle=") == 300
    clerk = auth_headers(
        client, make_staff(hub, Role.department_clerk, department(hub, "郑州市民政局"))
    )
    assert 'id="reports-link"' not in client.get("/services/inbox", headers=clerk | html).text
    assert client.get("/services/reports", headers=clerk | html).status_code == 403
