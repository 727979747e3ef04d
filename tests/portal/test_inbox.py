"""The staff console's one inbox: servicehub tasks and governance cases of a department
in one list, filtered, sorted and paged; bulk steps through the pillars' services."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.core.security import Actor, Role
from citybrain.governance import lifecycle, rules
from citybrain.identity import service as identity_service
from citybrain.identity.models import Account, Department
from citybrain.portal import inbox_service
from citybrain.portal.inbox_service import InboxQuery
from citybrain.servicehub import applications, bundles
from citybrain.servicehub.models import Application
from tests.factories.governance import make_case, make_departments
from tests.factories.identity import auth_headers, make_staff
from tests.factories.servicehub import (
    RESTAURANT_ANSWERS,
    load_catalog,
    resident_with_business_licence,
    restaurant_form,
)

ADDRESS = "管城区商都路与未来路交叉口"
HTML = {"Accept": "text/html"}


@dataclass
class Desk:
    """One department with work in both pillars, its clerk and head, and a neighbour."""

    department: Department
    clerk: Account
    head: Account
    application: Application
    task_ids: list[int]
    case_ids: list[int]
    other_clerk: Account
    other_case_id: int
    other_task_ids: list[int]


def _category_for(department_name: str) -> str | None:
    for category in rules.categories().values():
        if category.department == department_name:
            return category.code
    return None


@pytest.fixture
def desk(reference_session: Session) -> Desk:
    session = reference_session
    load_catalog(session)
    make_departments(session)
    account, _ = resident_with_business_licence(session)
    bundle = bundles.get_bundle_by_name(session, "开办餐饮店")
    assert bundle is not None
    application = applications.submit(
        session,
        actor=identity_service.actor_for(account),
        bundle_id=bundle.id,
        answers=RESTAURANT_ANSWERS,
        form=restaurant_form(),
    )
    # The department of a task that also owns a case category: work in both pillars.
    chosen = None
    for task in application.tasks:
        name = identity_service.get_department_or_raise(session, task.department_id).name
        if _category_for(name) is not None:
            chosen = identity_service.get_department_or_raise(session, task.department_id)
            break
    assert chosen is not None
    code = _category_for(chosen.name)
    case_ids = [
        make_case(session, category_code=code, address=ADDRESS, description=text).id
        for text in ("路边有人占道经营，影响通行", "店门口堆放杂物很久了", "夜市摊位油烟很大")
    ]
    other_name = next(n for n in ("郑州市城市管理局", "郑州市园林局") if n != chosen.name)
    other_code = _category_for(other_name)
    other_case = make_case(session, category_code=other_code, address=ADDRESS)
    other_department = identity_service.get_department_by_name(session, other_name)
    assert other_department is not None
    return Desk(
        department=chosen,
        clerk=make_staff(session, Role.department_clerk, chosen),
        head=make_staff(session, Role.department_head, chosen),
        application=application,
        task_ids=[t.id for t in application.tasks if t.department_id == chosen.id],
        case_ids=case_ids,
        other_clerk=make_staff(session, Role.department_clerk, other_department),
        other_case_id=other_case.id,
        other_task_ids=[t.id for t in application.tasks if t.department_id != chosen.id],
    )


def _actor(account: Account) -> Actor:
    return identity_service.actor_for(account)


def test_rows_come_from_both_pillars_with_deadlines_and_levels(
    client: TestClient, desk: Desk
) -> None:
    answer = client.get("/api/v1/portal/inbox", headers=auth_headers(client, desk.clerk))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    keys = {row["key"] for row in body["items"]}
    assert {f"governance:{i}" for i in desk.case_ids} <= keys
    assert {f"servicehub:{i}" for i in desk.task_ids} <= keys
    case_row = next(r for r in body["items"] if r["pillar"] == "governance")
    assert case_row["deadline"] and case_row["remaining_unit"] == "workhours"
    assert case_row["level"] in ("normal", "warning", "overdue")
    assert case_row["level_label"]  # words, not colour alone
    assert case_row["href"] == f"/governance/cases/{case_row['id']}"
    assert case_row["bulk_action"] == "claim"
    task_row = next(r for r in body["items"] if r["pillar"] == "servicehub")
    assert task_row["status"] == "submitted" and task_row["bulk_action"] == "accept"
    assert task_row["level"] == "none" and "未起算" in task_row["level_label"]
    assert task_row["href"] == f"/services/applications/{desk.application.id}"


def test_another_departments_rows_are_never_shown(client: TestClient, desk: Desk) -> None:
    mine = client.get("/api/v1/portal/inbox", headers=auth_headers(client, desk.clerk)).json()
    theirs = client.get(
        "/api/v1/portal/inbox",
        params={"page_size": 100},
        headers=auth_headers(client, desk.other_clerk),
    ).json()
    my_keys = {r["key"] for r in mine["items"]}
    their_keys = {r["key"] for r in theirs["items"]}
    assert f"governance:{desk.other_case_id}" not in my_keys
    assert f"governance:{desk.other_case_id}" in their_keys
    assert not my_keys & their_keys
    assert not {f"servicehub:{i}" for i in desk.other_task_ids} & my_keys
    # Not through the page's text search either.
    page = client.get(
        "/inbox",
        params={"q": f"#{desk.other_case_id}"},
        headers={**auth_headers(client, desk.clerk), **HTML},
    )
    assert f'data-key="governance:{desk.other_case_id}"' not in page.text


def test_filters_by_pillar_state_level_and_text(desk: Desk, reference_session: Session) -> None:
    actor = _actor(desk.clerk)

    def keys(**filters: object) -> list[str]:
        query = InboxQuery(page_size=100, **filters)  # type: ignore[arg-type]
        return [
            r.key for r in inbox_service.inbox(reference_session, actor=actor, query=query).rows
        ]

    assert all(k.startswith("governance:") for k in keys(pillar="governance"))
    assert all(k.startswith("servicehub:") for k in keys(pillar="servicehub"))
    assert set(keys(state="submitted")) == {f"servicehub:{i}" for i in desk.task_ids}
    assert set(keys(state="dispatched")) == {f"governance:{i}" for i in desk.case_ids}
    assert set(keys(level="none")) == {f"servicehub:{i}" for i in desk.task_ids}
    assert keys(level="overdue") == []
    assert keys(text=desk.application.number) == [f"servicehub:{i}" for i in desk.task_ids]
    assert keys(text=f"#{desk.case_ids[1]}") == [f"governance:{desk.case_ids[1]}"]
    with pytest.raises(Exception) as caught:
        inbox_service.inbox(reference_session, actor=actor, query=InboxQuery(level="purple"))
    assert getattr(caught.value, "code", "") == "portal.bad_inbox_filter"


def test_sorting_by_deadline_received_and_kind_and_paging(client: TestClient, desk: Desk) -> None:
    headers = auth_headers(client, desk.clerk)

    def rows(**params: object) -> list[dict[str, object]]:
        answer = client.get(
            "/api/v1/portal/inbox", params={"page_size": 100, **params}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        return list(answer.json()["items"])

    by_deadline = rows(sort="deadline")
    deadlines = [r["deadline"] for r in by_deadline if r["deadline"]]
    assert deadlines == sorted(deadlines)
    assert by_deadline[-1]["deadline"] is None  # no clock yet: last
    latest_first = rows(sort="deadline", order="desc")
    assert [r["deadline"] for r in latest_first if r["deadline"]] == sorted(deadlines, reverse=True)
    received = [r["received_at"] for r in rows(sort="received")]
    assert received == sorted(received)
    kinds = [r["kind"] for r in rows(sort="kind")]
    assert kinds == sorted(kinds) and set(kinds) == {"application", "case"}
    total = len(by_deadline)
    first = client.get(
        "/api/v1/portal/inbox", params={"page_size": 2, "page": 1}, headers=headers
    ).json()
    second = client.get(
        "/api/v1/portal/inbox", params={"page_size": 2, "page": 2}, headers=headers
    ).json()
    assert first["total"] == total and first["pages"] == (total + 1) // 2
    assert len(first["items"]) == 2
    assert not {r["key"] for r in first["items"]} & {r["key"] for r in second["items"]}
    bad = client.get("/api/v1/portal/inbox", params={"sort": "colour"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] == "portal.bad_inbox_filter"
    assert (
        client.get("/api/v1/portal/inbox", params={"page_size": 1000}, headers=headers).json()[
            "code"
        ]
        == "request.invalid"
    )


def test_bulk_sign_for_reports_each_row_and_one_failure_stops_nothing(
    client: TestClient, desk: Desk, reference_session: Session
) -> None:
    clerk = _actor(desk.clerk)
    lifecycle.apply(
        reference_session, case_id=desk.case_ids[0], action=rules.Action.claim, actor=clerk
    )
    keys = [f"governance:{i}" for i in desk.case_ids] + [f"governance:{desk.other_case_id}"]
    answer = client.post(
        "/api/v1/portal/inbox/bulk",
        json={"action": "claim", "keys": keys},
        headers=auth_headers(client, desk.clerk),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    results = {r["key"]: r for r in body["results"]}
    assert body["succeeded"] == 2 and body["failed"] == 2
    assert results[keys[0]]["code"] == "governance.illegal_transition"  # already signed for
    assert results[keys[1]]["ok"] and results[keys[1]]["status"] == "claimed"
    assert results[keys[2]]["ok"]
    assert results[keys[3]]["code"] == "auth.other_department"  # the service said no
    other = lifecycle.get_case_or_raise(reference_session, desk.other_case_id)
    assert other.status == "dispatched"


def test_bulk_accept_goes_through_the_servicehub_step(
    client: TestClient, desk: Desk, reference_session: Session
) -> None:
    keys = [f"servicehub:{i}" for i in desk.task_ids] + [f"governance:{desk.case_ids[0]}"]
    keys += ["servicehub:not-a-number", "servicehub:¹", "servicehub:99999999999"]
    body = client.post(
        "/api/v1/portal/inbox/bulk",
        json={"action": "accept", "keys": keys},
        headers=auth_headers(client, desk.clerk),
    ).json()
    results = {r["key"]: r for r in body["results"]}
    for task_id in desk.task_ids:
        assert results[f"servicehub:{task_id}"]["ok"]
        assert results[f"servicehub:{task_id}"]["status"] == "accepted"
    assert results[f"governance:{desk.case_ids[0]}"]["code"] == "portal.bulk_not_applicable"
    for odd in ("servicehub:not-a-number", "servicehub:¹", "servicehub:99999999999"):
        assert results[odd]["code"] == "portal.bulk_not_applicable"
    too_long = client.post(
        "/api/v1/portal/inbox/bulk",
        json={"action": "accept", "keys": ["servicehub:" + "1" * 5000]},
        headers=auth_headers(client, desk.clerk),
    )
    assert too_long.status_code == 422
    accepted = inbox_service.inbox(
        reference_session,
        actor=_actor(desk.clerk),
        query=InboxQuery(pillar="servicehub", page_size=100),
    ).rows
    assert {r.level for r in accepted} <= {"normal", "warning"}
    assert all(r.remaining_unit == "workdays" and r.deadline for r in accepted)


def test_page_for_clerk_and_head_and_htmx_partials(client: TestClient, desk: Desk) -> None:
    clerk_headers = {**auth_headers(client, desk.clerk), **HTML}
    page = client.get("/inbox", headers=clerk_headers)
    assert page.status_code == 200
    text = page.text
    assert 'id="inbox-table"' in text and 'id="inbox-filter-form"' in text
    assert 'href="/services/inbox"' in text and 'href="/governance/inbox"' in text
    assert 'aria-sort="ascending"' in text and 'id="head-figures"' not in text
    assert f'data-key="governance:{desk.case_ids[0]}"' in text
    assert "/static/css/console.css" in text and "/static/js/inbox.js" in text
    assert 'href="/inbox"' in text  # in the navigation
    head_page = client.get("/inbox", headers={**auth_headers(client, desk.head), **HTML})
    assert 'id="head-figures"' in head_page.text and 'id="case-figures"' in head_page.text
    partial = client.get(
        "/inbox", params={"pillar": "governance"}, headers={**clerk_headers, "HX-Request": "true"}
    )
    assert partial.status_code == 200 and "<html" not in partial.text
    assert 'data-pillar="servicehub"' not in partial.text
    bulk = client.post(
        "/inbox/bulk",
        data={"action": "claim", "keys": [f"governance:{i}" for i in desk.case_ids]},
        headers={**clerk_headers, "HX-Request": "true"},
    )
    assert bulk.status_code == 200 and 'id="bulk-report"' in bulk.text
    assert bulk.text.count('data-ok="true"') == len(desk.case_ids)
    nothing = client.post(
        "/inbox/bulk", data={"action": "claim"}, headers={**clerk_headers, "HX-Request": "true"}
    )
    assert nothing.status_code == 422 and 'id="bulk-error"' in nothing.text
    assert 'id="inbox-table"' in nothing.text  # the table stays


def test_head_figures_api(client: TestClient, desk: Desk) -> None:
    head = client.get("/api/v1/portal/inbox/figures", headers=auth_headers(client, desk.head))
    assert head.status_code == 200
    body = head.json()
    assert body["services"]["open_tasks"] == len(desk.task_ids)
    assert body["cases"]["due"] >= 0 and body["overdue"] == 0
    clerk = client.get("/api/v1/portal/inbox/figures", headers=auth_headers(client, desk.clerk))
    assert clerk.json() == {"services": None, "cases": None, "overdue": None}


def test_only_department_staff_have_the_inbox(
    client: TestClient, desk: Desk, reference_session: Session
) -> None:
    agent = make_staff(reference_session, Role.call_centre_agent)
    answer = client.get("/api/v1/portal/inbox", headers=auth_headers(client, agent))
    assert answer.status_code == 403 and answer.json()["code"] == "auth.role_required"
    resident, _ = resident_with_business_licence(reference_session)
    answer = client.get("/api/v1/portal/inbox", headers=auth_headers(client, resident))
    assert answer.status_code == 403 and answer.json()["code"] == "auth.staff_only"
    assert client.get("/api/v1/portal/inbox").status_code == 401


def test_remaining_time_is_said_in_words() -> None:
    labels = inbox_service._remaining_labels
    assert labels(None, None) == ("—", "")
    assert labels(3, "workdays") == ("剩余 3 个工作日", "3 working days left")
    assert labels(-2, "workdays")[0] == "超期 2 个工作日"
    assert labels(10.5, "workhours", 7.0)[0] == "剩余 10.5 工作小时（约 1.5 个工作日）"
    assert labels(-3.0, "workhours", 7.0)[1] == "3.0 working hours over"
    assert labels(0.0, "workhours", 7.0, overdue=True) == ("已过期限", "past the deadline")


def test_an_inbox_cut_at_its_row_cap_says_so(
    client: TestClient, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = auth_headers(client, desk.clerk)
    whole = client.get("/api/v1/portal/inbox", headers=headers).json()
    assert whole["truncated"] is False
    monkeypatch.setattr(inbox_service, "MAX_ROWS_PER_PILLAR", 1)
    cut = client.get("/api/v1/portal/inbox", headers=headers).json()
    assert cut["truncated"] is True and cut["total"] <= 2
    page = client.get("/inbox", headers={**headers, "Accept": "text/html"})
    assert 'id="inbox-truncated"' in page.text
