"""Batch operations: per-entity success and failure, bulk writes, the 1,000 limit."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.brain.models import NgsiEntity
from citybrain.core.models import AuditEntry
from tests.factories.brain import air_quality, underpass

OPS = "/ngsi-ld/v1/entityOperations"


ALERT = "https://uri.etsi.org/ngsi-ld/default-context/Alert"


def _count(session: Session) -> int:
    """Entities other than the Alerts that scenario rules raise on the way."""
    query = select(func.count()).select_from(NgsiEntity).where(NgsiEntity.entity_type != ALERT)
    return session.scalar(query) or 0


def test_batch_create_reports_each_entity(
    client: TestClient, writer: dict[str, str], session: Session
) -> None:
    good = [air_quality(n) for n in range(3)]
    response = client.post(f"{OPS}/create", json=good, headers=writer)
    assert response.status_code == 201
    assert response.json() == [e["id"] for e in good]
    mixed = [air_quality(0), air_quality(5), {"id": "urn:ngsi-ld:X:9"}, {"type": "X"}]
    partial = client.post(f"{OPS}/create", json=mixed, headers=writer)
    assert partial.status_code == 207
    body = partial.json()
    assert body["success"] == ["urn:ngsi-ld:AirQualityObserved:zz-0005"]
    errors = {e["entityId"]: e["error"]["type"].rsplit("/", 1)[-1] for e in body["errors"]}
    assert errors == {
        "urn:ngsi-ld:AirQualityObserved:zz-0000": "AlreadyExists",
        "urn:ngsi-ld:X:9": "BadRequestData",
        "": "BadRequestData",
    }
    assert _count(session) == 4
    # one audit row per batch, not per entity
    assert (
        session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "brain.batch_create")
        )
        == 2
    )


def test_batch_of_1001_is_refused_whole(
    client: TestClient, writer: dict[str, str], session: Session
) -> None:
    response = client.post(
        f"{OPS}/upsert", json=[air_quality(n) for n in range(1001)], headers=writer
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert _count(session) == 0
    assert client.post(f"{OPS}/create", json=[], headers=writer).status_code == 400
    assert client.post(f"{OPS}/create", json={"id": "x"}, headers=writer).status_code == 400


def test_batch_upsert_replace_and_update(
    client: TestClient, writer: dict[str, str], session: Session
) -> None:
    first = client.post(f"{OPS}/upsert", json=[underpass(n) for n in range(1000)], headers=writer)
    assert first.status_code == 201 and len(first.json()) == 1000
    # replace (default): attributes not given disappear
    again = client.post(
        f"{OPS}/upsert",
        json=[{"id": underpass(1)["id"], "type": "FloodMonitoring", "currentLevel": 0.9}],
        headers=writer,
    )
    assert again.status_code == 204
    one = client.get(f"/ngsi-ld/v1/entities/{underpass(1)['id']}", headers=writer).json()
    assert set(one) == {"id", "type", "currentLevel"}
    # options=update keeps the others
    updated = client.post(
        f"{OPS}/upsert",
        params={"options": "update"},
        json=[{"id": underpass(2)["id"], "type": "FloodMonitoring", "currentLevel": 0.7}],
        headers=writer,
    )
    assert updated.status_code == 204
    two = client.get(f"/ngsi-ld/v1/entities/{underpass(2)['id']}", headers=writer).json()
    assert two["currentLevel"]["value"] == 0.7 and "name" in two
    assert _count(session) == 1000


def test_batch_update_merge_and_delete(
    client: TestClient, writer: dict[str, str], session: Session
) -> None:
    client.post(f"{OPS}/create", json=[underpass(n) for n in range(3)], headers=writer)
    update = client.post(
        f"{OPS}/update",
        json=[
            {"id": underpass(0)["id"], "currentLevel": 0.2},
            {"id": "urn:ngsi-ld:FloodMonitoring:none", "currentLevel": 1},
        ],
        headers=writer,
    )
    assert update.status_code == 207
    assert update.json()["success"] == [underpass(0)["id"]]
    assert update.json()["errors"][0]["error"]["status"] == 404
    merge = client.post(
        f"{OPS}/merge",
        json=[{"id": underpass(1)["id"], "currentLevel": {"value": 0.4}, "name": None}],
        headers=writer,
    )
    assert merge.status_code == 204
    merged = client.get(f"/ngsi-ld/v1/entities/{underpass(1)['id']}", headers=writer).json()
    assert merged["currentLevel"] == {"type": "Property", "value": 0.4, "unitCode": "MTR"}
    assert "name" not in merged
    deleted = client.post(
        f"{OPS}/delete",
        json=[underpass(0)["id"], underpass(1)["id"], "urn:ngsi-ld:X:none"],
        headers=writer,
    )
    assert deleted.status_code == 207
    assert deleted.json()["success"] == [underpass(0)["id"], underpass(1)["id"]]
    assert _count(session) == 1
