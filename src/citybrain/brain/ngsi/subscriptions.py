"""Subscriptions (订阅): who wants to hear of which changes, and the notifications owed.

Matching runs in the transaction of the change; a notification owed is a row in the
durable queue ``brain_notification`` committed with the change itself, so a change is
never stored without its notifications (the delivery worker in ``brain.notify`` sends
them, at least once, with retries).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from shapely.geometry import shape
from sqlalchemy import bindparam, delete, insert, or_, select
from sqlalchemy.orm import Session

from citybrain.brain.models import NgsiNotification, NgsiSubscription
from citybrain.brain.ngsi import context as ld
from citybrain.brain.ngsi import egress
from citybrain.brain.ngsi.access import require_reader, require_writer
from citybrain.brain.ngsi.attributes import (
    check_entity_id,
    check_term,
    format_datetime,
    parse_datetime,
)
from citybrain.brain.ngsi.geoquery import GeoQuery, parse_geoquery
from citybrain.brain.ngsi.problems import NgsiError, ProblemType, bad_data, not_found
from citybrain.brain.ngsi.qlang import Matcher, compile_q
from citybrain.brain.ngsi.render import FORMATS, render_entity
from citybrain.brain.ngsi.store import StoredEntity
from citybrain.core import audit
from citybrain.core.db import utcnow
from citybrain.core.security import Actor

ACCEPTS = ("application/json", "application/ld+json")
MAX_SELECTORS = 100


@dataclass(frozen=True)
class Compiled:
    pk: int
    context: ld.Context
    selectors: tuple[tuple[str | None, str | None, re.Pattern[str] | None], ...]
    watched: frozenset[str] | None
    matcher: Matcher | None
    geoquery: GeoQuery | None
    attributes: frozenset[str] | None
    fmt: str


def _selectors(raw: Any, ctx: ld.Context) -> list[dict[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_SELECTORS:
        raise bad_data(f"entities must be a list of at most {MAX_SELECTORS} selectors")
    selectors = []
    for item in raw:
        if not isinstance(item, dict) or "type" not in item:
            raise bad_data("Each entities selector needs a type")
        selector = {"type": ctx.expand(check_term(item["type"], "Entity type"))}
        if "id" in item:
            selector["id"] = check_entity_id(item["id"])
        if "idPattern" in item:
            pattern = item["idPattern"]
            if not isinstance(pattern, str) or len(pattern) > 256:
                raise bad_data("idPattern must be a regular expression of at most 256 characters")
            try:
                re.compile(pattern)
            except re.error as error:
                raise bad_data(f"idPattern is not a regular expression: {error}") from None
            selector["idPattern"] = pattern
        selectors.append(selector)
    return selectors


def _names(raw: Any, ctx: ld.Context, what: str) -> list[str] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not raw or len(raw) > 1000:
        raise bad_data(f"{what} must be a non-empty list of attribute names")
    return [ctx.expand(check_term(name, "Attribute name")) for name in raw]


def _endpoint(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict) or not isinstance(raw.get("uri"), str):
        raise bad_data("notification.endpoint.uri is required")
    uri = raw["uri"]
    parts = urlsplit(uri)
    if parts.scheme in ("mqtt", "mqtts"):
        raise NgsiError(ProblemType.OperationNotSupported, "MQTT endpoints are not supported")
    if parts.scheme not in ("http", "https") or not parts.hostname or len(uri) > 1024:
        raise bad_data(f"notification.endpoint.uri {uri[:80]!r} is not an http(s) URL")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise bad_data("notification.endpoint.uri has a malformed port") from None
    accept = raw.get("accept", "application/json")
    if accept not in ACCEPTS:
        raise bad_data(f"notification.endpoint.accept must be one of {', '.join(ACCEPTS)}")
    return {"uri": uri, "accept": accept}


def parse_subscription(raw: Any, ctx: ld.Context) -> dict[str, Any]:
    """A subscription body, validated, with names expanded."""
    if not isinstance(raw, dict):
        raise bad_data("A subscription must be a JSON object")
    if raw.get("type", "Subscription") != "Subscription":
        raise bad_data("A subscription's type must be Subscription")
    body: dict[str, Any] = {}
    entities = _selectors(raw.get("entities"), ctx)
    watched = _names(raw.get("watchedAttributes"), ctx, "watchedAttributes")
    if not entities and not watched:
        raise bad_data("A subscription needs entities or watchedAttributes")
    if entities:
        body["entities"] = entities
    if watched:
        body["watchedAttributes"] = watched
    if "q" in raw:
        if not isinstance(raw["q"], str):
            raise bad_data("q must be a string")
        compile_q(raw["q"], ctx)
        body["q"] = raw["q"]
    if "geoQ" in raw:
        geo = raw["geoQ"]
        if not isinstance(geo, dict):
            raise bad_data("geoQ must be an object")
        parse_geoquery(
            ctx,
            georel=geo.get("georel") if isinstance(geo.get("georel"), str) else None,
            geometry=geo.get("geometry") if isinstance(geo.get("geometry"), str) else None,
            coordinates=geo.get("coordinates"),
            geoproperty=geo.get("geoproperty") if isinstance(geo.get("geoproperty"), str) else None,
        )
        body["geoQ"] = {
            key: geo[key]
            for key in ("georel", "geometry", "coordinates", "geoproperty")
            if key in geo
        }
    notification = raw.get("notification")
    if not isinstance(notification, dict):
        raise bad_data("A subscription needs a notification object")
    out: dict[str, Any] = {"endpoint": _endpoint(notification.get("endpoint"))}
    attributes = _names(notification.get("attributes"), ctx, "notification.attributes")
    if attributes:
        out["attributes"] = attributes
    fmt = notification.get("format", "normalized")
    if fmt not in FORMATS:
        raise bad_data(f"notification.format must be one of {', '.join(FORMATS)}")
    out["format"] = fmt
    body["notification"] = out
    for key in ("description", "subscriptionName", "name"):
        if key in raw:
            if not isinstance(raw[key], str) or len(raw[key]) > 500:
                raise bad_data(f"{key} must be text of at most 500 characters")
            body[key] = raw[key]
    if "isActive" in raw and not isinstance(raw["isActive"], bool):
        raise bad_data("isActive must be true or false")
    return body


def _compile(row: NgsiSubscription) -> Compiled:
    return _compile_cached(row.id, row.modified_at.isoformat(), _freeze(row))


def _freeze(row: NgsiSubscription) -> str:
    import json

    return json.dumps([row.body, row.context], sort_keys=True)


@lru_cache(maxsize=1024)
def _compile_cached(pk: int, version: str, frozen: str) -> Compiled:
    import json

    body, sources = json.loads(frozen)
    ctx = ld.resolve(sources or None)
    selectors = tuple(
        (
            item.get("type"),
            item.get("id"),
            re.compile(item["idPattern"]) if "idPattern" in item else None,
        )
        for item in body.get("entities", [])
    )
    watched = body.get("watchedAttributes")
    geo = body.get("geoQ")
    geoquery = (
        parse_geoquery(
            ctx,
            georel=geo.get("georel"),
            geometry=geo.get("geometry"),
            coordinates=geo.get("coordinates"),
            geoproperty=geo.get("geoproperty"),
        )
        if geo
        else None
    )
    attributes = body["notification"].get("attributes")
    return Compiled(
        pk=pk,
        context=ctx,
        selectors=selectors,
        watched=frozenset(watched) if watched else None,
        matcher=compile_q(body["q"], ctx) if "q" in body else None,
        geoquery=geoquery,
        attributes=frozenset(attributes) if attributes else None,
        fmt=body["notification"].get("format", "normalized"),
    )


def _selected(sub: Compiled, entity: StoredEntity) -> bool:
    if not sub.selectors:
        return True
    for type_iri, entity_id, pattern in sub.selectors:
        if type_iri is not None and type_iri != entity.type_iri:
            continue
        if entity_id is not None and entity_id != entity.entity_id:
            continue
        if pattern is not None and pattern.fullmatch(entity.entity_id) is None:
            continue
        return True
    return False


def entity_matches_geo(geoquery: GeoQuery, entity: StoredEntity) -> bool:
    attr = entity.attrs.get(geoquery.geoproperty)
    if attr is None or attr.kind != "GeoProperty":
        return False
    return geoquery.matches(shape(attr.body["value"]))


def matches(sub: Compiled, entity: StoredEntity, changed: set[str]) -> bool:
    if not _selected(sub, entity):
        return False
    if sub.watched is not None and not (sub.watched & changed):
        return False
    if sub.matcher is not None and not sub.matcher(entity.bodies()):
        return False
    return sub.geoquery is None or entity_matches_geo(sub.geoquery, entity)


_SUBSCRIPTION = NgsiSubscription.__table__
_ANY_ACTIVE = (
    select(_SUBSCRIPTION.c.id)
    .where(
        _SUBSCRIPTION.c.is_active.is_(True),
        or_(_SUBSCRIPTION.c.expires_at.is_(None), _SUBSCRIPTION.c.expires_at > bindparam("now")),
    )
    .limit(1)
)


def any_active(session: Session, now: datetime) -> bool:
    """Whether any subscription could be notified (a cheap check on the hot path)."""
    return session.execute(_ANY_ACTIVE, {"now": now}).first() is not None


def active(session: Session, now: datetime) -> list[NgsiSubscription]:
    return list(
        session.scalars(
            select(NgsiSubscription).where(
                NgsiSubscription.is_active.is_(True),
                or_(NgsiSubscription.expires_at.is_(None), NgsiSubscription.expires_at > now),
            )
        )
    )


def notify_changes(
    session: Session, changes: Sequence[tuple[StoredEntity, set[str]]], *, now: datetime
) -> int:
    """Queue one notification per matching subscription for these changes; their count."""
    if not changes:
        return 0
    rows = []
    for subscription in active(session, now):
        sub = _compile(subscription)
        data = [
            render_entity(entity, sub.context, fmt=sub.fmt, attrs=sub.attributes)
            for entity, changed in changes
            if matches(sub, entity, changed)
        ]
        if not data:
            continue
        payload = {
            "id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}",
            "type": "Notification",
            "subscriptionId": subscription.subscription_id,
            "notifiedAt": format_datetime(now),
            "data": data,
        }
        rows.append(
            {
                "subscription_pk": subscription.id,
                "payload": payload,
                "next_attempt_at": now,
                "created_at": now,
                "status": "pending",
                "attempts": 0,
                "last_error": "",
            }
        )
    if rows:
        session.execute(insert(NgsiNotification), rows)
        session.info["brain_notifications_queued"] = True
    return len(rows)


def create_subscription(
    session: Session, *, raw: Any, ctx: ld.Context, actor: Actor
) -> NgsiSubscription:
    """Register a subscription; its id comes from the body or is generated."""
    require_writer(actor)
    body = parse_subscription(raw, ctx)
    egress.check(body["notification"]["endpoint"]["uri"], egress.allowed_hosts(session))
    subscription_id = raw.get("id") or f"urn:ngsi-ld:Subscription:{uuid.uuid4()}"
    check_entity_id(subscription_id)
    exists = session.scalar(
        select(NgsiSubscription.id).where(NgsiSubscription.subscription_id == subscription_id)
    )
    if exists is not None:
        raise NgsiError(ProblemType.AlreadyExists, f"Subscription {subscription_id} already exists")
    expires_at = parse_datetime(raw["expiresAt"], "expiresAt") if "expiresAt" in raw else None
    now = utcnow()
    row = NgsiSubscription(
        subscription_id=subscription_id,
        body=body,
        context=list(ctx.sources),
        endpoint_uri=body["notification"]["endpoint"]["uri"],
        is_active=raw.get("isActive", True),
        expires_at=expires_at,
        owner=f"{actor.kind.value}:{actor.id}",
        created_at=now,
        modified_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "brain.subscription_created",
        entity_type="ngsi_subscription",
        entity_id=row.id,
        detail={"subscription_id": subscription_id},
    )
    return row


def get_subscription_or_raise(
    session: Session, subscription_id: str, *, actor: Actor
) -> NgsiSubscription:
    require_reader(actor)
    row = session.scalar(
        select(NgsiSubscription).where(NgsiSubscription.subscription_id == subscription_id)
    )
    if row is None:
        raise not_found(f"Subscription {subscription_id[:200]} not found")
    return row


def list_subscriptions(
    session: Session, *, actor: Actor, limit: int, offset: int
) -> tuple[list[NgsiSubscription], int]:
    from sqlalchemy import func

    require_reader(actor)
    total = session.scalar(select(func.count()).select_from(NgsiSubscription)) or 0
    rows = session.scalars(
        select(NgsiSubscription).order_by(NgsiSubscription.id).limit(limit).offset(offset)
    )
    return list(rows), total


def update_subscription(
    session: Session, *, subscription_id: str, raw: Any, ctx: ld.Context, actor: Actor
) -> NgsiSubscription:
    """PATCH: the given members replace the stored ones."""
    require_writer(actor)
    row = get_subscription_or_raise(session, subscription_id, actor=actor)
    if not isinstance(raw, dict) or not raw:
        raise bad_data("A subscription update must be a non-empty JSON object")
    if "id" in raw and raw["id"] != subscription_id:
        raise bad_data("The id of a subscription cannot change")
    # The stored members compacted under the request's context, overlaid by the update.
    current = render_subscription(row, ctx, with_status=False)
    merged = {**current, **{k: v for k, v in raw.items() if k != "@context"}}
    body = parse_subscription(merged, ctx)
    egress.check(body["notification"]["endpoint"]["uri"], egress.allowed_hosts(session))
    row.body = body
    row.context = list(ctx.sources)
    row.endpoint_uri = body["notification"]["endpoint"]["uri"]
    if "isActive" in raw:
        row.is_active = bool(raw["isActive"])
    if "expiresAt" in raw:
        row.expires_at = (
            None if raw["expiresAt"] is None else parse_datetime(raw["expiresAt"], "expiresAt")
        )
    row.modified_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "brain.subscription_updated",
        entity_type="ngsi_subscription",
        entity_id=row.id,
        detail={"members": sorted(k for k in raw if k != "@context")},
    )
    return row


def delete_subscription(session: Session, *, subscription_id: str, actor: Actor) -> None:
    require_writer(actor)
    row = get_subscription_or_raise(session, subscription_id, actor=actor)
    session.execute(delete(NgsiNotification).where(NgsiNotification.subscription_pk == row.id))
    audit.record(
        session,
        actor,
        "brain.subscription_deleted",
        entity_type="ngsi_subscription",
        entity_id=row.id,
        detail={"subscription_id": subscription_id},
    )
    session.delete(row)
    session.flush()


def status_of(row: NgsiSubscription, now: datetime | None = None) -> str:
    now = now or utcnow()
    if row.expires_at is not None and row.expires_at <= now:
        return "expired"
    if not row.is_active:
        return "paused"
    if row.last_failure_at and (
        row.last_success_at is None or row.last_failure_at > row.last_success_at
    ):
        return "failed"
    return "active"


def render_subscription(
    row: NgsiSubscription, ctx: ld.Context, *, with_status: bool = True
) -> dict[str, Any]:
    body = row.body
    out: dict[str, Any] = {"id": row.subscription_id, "type": "Subscription"}
    for key in ("description", "subscriptionName", "name"):
        if key in body:
            out[key] = body[key]
    if "entities" in body:
        out["entities"] = [{**item, "type": ctx.compact(item["type"])} for item in body["entities"]]
    if "watchedAttributes" in body:
        out["watchedAttributes"] = [ctx.compact(name) for name in body["watchedAttributes"]]
    if "q" in body:
        out["q"] = body["q"]
    if "geoQ" in body:
        out["geoQ"] = body["geoQ"]
    notification: dict[str, Any] = {
        "format": body["notification"]["format"],
        "endpoint": body["notification"]["endpoint"],
    }
    if "attributes" in body["notification"]:
        notification["attributes"] = [ctx.compact(n) for n in body["notification"]["attributes"]]
    if row.expires_at is not None:
        out["expiresAt"] = format_datetime(row.expires_at)
    out["isActive"] = row.is_active
    if with_status:
        notification["status"] = "failed" if status_of(row) == "failed" else "ok"
        notification["timesSent"] = row.times_sent
        notification["timesFailed"] = row.times_failed
        for key, value in (
            ("lastNotification", row.last_notification_at),
            ("lastSuccess", row.last_success_at),
            ("lastFailure", row.last_failure_at),
        ):
            if value is not None:
                notification[key] = format_datetime(value)
        out["status"] = status_of(row)
    out["notification"] = notification
    return out
