"""The governance part of the demo city."""

from __future__ import annotations

import time
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.governance import demo, service
from citybrain.governance.models import Case


def test_demo_cases_cover_the_lifecycle(gov_session: Session) -> None:
    started = time.perf_counter()
    created = demo.load(gov_session, seed=20201220, count=200)
    elapsed = time.perf_counter() - started
    print(f"\ngovernance demo: {created} cases in {elapsed:.1f} s")
    statuses = Counter(gov_session.scalars(select(Case.status)))
    assert created == 200
    assert {"dispatched", "claimed", "closed", "evaluated"} <= set(statuses)
    assert gov_session.scalar(select(Case.id).where(Case.channel == "sensor")) is not None
    assert service.open_counts_by_division(gov_session)
