"""brain partitions: covering series index; monthly partitions of the history on PostgreSQL

On every database the series index of ``brain_observation`` gains ``value_num`` (an
aggregation then reads the index alone). On PostgreSQL the table is recreated as
``PARTITION BY RANGE (observed_ms)`` with a primary key of ``(id, observed_ms)`` (the
partition key must be part of it) and ``id`` widened to BIGINT; partitions live in
schema ``brain_history``: one per month from the oldest reading to three months ahead,
and a default one. Later months are created by the worker (``brain.history``).

Revision ID: 7c3e9b2d4f10
Revises: 0f417fda3ba6
Create Date: 2026-11-27 14:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import citybrain.core.db

revision: str = "7c3e9b2d4f10"
down_revision: str | None = "0f417fda3ba6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "brain_history"
BACK_MONTHS = 36  # monthly partitions made for old readings, at most
AHEAD_MONTHS = 3


def _columns(id_type: sa.types.TypeEngine[int]) -> list[sa.Column[Any]]:
    return [
        sa.Column("id", id_type, nullable=False),
        sa.Column("entity_pk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("value_num", sa.Float(), nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("observed_at", citybrain.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("observed_ms", sa.BigInteger(), nullable=False),
        sa.Column("created_at", citybrain.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
    ]


COLUMNS = "id, entity_pk, name, kind, value_num, body, observed_at, observed_ms, created_at, source"


def _month_ms(index: int) -> int:
    """Milliseconds at the start of month ``index`` (year * 12 + month - 1), UTC."""
    return int(datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC).timestamp() * 1000)


def _rename_old(suffix_from: str, suffix_to: str, index: str) -> None:
    op.execute(f"ALTER TABLE brain_observation{suffix_from} RENAME TO brain_observation{suffix_to}")
    table = f"brain_observation{suffix_to}"
    op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT pk_brain_observation TO pk_{table.lower()}_")
    op.execute(
        f"ALTER TABLE {table} RENAME CONSTRAINT fk_brain_observation_entity_pk_brain_entity "
        f"TO fk_{table.lower()}_"
    )
    op.execute(f"ALTER INDEX {index} RENAME TO ix_{table.lower()}_")
    op.execute("ALTER SEQUENCE brain_observation_id_seq OWNED BY NONE")


def _create(partitioned: bool) -> None:
    op.create_table(
        "brain_observation",
        *_columns(sa.BigInteger()),
        sa.ForeignKeyConstraint(
            ["entity_pk"],
            ["brain_entity.id"],
            name="fk_brain_observation_entity_pk_brain_entity",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            *(["id", "observed_ms"] if partitioned else ["id"]), name="pk_brain_observation"
        ),
        postgresql_partition_by="RANGE (observed_ms)" if partitioned else None,
    )
    op.execute(
        "ALTER TABLE brain_observation ALTER COLUMN id "
        "SET DEFAULT nextval('brain_observation_id_seq')"
    )
    op.execute("ALTER SEQUENCE brain_observation_id_seq OWNED BY brain_observation.id")


def upgrade() -> None:
    with op.batch_alter_table("brain_observation", schema=None) as batch_op:
        batch_op.drop_index("ix_brain_observation_entity_name_time")
        batch_op.create_index(
            "ix_brain_observation_series", ["entity_pk", "name", "observed_ms", "value_num"]
        )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    _rename_old("", "_unpartitioned", "ix_brain_observation_series")
    op.execute("ALTER SEQUENCE brain_observation_id_seq AS bigint")
    _create(partitioned=True)
    op.create_index(
        "ix_brain_observation_series",
        "brain_observation",
        ["entity_pk", "name", "observed_ms", "value_num"],
    )
    oldest = op.get_bind().execute(
        sa.text("SELECT min(observed_ms) FROM brain_observation_unpartitioned")
    )
    oldest_ms = oldest.scalar()
    now = datetime.now(UTC)
    last = now.year * 12 + now.month - 1 + AHEAD_MONTHS
    first = now.year * 12 + now.month - 1
    if oldest_ms is not None and oldest_ms > _month_ms(first - BACK_MONTHS):
        moment = datetime.fromtimestamp(oldest_ms / 1000, UTC)
        first = min(first, moment.year * 12 + moment.month - 1)
    elif oldest_ms is not None:
        # Readings older than BACK_MONTHS (or with a broken clock, year 1900) go to the
        # default partition: one partition per month back to them could be thousands.
        first -= BACK_MONTHS
    for index in range(first, last + 1):
        name = f"obs_{index // 12:04d}{index % 12 + 1:02d}"
        op.execute(
            f"CREATE TABLE {SCHEMA}.{name} PARTITION OF brain_observation "
            f"FOR VALUES FROM ({_month_ms(index)}) TO ({_month_ms(index + 1)})"
        )
    op.execute(f"CREATE TABLE {SCHEMA}.obs_default PARTITION OF brain_observation DEFAULT")
    op.execute(
        f"INSERT INTO brain_observation ({COLUMNS}) "
        f"SELECT {COLUMNS} FROM brain_observation_unpartitioned"
    )
    op.execute("DROP TABLE brain_observation_unpartitioned")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rename_old("", "_partitioned", "ix_brain_observation_series")
        _create(partitioned=False)
        op.execute(
            f"INSERT INTO brain_observation ({COLUMNS}) "
            f"SELECT {COLUMNS} FROM brain_observation_partitioned"
        )
        op.execute("DROP TABLE brain_observation_partitioned")
        op.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
        op.execute("ALTER TABLE brain_observation ALTER COLUMN id TYPE integer")
        op.execute("ALTER SEQUENCE brain_observation_id_seq AS integer")
        op.create_index(
            "ix_brain_observation_series",
            "brain_observation",
            ["entity_pk", "name", "observed_ms", "value_num"],
        )
    with op.batch_alter_table("brain_observation", schema=None) as batch_op:
        batch_op.drop_index("ix_brain_observation_series")
        batch_op.create_index(
            "ix_brain_observation_entity_name_time", ["entity_pk", "name", "observed_ms"]
        )
