"""The read replica: the brain's read-only GETs read ``read_database_url``; writes stay on
the primary."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.app import create_app
from citybrain.brain.models import NgsiEntity
from citybrain.brain.ngsi import batch
from citybrain.brain.ngsi.context import core_context
from citybrain.config import Settings
from citybrain.core.db import get_session, make_engine, make_sessionmaker, transaction
from citybrain.core.security import Actor, ActorKind, Role
from citybrain.models import Base
from tests.factories.brain import underpass, writer_headers

BASE = "/ngsi-ld/v1"
OPERATOR = Actor(kind=ActorKind.staff, id="1", name="值班员", role=Role.command_centre_operator)


def _replica(path: Path) -> str:
    """A second database holding what the primary does not: underpass 900 at 0.07 m."""
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with make_sessionmaker(engine)() as session, transaction(session):
        result = batch.upsert(
            session, raw=[underpass(900, level=0.07)], ctx=core_context(), actor=OPERATOR
        )
        assert not result.errors
    engine.dispose()
    return url


def test_gets_read_the_replica_and_writes_go_to_the_primary(
    settings: Settings, session: Session, tmp_path: Path
) -> None:
    app = create_app(settings.model_copy(update={"read_database_url": _replica(tmp_path / "r.db")}))

    def primary() -> Iterator[Session]:
        yield session

    app.dependency_overrides[get_session] = primary
    with TestClient(app) as client:
        headers = writer_headers(client, session)  # accounts and keys: the primary
        created = client.post(f"{BASE}/entities", json=underpass(1), headers=headers)
        assert created.status_code == 201, created.text
        on_primary = session.scalars(select(NgsiEntity.entity_id)).all()
        assert underpass(1)["id"] in on_primary and underpass(900)["id"] not in on_primary

        replica_only = client.get(
            f"{BASE}/entities/{underpass(900)['id']}",
            params={"format": "keyValues"},
            headers=headers,
        )
        assert replica_only.status_code == 200
        assert replica_only.json()["currentLevel"] == 0.07
        assert (
            client.get(f"{BASE}/entities/{underpass(1)['id']}", headers=headers).status_code == 404
        )
        listed = client.get(f"{BASE}/entities", params={"type": "FloodMonitoring"}, headers=headers)
        assert [e["id"] for e in listed.json()] == [underpass(900)["id"]]
        types = client.get(f"{BASE}/types", headers=headers).json()
        assert types["typeList"] == ["FloodMonitoring"]
        temporal = client.get(
            f"{BASE}/temporal/entities/{underpass(900)['id']}",
            params={"options": "temporalValues", "attrs": "currentLevel"},
            headers=headers,
        )
        assert temporal.status_code == 200
        assert [v[0] for v in temporal.json()["currentLevel"]["values"]] == [0.07]
    app.state.read_sessionmaker.kw["bind"].dispose()


def test_without_a_replica_gets_read_the_primary(client: TestClient, session: Session) -> None:
    headers = writer_headers(client, session)
    assert client.post(f"{BASE}/entities", json=underpass(2), headers=headers).status_code == 201
    got = client.get(f"{BASE}/entities/{underpass(2)['id']}", headers=headers)
    assert got.status_code == 200
