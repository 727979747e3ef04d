"""The 一网通办 pages: browse, the bundle form, apply with errors, the clerk's steps."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.core.security import Role
from citybrain.servicehub import bundles
from tests.factories.identity import auth_headers, make_staff
from tests.factories.servicehub import (
    RESTAURANT_ANSWERS,
    clerk_of,
    resident_with_business_licence,
    restaurant_form,
)

HTML = {"Accept": "text/html"}


def test_resident_applies_through_the_pages(hub: Session, client: TestClient) -> None:
    account, _ = resident_with_business_licence(hub)
    headers = auth_headers(client, account) | HTML
    listing = client.get("/services", headers=headers)
    assert listing.status_code == 200 and "开办餐饮店" in listing.text
    bundle = bundles.get_bundle_by_name(hub, "开办餐饮店")
    assert bundle is not None
    query = {f"q_{k}": v for k, v in RESTAURANT_ANSWERS.items()}
    page = client.get(f"/services/bundles/{bundle.id}", params=query, headers=headers)
    assert page.status_code == 200
    assert 'data-status="licence"' in page.text and "李记小吃店" in page.text  # prefilled

    form = {f"f_{k}": str(v) for k, v in restaurant_form().items()} | query
    bad = client.post(
        f"/services/bundles/{bundle.id}/apply",
        headers=headers,
        data=form | {"f_business_area_m2": "很大"},
        follow_redirects=False,
    )
    assert bad.status_code == 422 and 'id="e_business_area_m2"' in bad.text
    made = client.post(
        f"/services/bundles/{bundle.id}/apply", headers=headers, data=form, follow_redirects=False
    )
    assert made.status_code == 303
    detail = client.get(made.headers["location"], headers=headers)
    assert detail.status_code == 200
    assert len(re.findall(r'data-department="[^"]+" data-status="submitted"', detail.text)) == 3

    missing = re.search(r'action="(/services/applications/\d+/materials/[^"]+)"', detail.text)
    assert missing is not None
    wrong = client.post(
        missing.group(1),
        headers=headers,
        follow_redirects=False,
        files={"file": ("x.txt", b"hello", "text/plain")},
    )
    assert wrong.status_code == 415
    uploaded = client.post(
        missing.group(1),
        headers=headers,
        follow_redirects=False,
        files={"file": ("plan.pdf", b"%PDF-1.7 plan", "application/pdf")},
    )
    assert uploaded.status_code == 303
    found = re.search(r'id="task-(\d+)" data-department="([^"]+)"', detail.text)
    assert found is not None
    task_id, department = int(found.group(1)), found.group(2)
    clerk = auth_headers(client, clerk_of(hub, department)) | HTML
    inbox = client.get("/services/inbox", headers=clerk)
    assert f'data-task="{task_id}"' in inbox.text
    accepted = client.post(
        f"/services/tasks/{task_id}/steps",
        headers=clerk,
        data={"action": "accept"},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    again = client.post(
        f"/services/tasks/{task_id}/steps",
        headers=clerk,
        data={"action": "accept"},
        follow_redirects=False,
    )
    assert again.status_code == 409
    staff_view = client.get(made.headers["location"], headers=clerk).text
    assert 'data-action="correct"' in staff_view and "***" in staff_view  # masked applicant


def test_admin_imports_through_the_catalog_page(hub: Session, client: TestClient) -> None:
    admin = auth_headers(client, make_staff(hub, Role.admin)) | HTML
    page = client.get("/services/admin/catalog", headers=admin)
    assert page.status_code == 200 and "544" in page.text
    rows = client.get("/api/v1/servicehub/items/export", params={"format": "json"}).json()
    upload = [
        dict(rows[0], task_code="PAGE-1"),
        dict(rows[1], task_code="PAGE-2", visits=2, online_level=4),
    ]
    done = client.post(
        "/services/admin/catalog/import",
        headers=admin,
        files={"file": ("items.json", json.dumps(upload).encode(), "application/json")},
    )
    assert done.status_code == 200 and "level4_no_visit" in done.text
    assert 'id="import-rejections"' in done.text
    clerk = auth_headers(client, clerk_of(hub, "郑州市教育局")) | HTML
    assert client.get("/services/admin/catalog", headers=clerk).status_code == 403
