"""servicehub over HTTP: browse, plan, apply, clerk steps, inbox, licences, import."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.security import Role
from citybrain.servicehub import applications, bundles
from citybrain.servicehub.models import ApplicationMaterial
from tests.factories.identity import auth_headers, make_staff
from tests.factories.servicehub import (
    RESTAURANT_ANSWERS,
    clerk_of,
    resident_with_business_licence,
    restaurant_form,
)


def _bundle_id(hub: Session) -> int:
    bundle = bundles.get_bundle_by_name(hub, "开办餐饮店")
    assert bundle is not None
    return bundle.id


def test_browse_catalog_and_bundles(hub: Session, client: TestClient) -> None:
    page = client.get("/api/v1/servicehub/items", params={"q": "食品经营许可", "limit": 5}).json()
    assert page["total"] >= 4 and page["items"][0]["department_name"] == "郑州市市场监督管理局"
    listed = client.get("/api/v1/servicehub/bundles").json()
    assert len(listed) == 300 and any(b["name"] == "开办餐饮店" for b in listed)
    assert sum(b["generated"] for b in listed) == 263 and all(b["limit_days"] >= 0 for b in listed)
    assert client.get("/api/v1/servicehub/items/999999").status_code == 404


def test_resident_applies_and_clerks_decide(hub: Session, client: TestClient) -> None:
    account, _ = resident_with_business_licence(hub)
    resident = auth_headers(client, account)
    url = f"/api/v1/servicehub/bundles/{_bundle_id(hub)}"
    plan = client.post(f"{url}/plan", json={"answers": RESTAURANT_ANSWERS}, headers=resident).json()
    assert {m["status"] for m in plan["materials"]} >= {"licence", "form"}

    bad = client.post(
        f"{url}/applications",
        headers=resident,
        json={
            "answers": RESTAURANT_ANSWERS,
            "form": restaurant_form() | {"sign_area_m2": -1, "extra": 1},
        },
    )
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["detail"]["fields"]} == {"sign_area_m2", "extra"}

    made = client.post(
        f"{url}/applications",
        headers=resident,
        json={"answers": RESTAURANT_ANSWERS, "form": restaurant_form()},
    )
    assert made.status_code == 201, made.text
    application = made.json()
    assert application["expected_on"] and len(application["tasks"]) == 3

    for task in application["tasks"]:
        clerk = auth_headers(client, clerk_of(hub, task["department_name"]))
        steps = f"/api/v1/servicehub/tasks/{task['id']}/steps"
        early = client.post(steps, headers=clerk, json={"action": "decide", "granted": True})
        assert early.status_code == 409
        assert client.post(steps, headers=clerk, json={"action": "accept"}).status_code == 200
        inbox = client.get("/api/v1/servicehub/inbox", headers=clerk).json()
        assert [row["task_id"] for row in inbox] == [task["id"]]
        while True:
            current = client.get(
                f"/api/v1/servicehub/applications/{application['id']}", headers=clerk
            ).json()
            ready = next(t for t in current["tasks"] if t["id"] == task["id"])["ready_steps"]
            if ready == ["decide"]:
                break
            client.post(steps, headers=clerk, json={"action": "review", "step": ready[0]})
        done = client.post(steps, headers=clerk, json={"action": "decide", "granted": True})
        assert done.status_code == 200

    final = client.get(
        f"/api/v1/servicehub/applications/{application['id']}", headers=resident
    ).json()
    assert final["status"] == "completed"
    assert all(t["licence_number"] for t in final["tasks"])
    held = client.get("/api/v1/servicehub/licences", headers=resident).json()
    assert len(held) == 4 and all(lic["valid"] and lic["signature_ok"] for lic in held)


def test_other_department_clerk_gets_403(hub: Session, client: TestClient) -> None:
    account, _ = resident_with_business_licence(hub)
    made = client.post(
        f"/api/v1/servicehub/bundles/{_bundle_id(hub)}/applications",
        headers=auth_headers(client, account),
        json={"answers": RESTAURANT_ANSWERS, "form": restaurant_form()},
    ).json()
    task = made["tasks"][0]
    outsider = auth_headers(client, clerk_of(hub, "郑州市教育局"))
    response = client.post(
        f"/api/v1/servicehub/tasks/{task['id']}/steps", headers=outsider, json={"action": "accept"}
    )
    assert response.status_code == 403
    assert (
        client.get(f"/api/v1/servicehub/applications/{made['id']}", headers=outsider).status_code
        == 403
    )


def test_upload_limits(hub: Session, client: TestClient) -> None:
    account, _ = resident_with_business_licence(hub)
    headers = auth_headers(client, account)
    made = client.post(
        f"/api/v1/servicehub/bundles/{_bundle_id(hub)}/applications",
        headers=headers,
        json={"answers": RESTAURANT_ANSWERS, "form": restaurant_form()},
    ).json()
    missing = next(m for m in made["materials"] if m["status"] == "missing")
    url = f"/api/v1/servicehub/applications/{made['id']}/materials/{missing['key']}"
    wrong = client.post(
        url, headers=headers, files={"file": ("a.exe", b"MZ", "application/x-msdownload")}
    )
    assert wrong.status_code == 415
    big = client.post(
        url,
        headers=headers,
        files={"file": ("a.pdf", b"%PDF" + b"0" * (5 * 1024 * 1024), "application/pdf")},
    )
    assert big.status_code == 413
    ok = client.post(
        url, headers=headers, files={"file": ("plan.pdf", b"%PDF-1.7 ...", "application/pdf")}
    )
    assert ok.status_code == 204
    stored = hub.scalar(
        select(ApplicationMaterial).where(
            ApplicationMaterial.key == missing["key"],
            ApplicationMaterial.application_id == made["id"],
        )
    )
    assert stored is not None and b"%PDF-1.7" not in (stored.content or b"")
    assert applications.read_upload(hub, stored) == b"%PDF-1.7 ..."
    after = client.get(f"/api/v1/servicehub/applications/{made['id']}", headers=headers).json()
    assert next(m for m in after["materials"] if m["key"] == missing["key"])["status"] == "uploaded"


def test_admin_imports_json(hub: Session, client: TestClient) -> None:
    admin = auth_headers(client, make_staff(hub, Role.admin))
    rows = client.get("/api/v1/servicehub/items/export", params={"format": "json"}).json()
    good = dict(rows[0], task_code="API-1")
    bad = dict(rows[0], task_code="API-2", promised_days=999, legal_days=5)
    response = client.post(
        "/api/v1/servicehub/items/import",
        headers=admin,
        params={"format": "json"},
        files={"file": ("items.json", json.dumps([good, bad]).encode(), "application/json")},
    )
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 1
    assert response.json()["rejected"] == [
        {
            "row": 2,
            "rule": "promised_le_legal",
            "message": "承诺时限不得超过法定时限",
            "message_en": "Promised limit exceeds legal limit",
        }
    ]
    clerk = auth_headers(client, clerk_of(hub, "郑州市教育局"))
    assert (
        client.post(
            "/api/v1/servicehub/items/import",
            headers=clerk,
            files={"file": ("i.json", b"[]", "application/json")},
        ).status_code
        == 403
    )


def test_construction_report(client: TestClient) -> None:
    body = client.get("/api/v1/servicehub/construction").json()
    assert body["after"]["approval_items"] == 98
    assert (body["after"]["max_days"], body["after"]["min_days"]) == (61, 30)
    assert (body["before"]["approval_items"], body["before"]["max_days"]) == (122, 340)


def test_rating_and_department_metrics(hub: Session, client: TestClient) -> None:
    account, _ = resident_with_business_licence(hub)
    resident = auth_headers(client, account)
    made = client.post(
        f"/api/v1/servicehub/bundles/{_bundle_id(hub)}/applications",
        headers=resident,
        json={"answers": RESTAURANT_ANSWERS, "form": restaurant_form()},
    ).json()
    rating_url = f"/api/v1/servicehub/applications/{made['id']}/rating"
    assert client.post(rating_url, headers=resident, json={"score": 5}).status_code == 409
    for task in made["tasks"]:
        clerk = auth_headers(client, clerk_of(hub, task["department_name"]))
        steps = f"/api/v1/servicehub/tasks/{task['id']}/steps"
        client.post(steps, headers=clerk, json={"action": "accept"})
        for step in ("review_documents", "inspect_site"):
            client.post(steps, headers=clerk, json={"action": "review", "step": step})
        granted = client.post(steps, headers=clerk, json={"action": "decide", "granted": True})
        assert granted.status_code == 200
    rated = client.post(
        rating_url, headers=resident, json={"score": 4, "comment": "很快，电话13800138000"}
    )
    assert rated.status_code == 201 and "13800138000" not in rated.json()["comment"]
    assert client.post(rating_url, headers=resident, json={"score": 5}).status_code == 409
    department = made["tasks"][0]["department_id"]
    head = auth_headers(
        client, clerk_of(hub, made["tasks"][0]["department_name"], Role.department_head)
    )
    figures = client.get(
        f"/api/v1/servicehub/departments/{department}/metrics", headers=head
    ).json()
    assert figures["decided_tasks"] == 1 and figures["on_time_rate"] == 1.0
    assert figures["ratings"] == 1 and figures["average_rating"] == 4.0
    outsider = auth_headers(client, clerk_of(hub, "郑州市教育局", Role.department_head))
    assert (
        client.get(
            f"/api/v1/servicehub/departments/{department}/metrics", headers=outsider
        ).status_code
        == 403
    )
    page = client.get("/services/inbox", headers=head | {"Accept": "text/html"})
    assert 'id="department-metrics"' in page.text
