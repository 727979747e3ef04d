"""Tables of the brain's NGSI-LD data hub, all named ``brain_*``.

An entity (实体) is one row; each of its attributes is one row in
``brain_attribute`` (its current value); every value ever written is one row in
``brain_observation`` (the temporal history). Names are stored expanded (full IRIs),
so clients with different ``@context`` see the same data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.core.db import Base, utcnow

IRI_LENGTH = 512


class NgsiEntity(Base):
    """One NGSI-LD entity: its URN id, its (expanded) type and the bounds of its location."""

    __tablename__ = "brain_entity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(IRI_LENGTH), unique=True)
    entity_type: Mapped[str] = mapped_column(String(IRI_LENGTH), index=True)
    # Bounds of the ``location`` GeoProperty (WGS-84), for a cheap geo pre-filter.
    min_lon: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)


class NgsiAttribute(Base):
    """The current instance of one attribute of an entity (Property, Relationship ...)."""

    __tablename__ = "brain_attribute"
    __table_args__ = (UniqueConstraint("entity_pk", "name", name="uq_brain_attribute_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_pk: Mapped[int] = mapped_column(ForeignKey("brain_entity.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(IRI_LENGTH))
    kind: Mapped[str] = mapped_column(String(24))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    observed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)


class NgsiObservation(Base):
    """One attribute instance in the temporal history (时序观测).

    ``observed_ms`` is ``observed_at`` in milliseconds since the epoch, so the
    temporal aggregation can bucket by period with integer arithmetic on any database.
    The series index carries ``value_num`` so an aggregation reads the index alone.
    On PostgreSQL the table is partitioned by month on ``observed_ms`` (migration
    ``brain_partitions``; partitions in schema ``brain_history``, see ``brain/history.py``).
    """

    __tablename__ = "brain_observation"
    __table_args__ = (
        Index("ix_brain_observation_series", "entity_pk", "name", "observed_ms", "value_num"),
    )

    # BIGINT on PostgreSQL (a city writes billions); SQLite's rowid needs INTEGER.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    entity_pk: Mapped[int] = mapped_column(ForeignKey("brain_entity.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(IRI_LENGTH))
    kind: Mapped[str] = mapped_column(String(24))
    value_num: Mapped[float | None] = mapped_column(Float)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    observed_at: Mapped[datetime] = mapped_column()
    observed_ms: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who wrote the value: "<actor kind>:<actor id>" (no personal data).
    source: Mapped[str] = mapped_column(String(80), default="")


class NgsiSubscription(Base):
    """A client's standing request to be told of changes (订阅)."""

    __tablename__ = "brain_subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[str] = mapped_column(String(IRI_LENGTH), unique=True)
    # The subscription as given, with names expanded; rendered back with ``context``.
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    context: Mapped[list[Any]] = mapped_column(JSON, default=list)
    endpoint_uri: Mapped[str] = mapped_column(String(1024))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    expires_at: Mapped[datetime | None] = mapped_column()
    owner: Mapped[str] = mapped_column(String(80), default="")
    times_sent: Mapped[int] = mapped_column(Integer, default=0)
    times_failed: Mapped[int] = mapped_column(Integer, default=0)
    last_notification_at: Mapped[datetime | None] = mapped_column()
    last_success_at: Mapped[datetime | None] = mapped_column()
    last_failure_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)


class NgsiNotification(Base):
    """A notification waiting to be delivered, delivered, or given up on (durable queue).

    Nothing is dropped: a notification the endpoint keeps refusing ends as ``failed``
    with its last error, and can be re-queued by an operator.
    """

    __tablename__ = "brain_notification"
    __table_args__ = (Index("ix_brain_notification_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_pk: Mapped[int] = mapped_column(
        ForeignKey("brain_subscription.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()
