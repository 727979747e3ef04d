"""The demo city's city code: keys, a published trust list, the rule set, twelve venues.

Normal times (level 0) in the demo: codes are identity and service codes. The health
authority's console can raise a level and the published rules then apply.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.citycode import rules, signing, status, venues
from citybrain.citycode.models import SignerKey
from citybrain.core.errors import DomainError
from citybrain.core.security import Actor, ActorKind, Role

DATA = Path(__file__).parent / "data"
DEMO_ACTOR = Actor(kind=ActorKind.system, id="demo", name="演示数据", role=Role.health_authority)


def load(session: Session) -> int:
    """Load once (does nothing when keys exist); returns the number of venues created."""
    if session.scalar(select(func.count(SignerKey.id))):
        return 0
    signing.create_key(session, actor=DEMO_ACTOR, usage="person", profile="es256")
    signing.create_key(session, actor=DEMO_ACTOR, usage="venue", profile="es256")
    signing.create_key(session, actor=DEMO_ACTOR, usage="trust_list", profile="ed25519")
    status.publish_rule_set(session, actor=DEMO_ACTOR, body=rules.demo_rule_set())
    created = 0
    with (DATA / "venues.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                venues.create_venue(
                    session,
                    actor=DEMO_ACTOR,
                    kind=rules.VenueKind(row["kind"]),
                    name=row["name"],
                    operator_name=row["operator_name"],
                    address=row["address"],
                    lon=float(row["lon"]),
                    lat=float(row["lat"]),
                )
            except DomainError as error:
                if error.code != "regions.point_outside_city":
                    raise
                continue
            created += 1
    signing.publish_trust_list(session, actor=DEMO_ACTOR)
    return created
