"""History housekeeping: monthly partitions on PostgreSQL, retention on both databases."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from citybrain.brain import history
from citybrain.brain.models import NgsiEntity, NgsiObservation
from citybrain.brain.ngsi.store import epoch_ms
from citybrain.core import migrate
from citybrain.core.db import make_engine, make_sessionmaker, transaction

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
JULY = datetime(2026, 7, 15, tzinfo=UTC)


def test_months_and_the_cutoff() -> None:
    assert history.month_start(NOW) == datetime(2026, 11, 1, tzinfo=UTC)
    assert history.add_months(datetime(2026, 11, 1, tzinfo=UTC), 2) == datetime(
        2027, 1, 1, tzinfo=UTC
    )
    assert history.retention_cutoff(NOW, 3) == datetime(2026, 8, 1, tzinfo=UTC)
    assert history.partition_name(datetime(2027, 1, 1, tzinfo=UTC)) == "obs_202701"
    with pytest.raises(ValueError):
        history.retention_cutoff(NOW, 0)


def _entity(session: Session) -> int:
    return int(
        session.execute(
            insert(NgsiEntity).returning(NgsiEntity.id),
            [{"entity_id": f"urn:ngsi-ld:Test:{uuid.uuid4().hex[:8]}", "entity_type": "T"}],
        ).scalar_one()
    )


def _readings(session: Session, pk: int, moment: datetime, count: int) -> None:
    session.execute(
        insert(NgsiObservation),
        [
            {
                "entity_pk": pk,
                "name": "https://example.org/level",
                "kind": "Property",
                "value_num": float(n),
                "body": {"type": "Property", "value": n},
                "observed_at": moment,
                "observed_ms": epoch_ms(moment) + n,
                "source": "test",
            }
            for n in range(count)
        ],
    )


def _count(session: Session, pk: int) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(NgsiObservation).where(NgsiObservation.entity_pk == pk)
        )
        or 0
    )


def test_retention_deletes_old_rows_where_the_table_is_not_partitioned(session: Session) -> None:
    if history.is_partitioned(session):
        pytest.skip("the test schema is partitioned")
    pk = _entity(session)
    _readings(session, pk, JULY, 50)
    _readings(session, pk, NOW, 7)
    result = history.apply_retention(session, now=NOW, keep_months=3)
    assert result.cutoff == datetime(2026, 8, 1, tzinfo=UTC)
    assert result.dropped_partitions == [] and result.deleted_rows == 50
    assert _count(session, pk) == 7
    assert history.housekeep(session, now=NOW, keep_months=None, ahead_months=3) is None


@pytest.fixture
def partitioned_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A PostgreSQL database built by the migrations (the test schema is create_all's)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("monthly partitions are PostgreSQL's")
    name = f"citybrain_part_{uuid.uuid4().hex[:8]}"
    admin = make_engine(db_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(db_url).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_retention_drops_whole_partitions_in_under_a_second(partitioned_url: str) -> None:
    engine = make_engine(partitioned_url)
    factory = make_sessionmaker(engine)
    with factory() as session, transaction(session):
        assert history.is_partitioned(session)
        created = history.ensure_partitions(
            session, now=NOW, ahead_months=3, since=datetime(2026, 6, 1, tzinfo=UTC)
        )
        assert {"obs_202606", "obs_202607"} <= set(created)
        pk = _entity(session)
        # 300,000 readings in July, generated in the database; a handful this month.
        session.execute(
            text(
                "INSERT INTO brain_observation (entity_pk, name, kind, value_num, body, "
                "observed_at, observed_ms, created_at, source) "
                "SELECT :pk, 'https://example.org/level', 'Property', n, '{}'::json, "
                "to_timestamp((:start + n) / 1000.0), :start + n, now(), 'test' "
                "FROM generate_series(0, 299999) AS n"
            ),
            {"pk": pk, "start": epoch_ms(JULY)},
        )
        _readings(session, pk, NOW, 7)
        _readings(session, pk, datetime(1999, 1, 1, tzinfo=UTC), 2)  # a wrong clock: default
    with factory() as session:
        partitions = [p.name for p in history.list_partitions(session)]
        assert partitions[:2] == ["obs_202606", "obs_202607"]
        assert partitions[-1] == "obs_202702"
    started = time.perf_counter()
    with factory() as session, transaction(session):
        result = history.apply_retention(session, now=NOW, keep_months=3)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"retention took {elapsed:.3f} s"
    assert result.dropped_partitions == ["obs_202606", "obs_202607"]
    assert result.deleted_rows == 2  # the stray 1999 readings, from the default partition
    with factory() as session:
        assert session.scalar(text("SELECT to_regclass('brain_history.obs_202607')")) is None
        assert "obs_202607" not in [p.name for p in history.list_partitions(session)]
        assert _count(session, pk) == 7
    engine.dispose()


def test_a_new_month_takes_its_readings_out_of_the_default_partition(
    partitioned_url: str,
) -> None:
    engine = make_engine(partitioned_url)
    factory = make_sessionmaker(engine)
    later = datetime(2028, 3, 10, tzinfo=UTC)  # beyond the months made ahead
    with factory() as session, transaction(session):
        pk = _entity(session)
        _readings(session, pk, later, 3)
    with factory() as session, transaction(session):
        created = history.ensure_partitions(session, now=later, ahead_months=0)
        assert "obs_202803" in created
    with factory() as session:
        moved = session.scalar(text("SELECT count(*) FROM brain_history.obs_202803"))
        stray = session.scalar(text("SELECT count(*) FROM brain_history.obs_default"))
        assert (moved, stray) == (3, 0)
        assert _count(session, pk) == 3
    engine.dispose()
