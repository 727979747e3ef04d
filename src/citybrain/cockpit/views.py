"""The cockpit API (``/api/v1/cockpit``): summary, map layers and the live feed stream."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from citybrain.cockpit import areas, feed, schemas, service
from citybrain.core.db import get_session
from citybrain.identity.dependencies import CurrentActor
from citybrain.runtime import ReadSession

router = APIRouter(prefix="/api/v1/cockpit", tags=["cockpit"])
POLL_SECONDS = 0.5
"""How often the stream looks for new outbox rows: new alerts show within a second."""


@router.get("/summary", response_model=schemas.Summary)
def summary(session: ReadSession, actor: CurrentActor) -> schemas.Summary:
    """Domain tiles (indicators against thresholds, alerts), pillar figures, trends."""
    return service.summary(session, actor=actor)


@router.get("/map/metrics", response_model=list[schemas.MapMetric])
def map_metrics(actor: CurrentActor) -> list[schemas.MapMetric]:
    """What the map can be coloured by."""
    service.require_viewer(actor)
    return areas.metrics()


@router.get("/map", response_model=schemas.MapLayer)
def map_layer(
    session: ReadSession,
    actor: CurrentActor,
    metric: Annotated[
        str, Query(max_length=60, description="'cases' or a brain indicator id.")
    ] = areas.CASES,
    level: Annotated[
        str, Query(max_length=12, description="division, street or grid_cell.")
    ] = "division",
    parent: Annotated[
        str | None, Query(max_length=20, description="Code of the area one level up.")
    ] = None,
) -> schemas.MapLayer:
    """One level of the choropleth: GeoJSON shapes and the metric per area."""
    service.require_viewer(actor)
    return areas.layer(session, metric_id=metric, level=level, parent=parent)


@router.get("/feed", response_model=list[schemas.FeedItem])
def recent_feed(
    session: ReadSession,
    actor: CurrentActor,
    after_id: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[schemas.FeedItem]:
    """The newest alerts and cases (newest first), or those after ``after_id`` (oldest first)."""
    service.require_viewer(actor)
    if after_id:
        return feed.after(session, after_id=after_id, limit=limit)
    return feed.latest(session, limit=limit)


def _fetch(request: Request, after_id: int | None) -> tuple[int, list[schemas.FeedItem]]:
    # A fresh session per poll, from the provider the routes use (tests override it), so
    # each poll sees what was committed since the last one.
    provider = request.app.dependency_overrides.get(get_session, get_session)
    sessions = provider(request) if provider is get_session else provider()
    session = next(sessions)
    try:
        if after_id is None:  # no position given: from now on
            return feed.last_event_id(session), []
        return after_id, feed.after(session, after_id=after_id)
    finally:
        sessions.close()


async def _events(request: Request, after_id: int | None, max_seconds: float) -> AsyncIterator[str]:
    deadline = time.monotonic() + max_seconds
    yield "retry: 2000\n\n"
    while time.monotonic() < deadline and not await request.is_disconnected():
        after_id, found = await run_in_threadpool(_fetch, request, after_id)
        for item in found:
            after_id = item.id
            yield f"id: {item.id}\nevent: feed\ndata: {item.model_dump_json()}\n\n"
        await asyncio.sleep(POLL_SECONDS)
    yield f"event: bye\ndata: {json.dumps({'last_id': after_id})}\n\n"


@router.get("/stream", include_in_schema=False)
async def stream(
    request: Request,
    actor: CurrentActor,
    after_id: Annotated[int | None, Query(ge=0, le=2_147_483_647)] = None,
    max_seconds: Annotated[float, Query(gt=0, le=900)] = 300,
    last_event_id: Annotated[str | None, Header(max_length=16)] = None,
) -> StreamingResponse:
    """Server-sent events: each new alert and case as it reaches the outbox.

    Starts after ``after_id`` (the page passes the newest id it rendered), or from now;
    ``Last-Event-ID`` (sent by EventSource when it reconnects) resumes after that event.
    """
    service.require_viewer(actor)
    if last_event_id and last_event_id.isascii() and last_event_id.isdigit():
        after_id = max(after_id or 0, int(last_event_id))
    return StreamingResponse(
        _events(request, after_id, max_seconds),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
