"""Housekeeping of the history (时序数据): monthly partitions and retention.

On PostgreSQL ``brain_observation`` is partitioned by month on ``observed_ms``
(migration ``brain_partitions``). The partitions live in schema ``brain_history`` as
``obs_YYYYMM``, beside a default partition ``obs_default`` that takes readings outside
every month (a sensor with a wrong clock). ``ensure_partitions`` creates the coming
months ahead of time; ``apply_retention`` detaches and drops whole months, a catalogue
change that takes milliseconds however many rows the month holds. On SQLite, and on a
PostgreSQL table that is not partitioned, retention deletes the old rows instead.

The server's worker runs ``housekeep`` once an hour; ``citybrain brain retention`` runs
it by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from citybrain.brain.models import NgsiObservation
from citybrain.brain.ngsi.store import epoch_ms
from citybrain.core.db import is_postgresql

log = structlog.get_logger("citybrain.brain.history")

SCHEMA = "brain_history"
PARENT = "public.brain_observation"
DEFAULT_PARTITION = "obs_default"
_BOUND = re.compile(r"FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)")


@dataclass(frozen=True)
class Partition:
    """One monthly partition: ``start_ms <= observed_ms < end_ms``."""

    name: str
    start_ms: int
    end_ms: int


@dataclass
class RetentionResult:
    cutoff: datetime
    dropped_partitions: list[str] = field(default_factory=list)
    deleted_rows: int = 0


def month_start(moment: datetime) -> datetime:
    """The first instant of ``moment``'s month (UTC)."""
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def add_months(month: datetime, months: int) -> datetime:
    """The first instant of the month ``months`` after ``month`` (may be negative)."""
    index = month.year * 12 + month.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def partition_name(month: datetime) -> str:
    return f"obs_{month:%Y%m}"


def retention_cutoff(now: datetime, keep_months: int) -> datetime:
    """Keep the current month and the ``keep_months`` before it; older is removed."""
    if keep_months < 1:
        raise ValueError("keep_months must be at least 1")
    return add_months(month_start(now), -keep_months)


def is_partitioned(session: Session) -> bool:
    """True when ``brain_observation`` is a partitioned table (PostgreSQL after the migration)."""
    if not is_postgresql(session):
        return False
    kind = session.execute(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:table)"), {"table": PARENT}
    ).scalar()
    return kind == "p"


def list_partitions(session: Session) -> list[Partition]:
    """The monthly partitions in time order (the default partition is not listed)."""
    rows = session.execute(
        text(
            "SELECT child.relname, pg_get_expr(child.relpartbound, child.oid) "
            "FROM pg_inherits JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
            "WHERE pg_inherits.inhparent = to_regclass(:table)"
        ),
        {"table": PARENT},
    ).all()
    out = []
    for name, bound in rows:
        match = _BOUND.search(bound or "")
        if match:
            out.append(Partition(name, int(match.group(1)), int(match.group(2))))
    return sorted(out, key=lambda partition: partition.start_ms)


def create_partition(session: Session, month: datetime) -> str:
    """Create the partition of ``month``, moving its rows out of the default partition."""
    name = partition_name(month)
    bounds = {"lo": epoch_ms(month), "hi": epoch_ms(add_months(month, 1))}
    strays = session.execute(
        text(
            f"SELECT 1 FROM {SCHEMA}.{DEFAULT_PARTITION} "
            "WHERE observed_ms >= :lo AND observed_ms < :hi LIMIT 1"
        ),
        bounds,
    ).first()
    if strays:
        session.execute(text(f"CREATE TEMP TABLE brain_moving (LIKE {PARENT})"))
        session.execute(
            text(
                f"WITH gone AS (DELETE FROM {SCHEMA}.{DEFAULT_PARTITION} "
                "WHERE observed_ms >= :lo AND observed_ms < :hi RETURNING *) "
                "INSERT INTO brain_moving SELECT * FROM gone"
            ),
            bounds,
        )
    # Bounds are integers we computed, not input: safe to inline (DDL takes no parameters).
    session.execute(
        text(
            f"CREATE TABLE {SCHEMA}.{name} PARTITION OF {PARENT} "
            f"FOR VALUES FROM ({bounds['lo']}) TO ({bounds['hi']})"
        )
    )
    if strays:
        session.execute(text(f"INSERT INTO {PARENT} SELECT * FROM brain_moving"))
        session.execute(text("DROP TABLE brain_moving"))
    return name


def ensure_partitions(
    session: Session, *, now: datetime, ahead_months: int = 3, since: datetime | None = None
) -> list[str]:
    """Create the partitions of this month (or from ``since``'s month) to ``ahead_months``
    after it; the names created."""
    if not is_partitioned(session):
        return []
    existing = {partition.name for partition in list_partitions(session)}
    month = month_start(min(since, now) if since is not None else now)
    last = add_months(month_start(now), ahead_months)
    created = []
    while month <= last:
        if partition_name(month) not in existing:
            created.append(create_partition(session, month))
        month = add_months(month, 1)
    return created


def apply_retention(session: Session, *, now: datetime, keep_months: int) -> RetentionResult:
    """Remove the history before ``retention_cutoff``: whole partitions where partitioned."""
    cutoff = retention_cutoff(now, keep_months)
    cutoff_ms = epoch_ms(cutoff)
    result = RetentionResult(cutoff=cutoff)
    if is_partitioned(session):
        for partition in list_partitions(session):
            if partition.end_ms <= cutoff_ms:
                session.execute(
                    text(f"ALTER TABLE {PARENT} DETACH PARTITION {SCHEMA}.{partition.name}")
                )
                session.execute(text(f"DROP TABLE {SCHEMA}.{partition.name}"))
                result.dropped_partitions.append(partition.name)
        table = f"{SCHEMA}.{DEFAULT_PARTITION}"
        deleted = session.execute(
            text(f"DELETE FROM {table} WHERE observed_ms < :cutoff"), {"cutoff": cutoff_ms}
        )
    else:
        deleted = session.execute(
            delete(NgsiObservation).where(NgsiObservation.observed_ms < cutoff_ms)
        )
    result.deleted_rows = int(getattr(deleted, "rowcount", 0) or 0)
    return result


def housekeep(
    session: Session, *, now: datetime, keep_months: int | None, ahead_months: int
) -> RetentionResult | None:
    """The worker's hourly round: partitions ahead, then retention when one is set."""
    created = ensure_partitions(session, now=now, ahead_months=ahead_months)
    if created:
        log.info("history partitions created", partitions=created)
    if not keep_months:
        return None
    result = apply_retention(session, now=now, keep_months=keep_months)
    if result.dropped_partitions or result.deleted_rows:
        log.info(
            "history retention applied",
            cutoff=result.cutoff.isoformat(),
            partitions=result.dropped_partitions,
            rows=result.deleted_rows,
        )
    return result
