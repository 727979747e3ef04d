"""NGSI-LD entity operations through the API: create, retrieve, query, update, delete."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.brain.models import NgsiEntity, NgsiObservation
from citybrain.core.models import AuditEntry, OutboxEvent
from tests.factories.brain import CENTRE, LINK_CONTEXT, air_quality, underpass

BASE = "/ngsi-ld/v1"
PROBLEM = "application/problem+json"


def _create(client: TestClient, headers: dict[str, str], entity: dict) -> None:
    response = client.post(f"{BASE}/entities", json=entity, headers=headers)
    assert response.status_code == 201, response.text


def test_create_and_retrieve_normalized(
    client: TestClient, writer: dict[str, str], session: Session
) -> None:
    response = client.post(f"{BASE}/entities", json=air_quality(1, pm25=41.5), headers=writer)
    assert response.status_code == 201
    assert response.headers["location"] == f"{BASE}/entities/urn:ngsi-ld:AirQualityObserved:zz-0001"
    got = client.get(f"{BASE}/entities/urn:ngsi-ld:AirQualityObserved:zz-0001", headers=writer)
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("application/json")
    assert "ngsi-ld-core-context" in got.headers["link"]
    body = got.json()
    assert body["type"] == "AirQualityObserved"
    assert body["pm25"] == {
        "type": "Property",
        "value": 41.5,
        "unitCode": "GQ",
        "observedAt": "2026-11-27T08:00:00.000Z",
    }
    assert body["location"]["type"] == "GeoProperty"
    # the write is audited, announced on the outbox and starts the history
    assert (
        session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "brain.entity_created")
        )
        == 1
    )
    event = session.scalars(
        select(OutboxEvent).where(OutboxEvent.name == "brain.entities_created")
    ).one()
    assert event.payload["entity_ids"] == ["urn:ngsi-ld:AirQualityObserved:zz-0001"]
    assert session.scalar(select(func.count()).select_from(NgsiObservation)) == 4


def test_concise_input_and_output_formats(client: TestClient, writer: dict[str, str]) -> None:
    concise = {
        "id": "urn:ngsi-ld:ParkingSpot:zz-1",
        "type": "ParkingSpot",
        "status": "free",
        "category": {"value": ["onStreet"]},
        "refParkingSite": {"object": "urn:ngsi-ld:ParkingSite:zz-9"},
        "location": {"type": "Point", "coordinates": [113.66, 34.75]},
    }
    _create(client, writer, concise)
    url = f"{BASE}/entities/urn:ngsi-ld:ParkingSpot:zz-1"
    normalized = client.get(url, headers=writer).json()
    assert normalized["status"] == {"type": "Property", "value": "free"}
    assert normalized["refParkingSite"]["type"] == "Relationship"
    assert normalized["location"]["type"] == "GeoProperty"
    key_values = client.get(url, params={"options": "keyValues"}, headers=writer).json()
    assert key_values == {
        "id": "urn:ngsi-ld:ParkingSpot:zz-1",
        "type": "ParkingSpot",
        "category": ["onStreet"],
        "location": {"type": "Point", "coordinates": [113.66, 34.75]},
        "refParkingSite": "urn:ngsi-ld:ParkingSite:zz-9",
        "status": "free",
    }
    concise_out = client.get(url, params={"format": "concise"}, headers=writer).json()
    assert concise_out["status"] == "free"
    assert concise_out["refParkingSite"] == {"object": "urn:ngsi-ld:ParkingSite:zz-9"}
    with_sys = client.get(url, params={"options": "sysAttrs"}, headers=writer).json()
    assert with_sys["createdAt"].endswith("Z") and "modifiedAt" in with_sys["status"]


def test_ld_json_with_inline_context_round_trips(
    client: TestClient, writer: dict[str, str]
) -> None:
    entity = {
        "id": "urn:ngsi-ld:AirQualityObserved:ctx-1",
        "type": "AirQualityObserved",
        "pm25": 12,
        "@context": [
            {"pm25": "https://smartdatamodels.org/dataModel.Environment/pm25"},
            "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
        ],
    }
    response = client.post(
        f"{BASE}/entities",
        json=entity,
        headers={**writer, "Content-Type": "application/ld+json"},
    )
    assert response.status_code == 201, response.text
    # Without the context the attribute shows under its full IRI ...
    plain = client.get(
        f"{BASE}/entities/urn:ngsi-ld:AirQualityObserved:ctx-1", headers=writer
    ).json()
    assert plain["https://smartdatamodels.org/dataModel.Environment/pm25"]["value"] == 12
    # ... and asking for JSON-LD puts the @context in the body.
    ld = client.get(
        f"{BASE}/entities/urn:ngsi-ld:AirQualityObserved:ctx-1",
        headers={**writer, "Accept": "application/ld+json"},
    )
    assert ld.headers["content-type"].startswith("application/ld+json")
    assert "@context" in ld.json()


def test_query_by_type_id_pattern_q_and_attrs(client: TestClient, writer: dict[str, str]) -> None:
    for n, pm25 in enumerate([20.0, 55.0, 80.0, 120.0]):
        _create(client, writer, air_quality(n, pm25=pm25))
    _create(client, writer, underpass(1, level=0.4))
    url = f"{BASE}/entities"
    by_type = client.get(url, params={"type": "AirQualityObserved"}, headers=writer).json()
    assert len(by_type) == 4
    high = client.get(
        url, params={"type": "AirQualityObserved", "q": "pm25>50;pm25<=100"}, headers=writer
    )
    assert [e["pm25"]["value"] for e in high.json()] == [55.0, 80.0]
    either = client.get(url, params={"q": "pm25==20.0|currentLevel>0.3"}, headers=writer).json()
    assert {e["type"] for e in either} == {"AirQualityObserved", "FloodMonitoring"}
    ranged = client.get(
        url, params={"type": "AirQualityObserved", "q": "pm25==50..100"}, headers=writer
    )
    assert len(ranged.json()) == 2
    named = client.get(
        url, params={"type": "AirQualityObserved", "q": 'stationName~="站[12]$"'}, headers=writer
    )
    assert [e["id"][-1] for e in named.json()] == ["1", "2"]
    unit = client.get(
        url, params={"type": "AirQualityObserved", "q": 'pm25.unitCode=="GQ"'}, headers=writer
    )
    assert len(unit.json()) == 4
    pattern = client.get(url, params={"idPattern": ".*zz-000[23]$"}, headers=writer).json()
    assert [e["id"] for e in pattern] == [
        "urn:ngsi-ld:AirQualityObserved:zz-0002",
        "urn:ngsi-ld:AirQualityObserved:zz-0003",
    ]
    projected = client.get(
        url, params={"type": "AirQualityObserved", "attrs": "pm10", "limit": 1}, headers=writer
    )
    assert set(projected.json()[0]) == {"id", "type", "pm10"}
    counted = client.get(
        url,
        params={"type": "AirQualityObserved", "limit": 2, "offset": 1, "count": "true"},
        headers=writer,
    )
    assert counted.headers["ngsild-results-count"] == "4" and len(counted.json()) == 2
    with_link = client.get(
        url, params={"type": "AirQualityObserved"}, headers={**writer, "Link": LINK_CONTEXT}
    )
    assert len(with_link.json()) == 4


def test_geo_query_near_and_within(client: TestClient, writer: dict[str, str]) -> None:
    # 0.001° of latitude is about 111 m.
    for n in range(6):
        _create(client, writer, air_quality(n, lon=CENTRE[0], lat=CENTRE[1] + n * 0.002))
    near = client.get(
        f"{BASE}/entities",
        params={
            "type": "AirQualityObserved",
            "georel": "near;maxDistance==500",
            "geometry": "Point",
            "coordinates": f"[{CENTRE[0]},{CENTRE[1]}]",
        },
        headers=writer,
    )
    assert near.status_code == 200, near.text
    assert [e["id"][-1] for e in near.json()] == ["0", "1", "2"]
    far = client.get(
        f"{BASE}/entities",
        params={
            "type": "AirQualityObserved",
            "georel": "near;minDistance==500",
            "geometry": "Point",
            "coordinates": f"[{CENTRE[0]},{CENTRE[1]}]",
        },
        headers=writer,
    )
    assert [e["id"][-1] for e in far.json()] == ["3", "4", "5"]
    x, y = CENTRE
    box = [
        [
            [x - 0.01, y + 0.003],
            [x + 0.01, y + 0.003],
            [x + 0.01, y + 0.009],
            [x - 0.01, y + 0.009],
            [x - 0.01, y + 0.003],
        ]
    ]
    within = client.get(
        f"{BASE}/entities",
        params={
            "type": "AirQualityObserved",
            "georel": "within",
            "geometry": "Polygon",
            "coordinates": str(box),
        },
        headers=writer,
    )
    assert [e["id"][-1] for e in within.json()] == ["2", "3", "4"]


def test_attribute_operations(client: TestClient, writer: dict[str, str], session: Session) -> None:
    _create(client, writer, underpass(7))
    url = f"{BASE}/entities/urn:ngsi-ld:FloodMonitoring:underpass-007"
    # partial update of one attribute keeps what was not given (unitCode)
    patched = client.patch(
        f"{url}/attrs/currentLevel",
        json={"value": 0.31, "observedAt": "2026-11-27T09:00:00Z"},
        headers=writer,
    )
    assert patched.status_code == 204, patched.text
    level = client.get(url, headers=writer).json()["currentLevel"]
    assert level["value"] == 0.31 and level["unitCode"] == "MTR"
    # append with noOverwrite reports what it left alone
    appended = client.post(
        f"{url}/attrs",
        params={"options": "noOverwrite"},
        json={"currentLevel": 9, "alertLevel": 0.3},
        headers=writer,
    )
    assert appended.status_code == 207
    assert appended.json()["notUpdated"][0]["attributeName"] == "currentLevel"
    # update attributes only touches existing ones
    updated = client.patch(
        f"{url}/attrs", json={"alertLevel": 0.25, "nonexistent": 1}, headers=writer
    )
    assert updated.status_code == 207
    assert updated.json()["updated"] == ["alertLevel"]
    replaced = client.put(
        f"{url}/attrs/alertLevel",
        json={"type": "Property", "value": 0.2, "unitCode": "MTR"},
        headers=writer,
    )
    assert replaced.status_code == 204
    assert client.get(url, headers=writer).json()["alertLevel"] == {
        "type": "Property",
        "value": 0.2,
        "unitCode": "MTR",
    }
    assert client.delete(f"{url}/attrs/alertLevel", headers=writer).status_code == 204
    assert "alertLevel" not in client.get(url, headers=writer).json()
    missing = client.delete(f"{url}/attrs/alertLevel", headers=writer)
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM


def test_merge_replace_and_delete_entity(
    client: TestClient, writer: dict[str, str], session: Session
) -> None:
    _create(client, writer, underpass(8))
    url = f"{BASE}/entities/urn:ngsi-ld:FloodMonitoring:underpass-008"
    merged = client.patch(
        url,
        json={"currentLevel": {"value": 0.5}, "name": None, "status": "flooded"},
        headers=writer,
    )
    assert merged.status_code == 204, merged.text
    body = client.get(url, headers=writer).json()
    assert body["currentLevel"] == {"type": "Property", "value": 0.5, "unitCode": "MTR"}
    assert "name" not in body and body["status"]["value"] == "flooded"
    replaced = client.put(
        url, json={"type": "FloodMonitoring", "currentLevel": 0.1}, headers=writer
    )
    assert replaced.status_code == 204
    assert set(client.get(url, headers=writer).json()) == {"id", "type", "currentLevel"}
    wrong_type = client.put(url, json={"type": "ParkingSpot", "currentLevel": 0.1}, headers=writer)
    assert wrong_type.status_code == 400
    sensor_pk = session.scalar(
        select(NgsiEntity.id).where(
            NgsiEntity.entity_id == "urn:ngsi-ld:FloodMonitoring:underpass-008"
        )
    )
    assert session.scalar(select(func.count()).where(NgsiObservation.entity_pk == sensor_pk)) > 0
    assert client.delete(url, headers=writer).status_code == 204
    gone = client.get(url, headers=writer)
    assert gone.status_code == 404
    assert gone.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound"
    assert session.get(NgsiEntity, sensor_pk) is None
    history = select(func.count()).where(NgsiObservation.entity_pk == sensor_pk)
    assert session.scalar(history) == 0


def test_types(client: TestClient, writer: dict[str, str]) -> None:
    _create(client, writer, air_quality(1))
    _create(client, writer, air_quality(2))
    _create(client, writer, underpass(1))
    listed = client.get(f"{BASE}/types", headers=writer).json()
    assert listed["type"] == "EntityTypeList"
    assert listed["typeList"] == ["AirQualityObserved", "FloodMonitoring"]
    detailed = client.get(f"{BASE}/types", params={"details": "true"}, headers=writer).json()
    assert (
        "currentLevel"
        in next(t for t in detailed if t["typeName"] == "FloodMonitoring")["attributeNames"]
    )
    info = client.get(f"{BASE}/types/AirQualityObserved", headers=writer).json()
    assert info["entityCount"] == 2
    location = next(a for a in info["attributeDetails"] if a["attributeName"] == "location")
    assert location["attributeTypes"] == ["GeoProperty"]
    assert client.get(f"{BASE}/types/Nothing", headers=writer).status_code == 404
