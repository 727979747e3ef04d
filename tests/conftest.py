"""Shared fixtures: settings, an engine on SQLite (default) or PostgreSQL (``--db``),
a per-test session rolled back at the end, and an in-process client on that session."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from citybrain.app import create_app
from citybrain.config import Settings
from citybrain.core.crypto import PiiCipher
from citybrain.core.db import get_session, make_engine
from citybrain.models import Base

DB_FIXTURES = {"engine", "session", "client", "db_url", "reference_session", "city_session"}
DEMO_SEED = 20201220
TEST_PII_KEY = base64.b64encode(bytes(range(32))).decode()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        default=os.environ.get("CITYBRAIN_TEST_DATABASE_URL"),
        help="Database URL for database tests (default: a temporary SQLite file).",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


@pytest.fixture(scope="session")
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = request.config.getoption("--db")
    if url:
        return str(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def settings(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("var")
    return Settings(
        database_url=db_url,
        data_dir=data_dir,
        pii_key=TEST_PII_KEY,
        secret_key="test-secret-key-for-tokens-only-in-tests",
        # The per-test session is rolled back; a worker with its own sessions would race it.
        background_workers=False,
    )


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    if engine.dialect.name == "sqlite":
        _let_sqlite_savepoints_work(engine)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _let_sqlite_savepoints_work(engine: Engine) -> None:
    """pysqlite opens transactions lazily, so a route's commit inside the test's outer
    transaction would really be written. SQLAlchemy's recipe: let it emit BEGIN itself."""

    @event.listens_for(engine, "connect")
    def _no_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


@pytest.fixture
def session(engine: Engine, settings: Settings) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        info={"settings": settings, "pii": PiiCipher(base64.b64decode(TEST_PII_KEY))},
    )
    yield session
    session.close()
    outer.rollback()
    connection.close()


@pytest.fixture
def reference_session(session: Session) -> Iterator[Session]:
    """The test session with the packaged divisions and streets, no boundaries."""
    from citybrain.regions import service as regions_service
    from citybrain.regions.index import invalidate_index

    regions_service.load_reference(session)
    yield session
    invalidate_index()


@pytest.fixture
def city_session(reference_session: Session) -> Session:
    """The test session with divisions, streets and the synthetic demo geometry."""
    from citybrain.regions import service as regions_service

    regions_service.load_synthetic_geometry(reference_session, seed=DEMO_SEED)
    return reference_session


@pytest.fixture
def app(settings: Settings, session: Session):  # type: ignore[no-untyped-def]
    application = create_app(settings)

    def test_session() -> Iterator[Session]:
        yield session

    application.dependency_overrides[get_session] = test_session
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def artifacts_dir() -> Path:
    path = Path(os.environ.get("CITYBRAIN_TEST_ARTIFACTS", "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def demo_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The full demo city served by a real ``citybrain serve`` process."""
    from tests.live import start_city, stop_city

    city = start_city(tmp_path_factory.mktemp("city"))
    yield city
    stop_city(city)
