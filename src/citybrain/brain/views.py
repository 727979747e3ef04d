"""The NGSI-LD API under ``/ngsi-ld/v1``: entities, attributes, batches and types.

Temporal and subscription routes are in ``views_temporal``; both answer refusals as
NGSI-LD problem details (``ngsi.http.NgsiRoute``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Path, Query, Request, Response
from sqlalchemy.orm import Session

from citybrain.brain import notify
from citybrain.brain.ngsi import batch, entities
from citybrain.brain.ngsi.attributes import check_term
from citybrain.brain.ngsi.context import Context
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
from citybrain.brain.ngsi.problems import bad_data
from citybrain.brain.ngsi.qlang import compile_q
from citybrain.brain.ngsi.render import output_format, render_entity
from citybrain.core.db import DbSession, transaction
from citybrain.identity.dependencies import CurrentActor
from citybrain.runtime import ReadSession

ngsi_router = APIRouter(prefix="/ngsi-ld/v1", route_class=NgsiRoute, tags=["ngsi-ld"])

EntityId = Annotated[str, Path(min_length=1, max_length=256, description="Entity URI.")]
AttrId = Annotated[str, Path(min_length=1, max_length=256, description="Attribute name.")]
NgsiBody = Annotated[
    Any, Body(description="NGSI-LD JSON (application/json or application/ld+json).")
]
Options = Annotated[
    str | None,
    Query(max_length=200, description="normalized, concise, keyValues, sysAttrs, noOverwrite ..."),
]
Format = Annotated[
    str | None, Query(max_length=20, description="normalized, concise or keyValues.")
]
Attrs = Annotated[
    str | None, Query(max_length=4000, description="Attribute names, comma-separated.")
]


def _committed(session: Session) -> None:
    """After a commit: wake the notification worker if this request queued any."""
    if session.info.pop("brain_notifications_queued", False):
        notify.wake()


def _expand_all(names: list[str] | None, ctx: Context) -> list[str] | None:
    if names is None:
        return None
    return [ctx.expand(check_term(name, "Attribute name")) for name in names]


def _entity_location(entity_id: str) -> dict[str, str]:
    return {"Location": f"/ngsi-ld/v1/entities/{quote(entity_id, safe=':')}"}


@ngsi_router.post("/entities", status_code=201, summary="Create an entity")
def create_entity(
    request: Request, body: NgsiBody, session: DbSession, actor: CurrentActor
) -> Response:
    ctx = body_context(request, body)
    with transaction(session):
        entity = entities.create_entity(session, raw=body, ctx=ctx, actor=actor)
    _committed(session)
    return Response(status_code=201, headers=_entity_location(entity.entity_id))


@ngsi_router.get("/entities", summary="Query entities")
def query_entities(
    request: Request,
    session: ReadSession,
    actor: CurrentActor,
    id: Annotated[
        str | None, Query(max_length=20_000, description="Entity ids, comma-separated.")
    ] = None,
    idPattern: Annotated[str | None, Query(max_length=256)] = None,  # noqa: N803
    type: Annotated[
        str | None, Query(max_length=2000, description="Entity types, comma-separated.")
    ] = None,
    attrs: Attrs = None,
    q: Annotated[str | None, Query(max_length=2000, description="NGSI-LD query language.")] = None,
    georel: Annotated[str | None, Query(max_length=100)] = None,
    geometry: Annotated[str | None, Query(max_length=20)] = None,
    coordinates: Annotated[str | None, Query(max_length=100_000)] = None,
    geoproperty: Annotated[str | None, Query(max_length=256)] = None,
    options: Options = None,
    format: Format = None,
    limit: Annotated[int, Query(ge=0, le=entities.MAX_RESULTS)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    count: bool = False,
) -> Response:
    negotiate(request)
    ctx = query_context(request)
    fmt, sys_attrs = output_format(options, format)
    types = [ctx.expand(check_term(t, "Entity type")) for t in split_list(type) or []]
    geoquery = None
    if georel or geometry or coordinates:
        geoquery = parse_geoquery(
            ctx, georel=georel, geometry=geometry, coordinates=coordinates, geoproperty=geoproperty
        )
    wanted = _expand_all(split_list(attrs, 1000), ctx)
    if limit == 0 and not count:
        raise bad_data("limit=0 is only allowed with count=true")
    page, total = entities.query_entities(
        session,
        actor=actor,
        types=types,
        ids=split_list(id, 1000),
        id_pattern=idPattern,
        q=compile_q(q, ctx) if q is not None else None,
        geoquery=geoquery,
        attrs=wanted,
        limit=limit,
        offset=offset,
    )
    data = [render_entity(e, ctx, fmt=fmt, attrs=wanted, sys_attrs=sys_attrs) for e in page]
    headers = {"NGSILD-Results-Count": str(total)} if count else None
    return json_response(request, data, ctx, headers=headers)


@ngsi_router.get("/entities/{entity_id}", summary="Retrieve an entity")
def retrieve_entity(
    request: Request,
    entity_id: EntityId,
    session: ReadSession,
    actor: CurrentActor,
    attrs: Attrs = None,
    options: Options = None,
    format: Format = None,
) -> Response:
    negotiate(request)
    ctx = query_context(request)
    fmt, sys_attrs = output_format(options, format)
    wanted = _expand_all(split_list(attrs, 1000), ctx)
    entity = entities.get_entity_or_raise(session, entity_id=entity_id, actor=actor)
    return json_response(
        request, render_entity(entity, ctx, fmt=fmt, attrs=wanted, sys_attrs=sys_attrs), ctx
    )


@ngsi_router.patch("/entities/{entity_id}", status_code=204, summary="Merge an entity")
def merge_entity(
    request: Request, entity_id: EntityId, body: NgsiBody, session: DbSession, actor: CurrentActor
) -> Response:
    ctx = body_context(request, body)
    with transaction(session):
        entities.merge_entity(session, entity_id=entity_id, raw=body, ctx=ctx, actor=actor)
    _committed(session)
    return no_content()


@ngsi_router.put("/entities/{entity_id}", status_code=204, summary="Replace an entity")
def replace_entity(
    request: Request, entity_id: EntityId, body: NgsiBody, session: DbSession, actor: CurrentActor
) -> Response:
    ctx = body_context(request, body)
    with transaction(session):
        entities.replace_entity(session, entity_id=entity_id, raw=body, ctx=ctx, actor=actor)
    _committed(session)
    return no_content()


@ngsi_router.delete("/entities/{entity_id}", status_code=204, summary="Delete an entity")
def delete_entity(entity_id: EntityId, session: DbSession, actor: CurrentActor) -> Response:
    with transaction(session):
        entities.delete_entity(session, entity_id=entity_id, actor=actor)
    return no_content()


def _outcome_response(outcome: entities.AttributeOutcome, ctx: Context) -> Response:
    if not outcome.not_updated:
        return no_content()
    body = {
        "updated": [ctx.compact(name) for name in outcome.updated],
        "notUpdated": [
            {"attributeName": ctx.compact(name), "reason": reason}
            for name, reason in outcome.not_updated
        ],
    }
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=207,
        media_type="application/json",
    )


@ngsi_router.post("/entities/{entity_id}/attrs", status_code=204, summary="Append attributes")
def append_attributes(
    request: Request,
    entity_id: EntityId,
    body: NgsiBody,
    session: DbSession,
    actor: CurrentActor,
    options: Options = None,
) -> Response:
    ctx = body_context(request, body)
    no_overwrite = "noOverwrite" in (options or "").split(",")
    with transaction(session):
        outcome = entities.append_attributes(
            session, entity_id=entity_id, raw=body, ctx=ctx, actor=actor, no_overwrite=no_overwrite
        )
    _committed(session)
    return _outcome_response(outcome, ctx)


@ngsi_router.patch("/entities/{entity_id}/attrs", status_code=204, summary="Update attributes")
def update_attributes(
    request: Request, entity_id: EntityId, body: NgsiBody, session: DbSession, actor: CurrentActor
) -> Response:
    ctx = body_context(request, body)
    with transaction(session):
        outcome = entities.update_attributes(
            session, entity_id=entity_id, raw=body, ctx=ctx, actor=actor
        )
    _committed(session)
    return _outcome_response(outcome, ctx)


@ngsi_router.patch(
    "/entities/{entity_id}/attrs/{attr_id}", status_code=204, summary="Partial attribute update"
)
def update_attribute(
    request: Request,
    entity_id: EntityId,
    attr_id: AttrId,
    body: NgsiBody,
    session: DbSession,
    actor: CurrentActor,
) -> Response:
    ctx = body_context(request, body)
    with transaction(session):
        entities.update_attribute(
            session, entity_id=entity_id, attr=attr_id, raw=body, ctx=ctx, actor=actor
        )
    _committed(session)
    return no_content()


@ngsi_router.put(
    "/entities/{entity_id}/attrs/{attr_id}", status_code=204, summary="Replace an attribute"
)
def replace_attribute(
    request: Request,
    entity_id: EntityId,
    attr_id: AttrId,
    body: NgsiBody,
    session: DbSession,
    actor: CurrentActor,
) -> Response:
    ctx = body_context(request, body)
    with transaction(session):
        entities.replace_attribute(
            session, entity_id=entity_id, attr=attr_id, raw=body, ctx=ctx, actor=actor
        )
    _committed(session)
    return no_content()


@ngsi_router.delete(
    "/entities/{entity_id}/attrs/{attr_id}", status_code=204, summary="Delete an attribute"
)
def delete_attribute(
    request: Request, entity_id: EntityId, attr_id: AttrId, session: DbSession, actor: CurrentActor
) -> Response:
    ctx = query_context(request)
    with transaction(session):
        entities.delete_attribute(session, entity_id=entity_id, attr=attr_id, ctx=ctx, actor=actor)
    _committed(session)
    return no_content()


def _batch_response(result: batch.BatchResult, *, created_status: bool) -> Response:
    if result.errors:
        return Response(
            json.dumps(result.body(), ensure_ascii=False),
            status_code=207,
            media_type="application/json",
        )
    if created_status and result.created:
        return Response(json.dumps(result.created), status_code=201, media_type="application/json")
    return no_content()


@ngsi_router.post("/entityOperations/create", summary="Batch create (≤ 1,000 entities)")
def batch_create(
    request: Request, body: NgsiBody, session: DbSession, actor: CurrentActor
) -> Response:
    ctx = body_context(request, body)
    with transaction(session):
        result = batch.create(session, raw=body, ctx=ctx, actor=actor)
    _committed(session)
    return _batch_response(result, created_status=True)


@ngsi_router.post("/entityOperations/upsert", summary="Batch upsert (≤ 1,000 entities)")
def batch_upsert(
    request: Request,
    body: NgsiBody,
    session: DbSession,
    actor: CurrentActor,
    options: Options = None,
) -> Response:
    ctx = body_context(request, body)
    replace = "update" not in (options or "").split(",")
    with transaction(session):
        result = batch.upsert(session, raw=body, ctx=ctx, actor=actor, replace=replace)
    _committed(session)
    return _batch_response(result, created_status=True)


@ngsi_router.post("/entityOperations/update", summary="Batch update (≤ 1,000 entities)")
def batch_update(
    request: Request,
    body: NgsiBody,
    session: DbSession,
    actor: CurrentActor,
    options: Options = None,
) -> Response:
    ctx = body_context(request, body)
    no_overwrite = "noOverwrite" in (options or "").split(",")
    with transaction(session):
        result = batch.update(session, raw=body, ctx=ctx, actor=actor, no_overwrite=no_overwrite)
    _committed(session)
    return _batch_response(result, created_status=False)


@ngsi_router.post("/entityOperations/merge", summary="Batch merge (≤ 1,000 entities)")
def batch_merge(
    request: Request, body: NgsiBody, session: DbSession, actor: CurrentActor
) -> Response:
    ctx = body_context(request, body)
    with transaction(session):
        result = batch.merge(session, raw=body, ctx=ctx, actor=actor)
    _committed(session)
    return _batch_response(result, created_status=False)


@ngsi_router.post("/entityOperations/delete", summary="Batch delete (≤ 1,000 ids)")
def batch_delete(
    request: Request, body: NgsiBody, session: DbSession, actor: CurrentActor
) -> Response:
    body_context(request, body)
    with transaction(session):
        result = batch.delete(session, raw=body, actor=actor)
    return _batch_response(result, created_status=False)


def _type_list_id(names: list[str]) -> str:
    digest = hashlib.sha256("|".join(names).encode()).hexdigest()[:16]
    return f"urn:ngsi-ld:EntityTypeList:{digest}"


@ngsi_router.get("/types", summary="Entity types available")
def list_types(
    request: Request, session: ReadSession, actor: CurrentActor, details: bool = False
) -> Response:
    negotiate(request)
    ctx = query_context(request)
    if not details:
        names = [ctx.compact(t) for t, _ in entities.list_types(session, actor=actor)]
        data: Any = {"id": _type_list_id(names), "type": "EntityTypeList", "typeList": names}
        return json_response(request, data, ctx)
    info = entities.type_details(session, actor=actor)
    data = [
        {
            "id": type_iri,
            "type": "EntityType",
            "typeName": ctx.compact(type_iri),
            "attributeNames": sorted(ctx.compact(name) for name in entry["attributes"]),
        }
        for type_iri, entry in info.items()
    ]
    return json_response(request, data, ctx)


@ngsi_router.get("/types/{type_name}", summary="Details of one entity type")
def type_info(
    request: Request,
    type_name: Annotated[str, Path(min_length=1, max_length=256)],
    session: ReadSession,
    actor: CurrentActor,
) -> Response:
    negotiate(request)
    ctx = query_context(request)
    type_iri = ctx.expand(check_term(type_name, "Entity type"))
    entry = entities.type_details(session, actor=actor, type_iri=type_iri)[type_iri]
    data = {
        "id": type_iri,
        "type": "EntityTypeInfo",
        "typeName": ctx.compact(type_iri),
        "entityCount": entry["count"],
        "attributeDetails": [
            {
                "id": name,
                "type": "Attribute",
                "attributeName": ctx.compact(name),
                "attributeTypes": sorted(attribute["kinds"]),
            }
            for name, attribute in sorted(entry["attributes"].items())
        ],
    }
    return json_response(request, data, ctx)


from citybrain.brain import views_scenarios, views_temporal  # noqa: E402

ngsi_router.include_router(views_temporal.router)
# Everything the brain serves, mounted once by the app.
router = APIRouter()
router.include_router(ngsi_router)
router.include_router(views_scenarios.router)
