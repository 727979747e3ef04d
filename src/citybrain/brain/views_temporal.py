"""NGSI-LD temporal and subscription routes (mounted under ``/ngsi-ld/v1`` by ``views``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response

from citybrain.brain.ngsi import entities, subscriptions, temporal
from citybrain.brain.ngsi.attributes import check_term
from citybrain.brain.ngsi.geoquery import parse_geoquery
from citybrain.brain.ngsi.http import (
    NgsiRoute,
    body_context,
    json_response,
    negotiate,
    no_content,
    query_context,
    split_list,
)
from citybrain.brain.ngsi.qlang import compile_q
from citybrain.core.db import DbSession, transaction
from citybrain.identity.dependencies import CurrentActor
from citybrain.runtime import ReadSession

router = APIRouter(route_class=NgsiRoute, tags=["ngsi-ld"])

EntityId = Annotated[str, Path(min_length=1, max_length=256, description="Entity URI.")]
SubscriptionId = Annotated[str, Path(min_length=1, max_length=256, description="Subscription URI.")]
NgsiBody = Annotated[
    Any, Body(description="NGSI-LD JSON (application/json or application/ld+json).")
]
Text = Annotated[str | None, Query(max_length=100)]


def _spec(
    timerel: str | None,
    time_at: str | None,
    end_time_at: str | None,
    last_n: int | None,
    aggr_methods: str | None,
    aggr_period: str | None,
    options: str | None,
) -> temporal.TemporalQuery:
    return temporal.parse_temporal(
        timerel=timerel,
        time_at=time_at,
        end_time_at=end_time_at,
        last_n=last_n,
        aggr_methods=aggr_methods,
        aggr_period=aggr_period,
        options=options,
    )


@router.get("/temporal/entities", summary="Query the history of entities")
def query_temporal(
    request: Request,
    session: ReadSession,
    actor: CurrentActor,
    id: Annotated[str | None, Query(max_length=20_000)] = None,
    idPattern: Annotated[str | None, Query(max_length=256)] = None,  # noqa: N803
    type: Annotated[str | None, Query(max_length=2000)] = None,
    attrs: Annotated[str | None, Query(max_length=4000)] = None,
    q: Annotated[str | None, Query(max_length=2000)] = None,
    georel: Text = None,
    geometry: Annotated[str | None, Query(max_length=20)] = None,
    coordinates: Annotated[str | None, Query(max_length=100_000)] = None,
    geoproperty: Annotated[str | None, Query(max_length=256)] = None,
    timerel: Annotated[str | None, Query(max_length=10)] = None,
    timeAt: Annotated[str | None, Query(max_length=40)] = None,  # noqa: N803
    endTimeAt: Annotated[str | None, Query(max_length=40)] = None,  # noqa: N803
    lastN: Annotated[int | None, Query(ge=1, le=temporal.MAX_LAST_N)] = None,  # noqa: N803
    aggrMethods: Text = None,  # noqa: N803
    aggrPeriodDuration: Annotated[str | None, Query(max_length=40)] = None,  # noqa: N803
    options: Text = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    negotiate(request)
    ctx = query_context(request)
    spec = _spec(timerel, timeAt, endTimeAt, lastN, aggrMethods, aggrPeriodDuration, options)
    geoquery = None
    if georel or geometry or coordinates:
        geoquery = parse_geoquery(
            ctx, georel=georel, geometry=geometry, coordinates=coordinates, geoproperty=geoproperty
        )
    wanted = [ctx.expand(check_term(a, "Attribute name")) for a in split_list(attrs, 1000) or []]
    page, _ = entities.query_entities(
        session,
        actor=actor,
        types=[ctx.expand(check_term(t, "Entity type")) for t in split_list(type) or []],
        ids=split_list(id, 1000),
        id_pattern=idPattern,
        q=compile_q(q, ctx) if q is not None else None,
        geoquery=geoquery,
        attrs=wanted or None,
        limit=limit,
        offset=offset,
    )
    data = temporal.temporal_entities(session, page, ctx=ctx, spec=spec, attrs=wanted or None)
    return json_response(request, data, ctx)


@router.get("/temporal/entities/{entity_id}", summary="The history of one entity")
def retrieve_temporal(
    request: Request,
    entity_id: EntityId,
    session: ReadSession,
    actor: CurrentActor,
    attrs: Annotated[str | None, Query(max_length=4000)] = None,
    timerel: Annotated[str | None, Query(max_length=10)] = None,
    timeAt: Annotated[str | None, Query(max_length=40)] = None,  # noqa: N803
    endTimeAt: Annotated[str | None, Query(max_length=40)] = None,  # noqa: N803
    lastN: Annotated[int | None, Query(ge=1, le=temporal.MAX_LAST_N)] = None,  # noqa: N803
    aggrMethods: Text = None,  # noqa: N803
    aggrPeriodDuration: Annotated[str | None, Query(max_length=40)] = None,  # noqa: N803
    options: Text = None,
) -> Response:
    negotiate(request)
    ctx = query_context(request)
    spec = _spec(timerel, timeAt, endTimeAt, lastN, aggrMethods, aggrPeriodDuration, options)
    wanted = [ctx.expand(check_term(a, "Attribute name")) for a in split_list(attrs, 1000) or []]
    entity = entities.get_entity_or_raise(session, entity_id=entity_id, actor=actor)
    (data,) = temporal.temporal_entities(
        session, [entity], ctx=ctx, spec=spec, attrs=wanted or None
    )
    return json_response(request, data, ctx)


@router.post("/subscriptions", status_code=201, summary="Create a subscription")
def create_subscription(
    request: Request, body: NgsiBody, session: DbSession, actor: CurrentActor
) -> Response:
    ctx = body_context(request, body)
    with transaction(session):
        row = subscriptions.create_subscription(session, raw=body, ctx=ctx, actor=actor)
    return Response(
        status_code=201, headers={"Location": f"/ngsi-ld/v1/subscriptions/{row.subscription_id}"}
    )


@router.get("/subscriptions", summary="List subscriptions")
def list_subscriptions(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    count: bool = False,
) -> Response:
    negotiate(request)
    ctx = query_context(request)
    rows, total = subscriptions.list_subscriptions(session, actor=actor, limit=limit, offset=offset)
    data = [subscriptions.render_subscription(row, ctx) for row in rows]
    headers = {"NGSILD-Results-Count": str(total)} if count else None
    return json_response(request, data, ctx, headers=headers)


@router.get("/subscriptions/{subscription_id}", summary="Retrieve a subscription")
def retrieve_subscription(
    request: Request, subscription_id: SubscriptionId, session: DbSession, actor: CurrentActor
) -> Response:
    negotiate(request)
    ctx = query_context(request)
    row = subscriptions.get_subscription_or_raise(session, subscription_id, actor=actor)
    return json_response(request, subscriptions.render_subscription(row, ctx), ctx)


@router.patch("/subscriptions/{subscription_id}", status_code=204, summary="Update a subscription")
def update_subscription(
    request: Request,
    subscription_id: SubscriptionId,
    body: NgsiBody,
    session: DbSession,
    actor: CurrentActor,
) -> Response:
    ctx = body_context(request, body)
    with transaction(session):
        subscriptions.update_subscription(
            session, subscription_id=subscription_id, raw=body, ctx=ctx, actor=actor
        )
    return no_content()


@router.delete("/subscriptions/{subscription_id}", status_code=204, summary="Delete a subscription")
def delete_subscription(
    subscription_id: SubscriptionId, session: DbSession, actor: CurrentActor
) -> Response:
    with transaction(session):
        subscriptions.delete_subscription(session, subscription_id=subscription_id, actor=actor)
    return no_content()
