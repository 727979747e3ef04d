"""The governance API through the in-process client."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.core.security import Role
from citybrain.identity.models import Department
from tests.factories.identity import auth_headers, make_resident, make_staff


def test_categories_are_listed(client: TestClient) -> None:
    body = client.get("/api/v1/governance/categories").json()
    exposed = next(c for c in body if c["code"] == "E0110")
    assert exposed["time_limit"] == 1 and exposed["time_unit"] == "workdays"


def test_agent_files_a_hotline_case_and_the_department_works_it(
    client: TestClient,
    gov_session: Session,
    departments: dict[str, Department],
    point: tuple[float, float],
) -> None:
    agent = auth_headers(client, make_staff(gov_session, Role.call_centre_agent))
    suggest = client.post(
        "/api/v1/governance/suggest",
        json={"description": "垃圾箱满了溢出来没人清理", "lon": point[0], "lat": point[1]},
        headers=agent,
    ).json()
    assert suggest["suggestions"][0]["category_code"] == "C0305"
    assert suggest["place"]["grid_cell_code"]
    created = client.post(
        "/api/v1/governance/cases",
        json={
            "description": "垃圾箱满了溢出来没人清理，来电人电话13812345678",
            "lon": point[0],
            "lat": point[1],
            "caller_name": "张三",
            "caller_phone": "13812345678",
        },
        headers=agent,
    )
    assert created.status_code == 201, created.text
    case = created.json()["case"]
    assert case["channel"] == "hotline" and case["status"] == "dispatched"
    assert "13812345678" not in created.text  # masked in the description too
    dept = departments["郑州市城市管理局"]
    clerk = auth_headers(client, make_staff(gov_session, Role.department_clerk, dept))
    inbox = client.get("/api/v1/governance/cases", headers=clerk).json()
    assert [c["id"] for c in inbox["items"]] == [case["id"]]
    claimed = client.post(
        f"/api/v1/governance/cases/{case['id']}/actions", json={"action": "claim"}, headers=clerk
    )
    assert claimed.json()["status"] == "claimed"
    again = client.post(
        f"/api/v1/governance/cases/{case['id']}/actions", json={"action": "claim"}, headers=clerk
    )
    assert again.status_code == 409
    assert again.json()["code"] == "governance.illegal_transition"
    detail = client.get(f"/api/v1/governance/cases/{case['id']}", headers=clerk).json()
    assert [t["action"] for t in detail["transitions"]] == [
        "accept",
        "register",
        "dispatch",
        "claim",
    ]
    assert detail["reporters"][0]["phone_masked"] == "138****5678"
    assert "13812345678" not in str(detail)


def test_other_departments_cannot_see_or_touch_the_case(
    client: TestClient,
    gov_session: Session,
    departments: dict[str, Department],
    point: tuple[float, float],
) -> None:
    agent = auth_headers(client, make_staff(gov_session, Role.call_centre_agent))
    case = client.post(
        "/api/v1/governance/cases",
        json={"description": "垃圾箱满了", "category_code": "C0305", "address": "金水区花园路"},
        headers=agent,
    ).json()["case"]
    other = auth_headers(
        client, make_staff(gov_session, Role.department_clerk, departments["郑州市园林局"])
    )
    assert client.get(f"/api/v1/governance/cases/{case['id']}", headers=other).status_code == 403
    act = client.post(
        f"/api/v1/governance/cases/{case['id']}/actions", json={"action": "claim"}, headers=other
    )
    assert act.status_code == 403
    assert client.get("/api/v1/governance/cases", headers=other).json()["total"] == 0


def test_resident_reports_from_the_app_and_follows_it(
    client: TestClient, gov_session: Session, point: tuple[float, float]
) -> None:
    resident = make_resident(gov_session)
    headers = auth_headers(client, resident)
    created = client.post(
        "/api/v1/governance/cases",
        json={"description": "小区门口路灯不亮了", "lon": point[0], "lat": point[1]},
        headers=headers,
    )
    assert created.status_code == 201
    case = created.json()["case"]
    assert case["channel"] == "app"
    mine = client.get("/api/v1/governance/cases/mine", headers=headers).json()
    assert [c["id"] for c in mine] == [case["id"]]
    assert client.get(f"/api/v1/governance/cases/{case['id']}", headers=headers).status_code == 200
    notes = client.get("/api/v1/governance/notifications/mine", headers=headers).json()
    assert notes and notes[0]["case_id"] == case["id"]
    other = auth_headers(client, make_resident(gov_session))
    assert client.get(f"/api/v1/governance/cases/{case['id']}", headers=other).status_code == 403
    assert client.get("/api/v1/governance/cases", headers=headers).status_code == 403


def test_photo_upload_checks_the_image(
    client: TestClient, gov_session: Session, point: tuple[float, float]
) -> None:
    headers = auth_headers(client, make_resident(gov_session))
    case = client.post(
        "/api/v1/governance/cases",
        json={"description": "垃圾箱满了", "lon": point[0], "lat": point[1]},
        headers=headers,
    ).json()["case"]
    url = f"/api/v1/governance/cases/{case['id']}/photos"
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    ok = client.post(url, files={"photo": ("a.png", png, "image/png")}, headers=headers)
    assert ok.status_code == 201
    bad = client.post(url, files={"photo": ("a.txt", b"hello", "text/plain")}, headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] == "governance.photo_not_image"


def test_bad_input_is_a_clear_4xx(client: TestClient, gov_session: Session) -> None:
    agent = auth_headers(client, make_staff(gov_session, Role.call_centre_agent))
    long = client.post("/api/v1/governance/cases", json={"description": "字" * 4001}, headers=agent)
    assert long.status_code == 422
    outside = client.post(
        "/api/v1/governance/cases",
        json={"description": "垃圾箱满了", "lon": 121.47, "lat": 31.23},
        headers=agent,
    )
    assert outside.status_code == 422 and outside.json()["code"] == "regions.point_outside_city"
    assert client.get("/api/v1/governance/cases", headers=agent).json()["total"] == 0


def test_indicators_and_escalation_routes(client: TestClient, gov_session: Session) -> None:
    command = auth_headers(client, make_staff(gov_session, Role.command_centre_operator))
    rates = client.get(
        "/api/v1/governance/indicators",
        params={"start": "2026-11-01T00:00:00+08:00", "end": "2026-12-01T00:00:00+08:00"},
        headers=command,
    )
    assert rates.status_code == 200 and rates.json()["due"] == 0
    assert client.post("/api/v1/governance/escalations/run", headers=command).status_code == 200
    clerk = auth_headers(client, make_staff(gov_session, Role.department_clerk))
    assert client.post("/api/v1/governance/escalations/run", headers=clerk).status_code == 403


def test_a_date_out_of_range_is_422_not_500(client: TestClient, gov_session: Session) -> None:
    from citybrain.core.security import Role
    from tests.factories.identity import auth_headers, make_staff

    operator = make_staff(gov_session, Role.command_centre_operator)
    response = client.get(
        "/api/v1/governance/indicators",
        params={"start": "0001-01-01T00:00:00+08:00", "end": "2026-01-01T00:00:00+08:00"},
        headers=auth_headers(client, operator),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "request.value_out_of_range"


def test_department_staff_read_only_their_own_departments_indicators(
    client: TestClient, gov_session: Session
) -> None:
    clerk = make_staff(gov_session, Role.department_clerk)
    other = make_staff(gov_session, Role.department_clerk)
    period = {"start": "2026-11-01T00:00:00+08:00", "end": "2026-12-01T00:00:00+08:00"}
    headers = auth_headers(client, clerk)
    own = client.get(
        "/api/v1/governance/indicators",
        params={**period, "department_id": clerk.department_id},
        headers=headers,
    )
    assert own.status_code == 200
    foreign = client.get(
        "/api/v1/governance/indicators",
        params={**period, "department_id": other.department_id},
        headers=headers,
    )
    assert foreign.status_code == 403 and foreign.json()["code"] == "auth.other_department"
