"""Bad input to the hub: NGSI-LD problem details with the right status, nothing stored."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.brain.models import NgsiAttribute, NgsiEntity
from tests.factories.brain import air_quality

BASE = "/ngsi-ld/v1"
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"


def _problem(response, status: int, kind: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    if kind:
        assert body["type"] == ERRORS + kind
    return body


@pytest.mark.parametrize(
    ("entity", "why"),
    [
        ({"type": "AirQualityObserved", "pm25": 1}, "no id"),
        ({"id": "urn:ngsi-ld:X:1", "pm25": 1}, "no type"),
        ({"id": "not a uri", "type": "X"}, "id not a URI"),
        ({"id": "urn:ngsi-ld:X:1", "type": "X", "pm25": {"type": "Property"}}, "no value"),
        ({"id": "urn:ngsi-ld:X:1", "type": "X", "pm25": None}, "null value"),
        (
            {"id": "urn:ngsi-ld:X:1", "type": "X", "r": {"type": "Relationship", "object": 5}},
            "bad object",
        ),
        (
            {
                "id": "urn:ngsi-ld:X:1",
                "type": "X",
                "location": {
                    "type": "GeoProperty",
                    "value": {"type": "Point", "coordinates": [200, 95]},
                },
            },
            "off the globe",
        ),
        (
            {
                "id": "urn:ngsi-ld:X:1",
                "type": "X",
                "location": {"type": "GeoProperty", "value": "here"},
            },
            "not GeoJSON",
        ),
        (
            {"id": "urn:ngsi-ld:X:1", "type": "X", "t": {"value": 1, "observedAt": "yesterday"}},
            "bad time",
        ),
        ({"id": "urn:ngsi-ld:X:1", "type": "X", "bad name": 1}, "bad attribute name"),
        (
            {"id": "urn:ngsi-ld:X:1", "type": "X", "a": {"type": "Wobbly", "x": 1}},
            "unknown attribute type",
        ),
        ([1, 2], "not an object"),
    ],
)
def test_malformed_entity_is_bad_request_data(
    client: TestClient, writer: dict[str, str], session: Session, entity: object, why: str
) -> None:
    response = client.post(f"{BASE}/entities", json=entity, headers=writer)
    _problem(response, 400, "BadRequestData")
    assert session.scalar(select(func.count()).select_from(NgsiEntity)) == 0, why


def test_duplicate_is_already_exists_and_original_kept(
    client: TestClient, writer: dict[str, str], session: Session
) -> None:
    assert (
        client.post(f"{BASE}/entities", json=air_quality(1, pm25=10), headers=writer).status_code
        == 201
    )
    again = client.post(f"{BASE}/entities", json=air_quality(1, pm25=99), headers=writer)
    _problem(again, 409, "AlreadyExists")
    kept = client.get(f"{BASE}/entities/urn:ngsi-ld:AirQualityObserved:zz-0001", headers=writer)
    assert kept.json()["pm25"]["value"] == 10


def test_unknown_entity_is_resource_not_found(client: TestClient, writer: dict[str, str]) -> None:
    url = f"{BASE}/entities/urn:ngsi-ld:X:missing"
    _problem(client.get(url, headers=writer), 404, "ResourceNotFound")
    _problem(
        client.patch(f"{url}/attrs/a", json={"value": 1}, headers=writer), 404, "ResourceNotFound"
    )
    _problem(client.delete(url, headers=writer), 404, "ResourceNotFound")


def test_failed_update_changes_nothing(
    client: TestClient, writer: dict[str, str], session: Session
) -> None:
    client.post(f"{BASE}/entities", json=air_quality(1, pm25=10), headers=writer)
    before = session.scalar(select(func.count()).select_from(NgsiAttribute))
    bad = client.patch(
        f"{BASE}/entities/urn:ngsi-ld:AirQualityObserved:zz-0001",
        json={"pm25": {"value": 11}, "pm10": {"value": 1, "observedAt": "not-a-time"}},
        headers=writer,
    )
    _problem(bad, 400, "BadRequestData")
    body = client.get(
        f"{BASE}/entities/urn:ngsi-ld:AirQualityObserved:zz-0001", headers=writer
    ).json()
    assert body["pm25"]["value"] == 10
    assert session.scalar(select(func.count()).select_from(NgsiAttribute)) == before


def test_remote_context_is_504_and_nothing_fetched(
    client: TestClient, writer: dict[str, str]
) -> None:
    entity = {**air_quality(1), "@context": "https://example.org/unreachable/context.jsonld"}
    response = client.post(
        f"{BASE}/entities", json=entity, headers={**writer, "Content-Type": "application/ld+json"}
    )
    _problem(response, 504, "LdContextNotAvailable")
    link = '<https://example.org/ctx.jsonld>; rel="http://www.w3.org/ns/json-ld#context"'
    query = client.get(f"{BASE}/entities", params={"type": "X"}, headers={**writer, "Link": link})
    _problem(query, 504, "LdContextNotAvailable")


def test_context_and_media_type_rules(client: TestClient, writer: dict[str, str]) -> None:
    ld_without_context = client.post(
        f"{BASE}/entities",
        json=air_quality(1),
        headers={**writer, "Content-Type": "application/ld+json"},
    )
    _problem(ld_without_context, 400, "BadRequestData")
    json_with_context = client.post(
        f"{BASE}/entities", json={**air_quality(1), "@context": []}, headers=writer
    )
    _problem(json_with_context, 400, "BadRequestData")
    text = client.post(
        f"{BASE}/entities", content=b"id=1", headers={**writer, "Content-Type": "text/plain"}
    )
    _problem(text, 415)
    broken = client.post(
        f"{BASE}/entities",
        content=b"{not json",
        headers={**writer, "Content-Type": "application/json"},
    )
    _problem(broken, 400, "InvalidRequest")
    xml = client.get(
        f"{BASE}/entities", params={"type": "X"}, headers={**writer, "Accept": "application/xml"}
    )
    _problem(xml, 406)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"type": "X", "q": "pm25>>3"},
        {"type": "X", "q": "(pm25>3"},
        {"type": "X", "q": 'name~="("'},
        {"type": "X", "georel": "near", "geometry": "Point", "coordinates": "[113,34]"},
        {
            "type": "X",
            "georel": "near;maxDistance==-1",
            "geometry": "Point",
            "coordinates": "[113,34]",
        },
        {"type": "X", "georel": "within", "geometry": "Polygon", "coordinates": "[[1,2]"},
        {"type": "X", "limit": 5000},
        {"type": "X", "options": "bogus"},
        {"idPattern": "(unclosed"},
    ],
)
def test_bad_queries(client: TestClient, writer: dict[str, str], params: dict) -> None:
    _problem(client.get(f"{BASE}/entities", params=params, headers=writer), 400, "BadRequestData")


def test_authentication_and_roles(client: TestClient, reader: dict[str, str]) -> None:
    anonymous = client.get(f"{BASE}/entities", params={"type": "X"})
    body = _problem(anonymous, 401)
    assert body["code"] == "auth.not_authenticated"
    assert client.get(f"{BASE}/entities", params={"type": "X"}, headers=reader).status_code == 200
    refused = client.post(f"{BASE}/entities", json=air_quality(1), headers=reader)
    assert _problem(refused, 403)["code"] == "brain.ngsi_forbidden"
