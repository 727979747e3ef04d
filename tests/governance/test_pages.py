"""Governance pages through the in-process client: full pages and the htmx partial."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.core import geo
from citybrain.core.security import Role
from citybrain.identity.models import Department
from tests.factories.identity import auth_headers, make_resident, make_staff

HTML = {"Accept": "text/html"}


def test_two_residents_report_one_bin_and_follow_it_to_closure(
    client: TestClient,
    gov_session: Session,
    departments: dict[str, Department],
    point: tuple[float, float],
) -> None:
    first = {**HTML, **auth_headers(client, make_resident(gov_session))}
    second = {**HTML, **auth_headers(client, make_resident(gov_session))}
    page = client.get("/governance/report", headers=first)
    assert page.status_code == 200 and 'id="district-map"' in page.text
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    answer = client.post(
        "/governance/report",
        data={"description": "路边垃圾箱满了溢出来，没人清理", "lon": point[0], "lat": point[1]},
        files={"photo": ("bin.png", png, "image/png")},
        headers=first,
    )
    assert answer.status_code == 200 and "已受理" in answer.text
    dx, _ = geo.metres_to_degrees(15, 0, lat=point[1])
    merged = client.post(
        "/governance/report",
        data={
            "description": "这个垃圾箱满了，垃圾溢出来没人清理",
            "lon": point[0] + dx,
            "lat": point[1],
        },
        headers=second,
    )
    assert "已合并到案件" in merged.text
    dept = departments["郑州市城市管理局"]
    clerk = {**HTML, **auth_headers(client, make_staff(gov_session, Role.department_clerk, dept))}
    inbox = client.get("/governance/inbox", headers=clerk)
    case_ids = [int(part.split('"')[0]) for part in inbox.text.split('data-case="')[1:]]
    assert len(case_ids) == 1
    case_id = case_ids[0]
    for action in ("claim", "feedback"):
        done = client.post(
            f"/governance/cases/{case_id}/act",
            data={"action": action},
            headers=clerk,
            follow_redirects=False,
        )
        assert done.status_code == 303
    grid = {**HTML, **auth_headers(client, make_staff(gov_session, Role.grid_worker))}
    to_check = client.get("/governance/grid", headers=grid)
    assert f'data-case="{case_id}"' in to_check.text
    client.post(
        f"/governance/cases/{case_id}/act",
        data={"action": "verify_pass", "next": "/governance/grid"},
        headers=grid,
    )
    for headers in (first, second):
        mine = client.get("/governance/report", headers=headers).text
        assert f'data-case="{case_id}" data-status="closed"' in mine
    detail = client.get(f"/governance/cases/{case_id}", headers=first).text
    assert 'data-status="closed"' in detail


def test_illegal_page_action_shows_the_error(
    client: TestClient, gov_session: Session, departments: dict[str, Department]
) -> None:
    agent = {**HTML, **auth_headers(client, make_staff(gov_session, Role.call_centre_agent))}
    created = client.post(
        "/governance/intake",
        data={"description": "金水区花园路垃圾箱满了溢出来", "category_code": "C0305"},
        headers=agent,
        follow_redirects=False,
    )
    assert created.status_code == 303
    case_url = created.headers["location"]
    page = client.get(case_url, headers=agent)
    assert "案件 #" in page.text
    refused = client.post(f"{case_url}/act", data={"action": "rate", "rating": "5"}, headers=agent)
    assert refused.status_code == 409


def test_intake_suggestions_partial(
    client: TestClient, gov_session: Session, point: tuple[float, float]
) -> None:
    agent = auth_headers(client, make_staff(gov_session, Role.call_centre_agent))
    page = client.get("/governance/intake", headers={**HTML, **agent})
    assert page.status_code == 200 and 'hx-post="/governance/intake/suggest"' in page.text
    partial = client.post(
        "/governance/intake/suggest",
        data={"description": "工地半夜还在打桩吵得睡不着", "address": "管城区商都路"},
        headers={**agent, "HX-Request": "true"},
    )
    assert partial.status_code == 200
    assert 'data-code="E03L01"' in partial.text and "管城回族区" in partial.text
    assert "<html" not in partial.text


def test_command_map_and_script(
    client: TestClient, gov_session: Session, point: tuple[float, float]
) -> None:
    resident = auth_headers(client, make_resident(gov_session))
    client.post(
        "/api/v1/governance/cases",
        json={"description": "路灯不亮了", "lon": point[0], "lat": point[1]},
        headers=resident,
    )
    command = {
        **HTML,
        **auth_headers(client, make_staff(gov_session, Role.command_centre_operator)),
    }
    page = client.get("/governance/map", headers=command)
    assert page.status_code == 200 and 'id="district-table"' in page.text
    assert "data-counts=" in page.text
    script = client.get("/governance/assets/governance.js")
    assert script.headers["content-type"].startswith("application/javascript")
    assert "http" not in script.text  # no online tiles or CDN
    clerk = {**HTML, **auth_headers(client, make_staff(gov_session, Role.department_clerk))}
    assert client.get("/governance/map", headers=clerk).status_code == 403
