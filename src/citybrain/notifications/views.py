"""Notifications over HTTP: a list, marking read, and a live server-sent-event stream."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from citybrain.core.db import DbSession, get_session, transaction
from citybrain.core.schemas import IdPath
from citybrain.core.security import Actor
from citybrain.identity.dependencies import CurrentActor
from citybrain.notifications import schemas
from citybrain.notifications import service as notifications_service

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
POLL_SECONDS = 1.0


@router.get("", response_model=schemas.MessagePage)
def my_notifications(
    session: DbSession,
    actor: CurrentActor,
    after_id: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> schemas.MessagePage:
    """My notices, newest first; with ``after_id``, only newer ones, oldest first."""
    items = notifications_service.list_for(session, actor=actor, after_id=after_id, limit=limit)
    return schemas.MessagePage(
        unread=notifications_service.unread_count(session, actor=actor),
        items=[schemas.MessageOut.model_validate(m) for m in items],
    )


@router.post("/{message_id}/read", response_model=schemas.MessageOut)
def mark_read(message_id: IdPath, session: DbSession, actor: CurrentActor) -> schemas.MessageOut:
    with transaction(session):
        message = notifications_service.mark_read(session, actor=actor, message_id=message_id)
    return schemas.MessageOut.model_validate(message)


@router.post("/read-all")
def mark_all_read(session: DbSession, actor: CurrentActor) -> dict[str, int]:
    with transaction(session):
        count = notifications_service.mark_all_read(session, actor=actor)
    return {"marked": count}


def _fetch(request: Request, actor: Actor, after_id: int) -> list[schemas.MessageOut]:
    # A fresh session per poll, from the same provider the routes use (tests override it),
    # so each poll sees what was committed since the last one.
    provider = request.app.dependency_overrides.get(get_session, get_session)
    sessions = provider(request) if provider is get_session else provider()
    session = next(sessions)
    try:
        rows = notifications_service.list_for(session, actor=actor, after_id=after_id, limit=50)
        return [schemas.MessageOut.model_validate(m) for m in rows]
    finally:
        sessions.close()


async def _events(
    request: Request, actor: Actor, after_id: int, max_seconds: float
) -> AsyncIterator[str]:
    deadline = time.monotonic() + max_seconds
    yield "retry: 3000\n\n"
    while time.monotonic() < deadline and not await request.is_disconnected():
        for message in await run_in_threadpool(_fetch, request, actor, after_id):
            after_id = message.id
            yield f"id: {message.id}\nevent: notice\ndata: {message.model_dump_json()}\n\n"
        await asyncio.sleep(POLL_SECONDS)
    yield f"event: bye\ndata: {json.dumps({'last_id': after_id})}\n\n"


@router.get("/stream", include_in_schema=False)
async def stream(
    request: Request,
    actor: CurrentActor,
    after_id: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0,
    max_seconds: Annotated[float, Query(gt=0, le=900)] = 300,
    last_event_id: Annotated[str | None, Header(max_length=16)] = None,
) -> StreamingResponse:
    """Server-sent events: each new notice as it arrives (EventSource reconnects itself)."""
    if last_event_id and last_event_id.isdigit():
        after_id = max(after_id, int(last_event_id))
    return StreamingResponse(
        _events(request, actor, after_id, max_seconds),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
