"""De-duplication (并单) candidates: space and time first, then text.

Open cases of the same or a sibling category (same kind and major class) within
``radius_m`` (default 250 m) and ``window_days`` (default 30 days) of a new case,
ranked by character-bigram similarity of the descriptions. An indexed ~275 m bucket
key (``rules.bucket_of``) narrows the search before exact distances, which keeps the
check fast with 100,000 open cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core import geo
from citybrain.governance import rules
from citybrain.governance.models import Case

_OPEN = frozenset(s.value for s in rules.CaseStatus if s not in rules.FINAL_STATUSES)


@dataclass(frozen=True)
class Candidate:
    """A possible earlier report of the same problem."""

    case_id: int
    category_code: str
    distance_m: float
    similarity: float
    score: float
    same_category: bool
    confident: bool


def find_duplicates(
    session: Session,
    *,
    case: Case,
    now: datetime,
    radius_m: float = rules.DEDUP_RADIUS_M,
    window_days: int = rules.DEDUP_WINDOW_DAYS,
    limit: int = 5,
) -> list[Candidate]:
    """Open cases that may report the same problem as ``case``, best first."""
    if case.category_code is None or case.lon is None or case.lat is None:
        return []
    return nearby(
        session,
        category_code=case.category_code,
        lon=case.lon,
        lat=case.lat,
        text=case.description,
        now=now,
        exclude_id=case.id,
        radius_m=radius_m,
        window_days=window_days,
        limit=limit,
    )


def nearby(
    session: Session,
    *,
    category_code: str,
    lon: float,
    lat: float,
    text: str,
    now: datetime,
    exclude_id: int | None = None,
    radius_m: float = rules.DEDUP_RADIUS_M,
    window_days: int = rules.DEDUP_WINDOW_DAYS,
    limit: int = 5,
) -> list[Candidate]:
    """Candidates around a point for a category and text (also used while an agent types)."""
    # Only the bucket key goes to SQL, so every planner uses its index (without statistics
    # SQLite would pick the category or status index and scan far more rows); the few
    # rows in the nine buckets are filtered here.
    query = select(
        Case.id, Case.category_code, Case.lon, Case.lat, Case.description, Case.status
    ).where(
        Case.geo_bucket.in_(rules.buckets_around(lon, lat, radius_m)),
        Case.accepted_at >= now - timedelta(days=window_days),
    )
    group = rules.siblings(category_code)
    found = []
    for row in session.execute(query):
        if row.status not in _OPEN or row.category_code not in group or row.id == exclude_id:
            continue
        distance = geo.haversine_m(lon, lat, row.lon, row.lat)
        if distance > radius_m:
            continue
        similarity = rules.text_similarity(text, row.description)
        same = row.category_code == category_code
        found.append(
            Candidate(
                case_id=row.id,
                category_code=row.category_code,
                distance_m=round(distance, 1),
                similarity=round(similarity, 4),
                score=rules.duplicate_score(
                    distance_m=distance, radius_m=radius_m, similarity=similarity
                ),
                same_category=same,
                confident=rules.is_confident_duplicate(same_category=same, similarity=similarity),
            )
        )
    found.sort(key=lambda c: (not c.confident, -c.score, c.case_id))
    return found[:limit]
