"""The city code API through the in-process client (incl. the seven GB/T 38963 operations)."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.citycode import rules, scans
from citybrain.citycode.models import Scan
from citybrain.core.security import Role
from citybrain.identity.models import Department
from tests.factories.citycode import CENTRE
from tests.factories.identity import auth_headers, make_department, make_resident, make_staff

API = "/api/v1/citycode"


@pytest.fixture
def health(city_session: Session, client: TestClient) -> dict[str, str]:
    department = city_session.scalar(
        select(Department).where(Department.name == "郑州市卫生健康委员会")
    ) or make_department(city_session, name="郑州市卫生健康委员会", short_name="市卫健委")
    headers = auth_headers(client, make_staff(city_session, Role.health_authority, department))
    for usage in ("person", "venue", "trust_list"):
        assert client.post(f"{API}/keys", json={"usage": usage}, headers=headers).status_code == 201
    return headers


def test_resident_code_verify_and_status(client: TestClient, city_session: Session, health) -> None:  # type: ignore[no-untyped-def]
    resident = auth_headers(client, make_resident(city_session))
    made = client.post(f"{API}/codes", json={}, headers=resident)
    assert made.status_code == 200, made.text
    body = made.json()
    assert body["code"].startswith("CB1:") and body["qr_svg"].startswith("<svg")
    assert body["refresh_seconds"] <= 60
    checked = client.post(f"{API}/codes/verify", json={"code": body["code"]}, headers=health)
    assert checked.json()["valid"] is True
    broken = client.post(f"{API}/codes/verify", json={"code": body["code"][:-6]}, headers=health)
    assert broken.json()["valid"] is False and broken.json()["stage"]
    mine = client.get(f"{API}/me/status", headers=resident).json()
    assert mine["status"]["colour"] == "none"
    # Somebody else's code is refused.
    other = client.post(f"{API}/codes", json={"person_id": 999}, headers=resident)
    assert other.status_code == 403 and other.json()["code"] == "citycode.not_your_code"


def test_declarations_rules_and_correction(
    client: TestClient, city_session: Session, health
) -> None:  # type: ignore[no-untyped-def]
    resident = auth_headers(client, make_resident(city_session))
    published = client.post(f"{API}/rule-sets", json=rules.demo_rule_set(), headers=health)
    assert published.status_code == 201, published.text
    level = client.put(
        f"{API}/emergency-levels/410100",
        json={"level": 2, "legal_basis": "通告1号"},
        headers=health,
    )
    assert level.status_code == 200
    declared = client.post(
        f"{API}/declarations/health", json={"symptoms": [], "temperature_c": 38.2}, headers=resident
    )
    assert declared.json()["colour"] == "yellow"
    trip = client.post(
        f"{API}/declarations/trip",
        json={"division_code": "410102", "visited_on": datetime.now(UTC).date().isoformat()},
        headers=resident,
    )
    assert trip.json()["colour"] == "yellow"
    history = client.get(f"{API}/me/status", headers=resident).json()["history"]
    assert history[-1]["to_colour"] == "yellow" and history[-1]["legal_basis"]
    filed = client.post(f"{API}/corrections", json={"reason": "体温计故障"}, headers=resident)
    assert filed.status_code == 201 and filed.json()["deadline_date"]
    listed = client.get(f"{API}/corrections", params={"open_only": True}, headers=health).json()
    assert [c["id"] for c in listed] == [filed.json()["id"]]
    staff_cannot_file = client.post(f"{API}/corrections", json={"reason": "x"}, headers=health)
    assert staff_cannot_file.status_code == 403
    bad_rules = client.post(f"{API}/rule-sets", json={"rules": []}, headers=health)
    assert bad_rules.status_code == 422


def test_venue_device_batch_trace_and_csv(
    client: TestClient, city_session: Session, health
) -> None:  # type: ignore[no-untyped-def]
    venue = client.post(
        f"{API}/venues",
        json={
            "kind": "public_place",
            "name": "二七广场",
            "operator_name": "二七区商务局",
            "address": "二七区",
            "lon": CENTRE[0],
            "lat": CENTRE[1],
        },
        headers=health,
    )
    assert venue.status_code == 201, venue.text
    venue_id = venue.json()["id"]
    unknown = client.post(
        f"{API}/venues/{venue_id}/members", json={"person_id": 999_999}, headers=health
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "identity.unknown_person"
    key = ed25519.Ed25519PrivateKey.generate()
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    device = client.post(
        f"{API}/venues/{venue_id}/devices",
        json={"name": "闸机", "public_key": base64.b64encode(der).decode()},
        headers=health,
    ).json()
    index_account, contact_account = make_resident(city_session), make_resident(city_session)
    index_code = client.post(f"{API}/codes", json={}, headers=auth_headers(client, index_account))
    door = client.post(
        f"{API}/venues/{venue_id}/door-checks",
        json={"code": index_code.json()["code"]},
        headers=health,
    )
    assert door.json()["outcome"] == "pass"
    contact_code = client.post(
        f"{API}/codes", json={}, headers=auth_headers(client, contact_account)
    )
    token = client.post(
        f"{API}/codes/verify", json={"code": contact_code.json()["code"]}, headers=health
    ).json()["claims"]["token"]
    at = datetime.now(UTC) - timedelta(minutes=10)
    items = [scans.ScanIn(str(uuid.uuid4()), token, "pass", at)]
    batch_id = "b-1"
    signature = key.sign(scans.batch_signing_bytes(device["id"], batch_id, items))
    payload = {
        "device_id": device["id"],
        "batch_id": batch_id,
        "signature": base64.b64encode(signature).decode(),
        "scans": [
            {
                "scan_id": i.scan_id,
                "person_token": i.person_token,
                "outcome": i.outcome,
                "scanned_at": i.scanned_at.isoformat(),
            }
            for i in items
        ],
    }
    ack = client.post(f"{API}/scan-batches", json=payload, headers=health)
    assert ack.status_code == 200, ack.text
    assert ack.json()["stored"] == 1
    again = client.post(f"{API}/scan-batches", json=payload, headers=health)
    assert (again.json()["stored"], again.json()["duplicates"]) == (0, 1)
    assert len(city_session.scalars(select(Scan).where(Scan.venue_id == venue_id)).all()) == 2
    no_case = client.post(
        f"{API}/traces", json={"person_id": index_account.person_id}, headers=health
    )
    assert no_case.status_code == 422
    traced = client.post(
        f"{API}/traces",
        json={"case_id": "C-1", "person_id": index_account.person_id},
        headers=health,
    )
    assert traced.status_code == 201, traced.text
    contacts = traced.json()["contacts"]
    assert [c["person_id"] for c in contacts] == [contact_account.person_id]
    assert "*" in contacts[0]["id_number"]
    exported = client.get(f"{API}/traces/{traced.json()['id']}/csv", headers=health)
    assert exported.headers["content-type"].startswith("text/csv") and "C-1" in exported.text
    resident = auth_headers(client, index_account)
    assert (
        client.post(
            f"{API}/traces", json={"case_id": "C-1", "person_id": 1}, headers=resident
        ).status_code
        == 403
    )


def test_hospital_resolves_code_for_its_purpose(
    client: TestClient, city_session: Session, health
) -> None:  # type: ignore[no-untyped-def]
    admin = auth_headers(client, make_staff(city_session, Role.admin))
    applied = client.post(
        f"{API}/use-applications",
        json={"organisation": "郑大一附院", "purpose": "hospital"},
        headers=health,
    )
    assert applied.status_code == 201
    refused = client.post(
        f"{API}/use-applications/{applied.json()['id']}/decision",
        json={"approve": True},
        headers=health,
    )
    assert refused.status_code == 403
    approved = client.post(
        f"{API}/use-applications/{applied.json()['id']}/decision",
        json={"approve": True},
        headers=admin,
    ).json()
    assert approved["status"] == "approved" and approved["api_key"].startswith("cbk_")
    account = make_resident(city_session)
    code = client.post(f"{API}/codes", json={}, headers=auth_headers(client, account)).json()[
        "code"
    ]
    resolved = client.post(
        f"{API}/codes/resolve", json={"code": code}, headers={"X-API-Key": approved["api_key"]}
    )
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert body["purpose"] == "hospital" and body["passes"] is True and "*" in body["id_number"]
    staff = client.post(f"{API}/codes/resolve", json={"code": code}, headers=health)
    assert staff.status_code == 403


def test_trust_list_is_public_and_signed(client: TestClient, health) -> None:  # type: ignore[no-untyped-def]
    from citybrain.citycode import signing

    published = client.post(f"{API}/trust-list", headers=health)
    assert published.status_code == 201
    fetched = client.get(f"{API}/trust-list").json()
    version, store = signing.open_trust_list(
        base64.b64decode(fetched["document"]), anchor_der=base64.b64decode(fetched["anchor"])
    )
    assert version == fetched["version"] and len(store) == 2


def test_check_in_with_live_venue_code_and_audited_replay(
    client: TestClient, city_session: Session, health
) -> None:  # type: ignore[no-untyped-def]
    from citybrain.core import audit

    venue = client.post(
        f"{API}/venues",
        json={
            "kind": "public_place",
            "name": "紫荆山公园",
            "operator_name": "园林局",
            "address": "金水区",
            "lon": CENTRE[0],
            "lat": CENTRE[1],
        },
        headers=health,
    ).json()
    shown = client.get(f"{API}/venues/{venue['id']}/code", headers=health).json()
    resident = auth_headers(client, make_resident(city_session))
    body = {"code": shown["code"], "lon": CENTRE[0], "lat": CENTRE[1]}
    first = client.post(f"{API}/check-ins", json=body, headers=resident)
    assert first.status_code == 200, first.text
    assert first.json()["outcome"] == "pass"
    replay = client.post(f"{API}/check-ins", json=body, headers=resident)
    assert replay.status_code == 409 and replay.json()["code"] == "citycode.venue_code_replayed"
    entries = audit.entries_for(city_session, entity_type="citycode_venue", entity_id=venue["id"])
    assert "citycode.check_in_refused" in [e.action for e in entries]
    scans_here = city_session.scalars(select(Scan).where(Scan.venue_id == venue["id"])).all()
    assert len(scans_here) == 1
