"""驾驶舱 page: the city at a glance for the command centre's large screen.

The page renders the figures, tiles and the newest feed items; ``static/js/cockpit.js``
draws the ECharts map and trend chart, follows the feed's event stream and refreshes the
panels (``/cockpit/panels``) after new events. ``router`` carries the cockpit's API too,
so the app mounts the cockpit with one include.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from citybrain.cockpit import areas, feed, service
from citybrain.cockpit import views as cockpit_views
from citybrain.core.security import Actor
from citybrain.identity.dependencies import CurrentActor
from citybrain.portal.pages import page_context
from citybrain.portal.rendering import render
from citybrain.regions import service as regions_service
from citybrain.regions.models import COUNTY_LEVELS
from citybrain.runtime import ReadSession

router = APIRouter(include_in_schema=False)
router.include_router(cockpit_views.router)


def _panels(session: Any, actor: Actor) -> dict[str, Any]:
    summary = service.summary(session, actor=actor)
    return {"summary": summary, "trends_json": summary.trends.model_dump_json()}


@router.get("/cockpit", response_class=HTMLResponse)
def cockpit_page(request: Request, session: ReadSession, actor: CurrentActor) -> Response:
    """The cockpit: figures, 14 domain tiles, the district map, the live feed, trends."""
    service.require_viewer(actor)
    context = page_context(request, session, actor)
    districts = [d for d in regions_service.list_divisions(session) if d.level in COUNTY_LEVELS]
    # The stream starts after this id and the page shows the feed up to it: an event
    # committed in between is in one or the other, never lost.
    last_event_id = feed.last_event_id(session)
    context.update(
        _panels(session, actor),
        feed=feed.latest(session, limit=20, up_to=last_event_id),
        last_event_id=last_event_id,
        metrics=areas.metrics(),
        synthetic=any(d.boundary_is_synthetic for d in districts),
    )
    return render(request, "cockpit/cockpit.html", context)


@router.get("/cockpit/panels", response_class=HTMLResponse)
def cockpit_panels(request: Request, session: ReadSession, actor: CurrentActor) -> Response:
    """The figures, tiles and trend data alone, for the page to refresh in place."""
    service.require_viewer(actor)
    return render(request, "cockpit/_panels.html", _panels(session, actor))
