"""Open311 GeoReport v2 through the in-process client, in XML and JSON."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.core.security import OPERATOR, Role
from citybrain.governance.models import Case
from citybrain.identity import service as identity_service
from citybrain.identity.models import Department
from tests.factories.identity import auth_headers, make_staff

BASE = "/open311/v2"


def api_key(session: Session, scopes: list[str] | None = None) -> str:
    """A key committed (to the test's savepoint), so a refused request's rollback keeps it."""
    key = identity_service.create_api_key(
        session, actor=OPERATOR, name="FixMyStreet 郑州", scopes=scopes or ["open311"]
    ).key
    session.commit()
    return key


def test_discovery_in_both_formats(client: TestClient) -> None:
    body = client.get("/open311/discovery.json").json()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    xml = client.get("/open311/discovery.xml")
    assert xml.headers["content-type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(xml.content)
    assert root.tag == "discovery"
    assert root.find("endpoints/endpoint/formats/format") is not None


def test_services_and_definitions(client: TestClient) -> None:
    services = client.get(f"{BASE}/services.json").json()
    assert len(services) == 140
    bin_ = next(s for s in services if s["service_code"] == "C0305")
    assert bin_["service_name"] == "垃圾箱" and bin_["metadata"] is True
    root = ET.fromstring(client.get(f"{BASE}/services.xml").content)
    assert root.tag == "services" and len(root.findall("service")) == 140
    definition = client.get(f"{BASE}/services/C0305.json").json()
    attribute = definition["attributes"][0]
    assert (attribute["code"], attribute["required"]) == ("condition", True)
    assert {v["key"] for v in attribute["values"]} >= {"damaged", "missing"}
    xml = ET.fromstring(client.get(f"{BASE}/services/C0305.xml").content)
    assert xml.findtext("attributes/attribute/datatype") == "singlevaluelist"
    missing = client.get(f"{BASE}/services/NOPE.xml")
    assert missing.status_code == 404
    assert ET.fromstring(missing.content).findtext("error/code") == "404"
    assert client.get(f"{BASE}/services.yaml").status_code == 404


def test_post_requires_a_key_with_the_scope(client: TestClient, gov_session: Session) -> None:
    form = {
        "service_code": "C0305",
        "address_string": "金水区花园路",
        "attribute[condition]": "damaged",
    }
    no_key = client.post(f"{BASE}/requests.json", data=form)
    assert no_key.status_code == 403
    assert no_key.json()[0]["code"] == "api_key_missing"
    bad = client.post(f"{BASE}/requests.xml", data={**form, "api_key": "cbk_nope_nope"})
    assert bad.status_code == 403 and ET.fromstring(bad.content).tag == "errors"
    wrong_scope = api_key(gov_session, ["brain:feed"])
    assert (
        client.post(f"{BASE}/requests.json", data={**form, "api_key": wrong_scope}).status_code
        == 403
    )


def test_post_then_get_by_id_token_and_list(
    client: TestClient,
    gov_session: Session,
    departments: dict[str, Department],
    point: tuple[float, float],
) -> None:
    key = api_key(gov_session)
    posted = client.post(
        f"{BASE}/requests.json",
        data={
            "api_key": key,
            "service_code": "C0305",
            "lat": str(point[1]),
            "long": str(point[0]),
            "description": "垃圾箱被撞坏了",
            "attribute[condition]": "damaged",
            "email": "someone@example.org",
            "phone": "13800138000",
        },
    )
    assert posted.status_code == 200, posted.text
    [answer] = posted.json()
    request_id = answer["service_request_id"]
    assert "token" not in answer
    one = client.get(f"{BASE}/requests/{request_id}.json").json()[0]
    assert one["status"] == "open" and one["service_code"] == "C0305"
    assert one["agency_responsible"] == "郑州市城市管理局"
    assert one["status_notes"].startswith("已派遣")
    for key_name in ("requested_datetime", "expected_datetime", "updated_datetime"):
        assert datetime.fromisoformat(one[key_name]).tzinfo is not None
    assert one["description"].startswith("【损坏】")
    assert "13800138000" not in str(one) and "someone" not in str(one)
    xml = ET.fromstring(client.get(f"{BASE}/requests/{request_id}.xml").content)
    assert xml.findtext("request/service_request_id") == request_id
    listed = client.get(f"{BASE}/requests.json", params={"service_code": "C0305"}).json()
    assert request_id in [r["service_request_id"] for r in listed]
    assert client.get(f"{BASE}/requests.json", params={"status": "closed"}).json() == []
    by_ids = client.get(
        f"{BASE}/requests.json", params={"service_request_id": request_id, "status": "closed"}
    ).json()
    assert [r["service_request_id"] for r in by_ids] == [request_id]  # ids override filters
    paged = client.get(f"{BASE}/requests.json", params={"page": 2, "page_size": 1}).json()
    assert paged == []
    # The department sees it in its inbox.
    dept = departments["郑州市城市管理局"]
    clerk = auth_headers(client, make_staff(gov_session, Role.department_clerk, dept))
    inbox = client.get("/api/v1/governance/cases", headers=clerk).json()
    assert int(request_id) in [c["id"] for c in inbox["items"]]
    case = gov_session.get(Case, int(request_id))
    assert case is not None
    token = case.token
    tok = client.get(f"{BASE}/tokens/{token}.json").json()
    assert tok == [{"service_request_id": request_id, "token": token}]
    assert client.get(f"{BASE}/tokens/unknown.xml").status_code == 404


def test_post_errors_use_the_spec_body(client: TestClient, gov_session: Session) -> None:
    key = api_key(gov_session)
    cases = [
        ({"service_code": "NOPE", "address_string": "金水区"}, 404),
        ({"address_string": "金水区"}, 400),
        ({"service_code": "C0305", "attribute[condition]": "damaged"}, 400),  # no location
        ({"service_code": "C0305", "address_string": "金水区"}, 400),  # missing attribute
        ({"service_code": "C0305", "address_string": "金水区", "attribute[condition]": "x"}, 400),
        (
            {
                "service_code": "E0110",
                "address_string": "金水区",
                "description": "字" * 4001,
            },
            400,
        ),
        ({"service_code": "E0110", "lat": "31.23", "long": "121.47"}, 400),  # outside the city
        ({"service_code": "E0110", "lat": "abc", "long": "121.47"}, 400),
    ]
    for form, status in cases:
        answer = client.post(f"{BASE}/requests.json", data={**form, "api_key": key})
        assert answer.status_code == status, (form, answer.text)
        body = answer.json()
        assert isinstance(body, list) and {"code", "description"} <= set(body[0])
    assert client.get(f"{BASE}/requests.json").json() == []  # nothing stored


def test_list_filters_are_checked(client: TestClient) -> None:
    too_long = client.get(
        f"{BASE}/requests.xml",
        params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
    )
    assert too_long.status_code == 400
    assert (
        client.get(f"{BASE}/requests.json", params={"start_date": "yesterday"}).status_code == 400
    )
    assert client.get(f"{BASE}/requests.json", params={"status": "pending"}).status_code == 400
    assert client.get(f"{BASE}/requests.json", params={"service_code": "NOPE"}).status_code == 404
    assert client.get(f"{BASE}/requests.json", params={"page_size": "5000"}).status_code == 400
    assert client.get(f"{BASE}/requests/999999.json").status_code == 404
    assert client.get(f"{BASE}/requests/abc.xml").status_code == 404
    assert client.get(f"{BASE}/requests.json", params={"status": ""}).status_code == 200


def test_the_public_feed_keeps_appeals_private_and_locations_coarse(
    client: TestClient, gov_session: Session, point: tuple[float, float]
) -> None:
    from tests.factories.governance import make_case

    appeal = make_case(
        gov_session,
        channel="hotline",
        lon=point[0] + 0.000123,
        lat=point[1] + 0.000456,
        description="楼上装修噪音太大，我住3单元502，电话13812345678",
        address="金水区某小区3单元502",
    )
    gov_session.commit()
    entry = client.get(f"{BASE}/requests/{appeal.id}.json").json()[0]
    assert entry["description"] == "" and entry["address"] == ""
    assert entry["lat"] == round(appeal.lat, 3) and entry["long"] == round(appeal.lon, 3)
    assert "13812345678" not in appeal.description  # masked before it was stored


def test_only_a_machine_names_its_alarm_id(client: TestClient, gov_session: Session) -> None:
    from tests.factories.identity import make_resident

    resident = make_resident(gov_session)
    headers = auth_headers(client, resident)
    body = {
        "description": "路灯不亮了，晚上很黑",
        "lon": 113.62,
        "lat": 34.75,
        "external_id": "wl-0007-20261123",
    }
    first = client.post("/api/v1/governance/cases", json=body, headers=headers)
    assert first.status_code in (200, 201), first.text
    stored = gov_session.get(Case, first.json()["case"]["id"])
    assert stored is not None and stored.external_id is None
