"""The cockpit's use cases: who may look, and the summary of the city in one read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from citybrain.cockpit import figures, tiles
from citybrain.cockpit.schemas import Summary
from citybrain.core.db import utcnow
from citybrain.core.security import Actor, Role


def require_viewer(actor: Actor) -> None:
    """The command centre and admins (403 ``auth.role_required`` for anyone else)."""
    actor.require_role(Role.command_centre_operator)


def summary(session: Session, *, actor: Actor, now: datetime | None = None) -> Summary:
    """The 14 domain tiles, the pillars' headline figures and the daily trends."""
    require_viewer(actor)
    now = now or utcnow()
    return Summary(
        generated_at=now.astimezone(figures.CITY_ZONE).isoformat(timespec="seconds"),
        tiles=tiles.domain_tiles(session, actor=actor, now=now),
        pillars=figures.pillar_figures(session, now=now),
        trends=figures.trends(session, now=now),
    )
