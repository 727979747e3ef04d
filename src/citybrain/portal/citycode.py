"""一码通城 pages: the resident's code (phone), the checkpoint scanner, venue registration
and the health authority's console. They call the same services as the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from citybrain.citycode import codes, rules, scans, signing, status, venues
from citybrain.citycode.settings import settings_of
from citybrain.core.db import DbSession, transaction
from citybrain.core.errors import DomainError
from citybrain.core.schemas import IdPath
from citybrain.core.security import Actor, ActorKind, Role
from citybrain.identity.dependencies import CurrentActor, StaffActor
from citybrain.portal.pages import page_context
from citybrain.portal.rendering import render

router = APIRouter(include_in_schema=False)

COLOUR_LABELS = {
    "none": ("常态码", "Normal-times code"),
    "green": ("绿码", "Green"),
    "yellow": ("黄码", "Yellow"),
    "red": ("红码", "Red"),
}


def _ctx(request: Request, session: Any, actor: Actor | None, **extra: Any) -> dict[str, Any]:
    context = page_context(request, session, actor)
    context.update(colour_labels=COLOUR_LABELS, outcome_labels=rules.OUTCOME_LABELS, **extra)
    return context


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _code_card(session: Any, actor: Actor) -> dict[str, Any]:
    with transaction(session):
        code, row, expires = status.issue_code(session, actor=actor)
    return {
        "code": code,
        "qr_svg": codes.qr_svg(code, scale=5),
        "colour": row.colour,
        "reason": row.reason,
        "reason_en": row.reason_en,
        "legal_basis": row.legal_basis,
        "expires_at": expires,
        "refresh_seconds": settings_of(session).refresh_seconds,
    }


@router.get("/citycode", response_class=HTMLResponse)
def my_code(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    """The resident's code; the card refreshes itself every ``refresh_seconds``."""
    if actor.kind is not ActorKind.person:
        if actor.role is Role.health_authority:
            return RedirectResponse("/citycode/console", status_code=303)
        if actor.role is Role.checkpoint_operator:
            return RedirectResponse("/citycode/checkpoint", status_code=303)
        raise DomainError("citycode.residents_only", "仅限居民本人", "Residents only", status=403)
    card = _code_card(session, actor)
    if _is_htmx(request):
        return render(request, "citycode/_code_card.html", _ctx(request, session, actor, card=card))
    history = status.history(session, person_id=actor.person_id or 0)
    corrections = status.list_corrections(session, person_id=actor.person_id)
    return render(
        request,
        "citycode/my_code.html",
        _ctx(request, session, actor, card=card, history=history[-5:], corrections=corrections),
    )


@router.post("/citycode/corrections", response_class=HTMLResponse)
def file_correction(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    reason: Annotated[str, Form(max_length=200)],
) -> Response:
    with transaction(session):
        correction = status.file_correction(session, actor=actor, reason=reason)
    return render(
        request,
        "citycode/_correction_filed.html",
        _ctx(request, session, actor, correction=correction),
    )


@router.get("/citycode/checkpoint", response_class=HTMLResponse)
def checkpoint(request: Request, session: DbSession, actor: StaffActor) -> Response:
    """The checkpoint scanner: pick the venue, scan or type the code."""
    actor.require_role(Role.checkpoint_operator, Role.health_authority)
    return render(
        request,
        "citycode/checkpoint.html",
        _ctx(request, session, actor, venues=venues.list_venues(session, limit=200)),
    )


@router.post("/citycode/checkpoint/check", response_class=HTMLResponse)
def checkpoint_check(
    request: Request,
    session: DbSession,
    actor: StaffActor,
    venue_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
    code: Annotated[str, Form(min_length=1, max_length=4096)],
) -> Response:
    with transaction(session):
        result = venues.check_at_door(session, actor=actor, venue_id=venue_id, code=code)
    return render(
        request, "citycode/_door_result.html", _ctx(request, session, actor, result=result)
    )


@router.get("/citycode/venues", response_class=HTMLResponse)
def venue_page(request: Request, session: DbSession, actor: StaffActor) -> Response:
    """Venue registration (场所码登记) and the list of venues."""
    actor.require_role(Role.checkpoint_operator, Role.health_authority)
    return render(
        request,
        "citycode/venues.html",
        _ctx(
            request,
            session,
            actor,
            venues=venues.list_venues(session, limit=200),
            kinds=rules.VENUE_KIND_LABELS,
            error=None,
        ),
    )


@router.post("/citycode/venues", response_class=HTMLResponse)
def register_venue(
    request: Request,
    session: DbSession,
    actor: StaffActor,
    kind: Annotated[rules.VenueKind, Form()],
    name: Annotated[str, Form(min_length=1, max_length=100)],
    operator_name: Annotated[str, Form(min_length=1, max_length=100)],
    address: Annotated[str, Form(min_length=1, max_length=200)],
    lon: Annotated[float, Form(ge=-180, le=180)],
    lat: Annotated[float, Form(ge=-90, le=90)],
) -> Response:
    error = None
    try:
        with transaction(session):
            venues.create_venue(
                session,
                actor=actor,
                kind=kind,
                name=name,
                operator_name=operator_name,
                address=address,
                lon=lon,
                lat=lat,
            )
    except DomainError as refused:
        if refused.status == 403:
            raise
        error = refused.body()
    return render(
        request,
        "citycode/venues.html",
        _ctx(
            request,
            session,
            actor,
            venues=venues.list_venues(session, limit=200),
            kinds=rules.VENUE_KIND_LABELS,
            error=error,
        ),
        status_code=422 if error else 200,
    )


@router.get("/citycode/venues/{venue_id}/code", response_class=HTMLResponse)
def venue_code_page(
    request: Request, venue_id: IdPath, session: DbSession, actor: StaffActor
) -> Response:
    """The venue's rotating code, for a screen at the entrance (refreshes itself)."""
    venue = venues.get_venue_or_raise(session, venue_id)
    code, valid_until = venues.venue_code(session, actor=actor, venue_id=venue_id)
    context = _ctx(
        request,
        session,
        actor,
        venue=venue,
        qr_svg=codes.qr_svg(code, scale=5),
        valid_until=valid_until,
    )
    template = "citycode/_venue_code.html" if _is_htmx(request) else "citycode/venue_code.html"
    return render(request, template, context)


@router.get("/citycode/console", response_class=HTMLResponse)
def console(request: Request, session: DbSession, actor: StaffActor) -> Response:
    """The health authority's console: levels, rules, scans, four eyes, corrections, tracing."""
    actor.require_role(Role.health_authority)
    context = _ctx(
        request,
        session,
        actor,
        levels=status.list_emergency_levels(session),
        rule_set=status.active_rule_set(session),
        recent=scans.recent_scans(session, actor=actor, limit=30),
        venue_names={v.id: v.name for v in venues.list_venues(session, limit=500)},
        pending=status.pending_manual_changes(session),
        corrections=status.list_corrections(session, open_only=True),
        keys=signing.list_keys(session),
    )
    return render(request, "citycode/console.html", context)


@router.post("/citycode/console/trace", response_class=HTMLResponse)
def console_trace(
    request: Request,
    session: DbSession,
    actor: StaffActor,
    case_id: Annotated[str, Form(min_length=1, max_length=64)],
    person_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
    second_hop: Annotated[bool, Form()] = False,
) -> Response:
    with transaction(session):
        query = scans.trace(
            session, actor=actor, case_id=case_id, person_id=person_id, second_hop=second_hop
        )
        rows = scans.trace_rows(session, query)
    return render(
        request, "citycode/_trace.html", _ctx(request, session, actor, query=query, rows=rows)
    )
