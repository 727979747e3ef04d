"""The live alert and case feed, tailed from the outbox by event id.

The cockpit reads the outbox as a viewer, not a consumer: it keeps no cursor, the
browser's stream remembers the last id it showed (``Last-Event-ID``) and resumes after
it. Payloads carry ids and codes only; names are looked up here for display.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.brain import scenarios as brain_scenarios
from citybrain.cockpit.figures import CITY_ZONE
from citybrain.cockpit.schemas import FeedItem
from citybrain.cockpit.tiles import SEVERITY_LABELS
from citybrain.core.errors import DomainError
from citybrain.core.models import OutboxEvent
from citybrain.governance import rules as governance_rules
from citybrain.governance import service as governance_service
from citybrain.governance.models import Case
from citybrain.regions import service as regions_service

KINDS: Final = {
    "brain.alert_raised": ("alert", "告警", "Alert"),
    "brain.alert_resolved": ("alert_resolved", "告警解除", "Alert resolved"),
    "governance.case_accepted": ("case", "新案件", "New case"),
    "governance.case_escalated": ("case_escalated", "督办", "Escalated"),
    "governance.case_closed": ("case_closed", "结案", "Closed"),
}
FEED_EVENTS: Final = tuple(KINDS)
CASE_SEVERITY: Final = {"case": "medium", "case_escalated": "high", "case_closed": "normal"}
SEVERITY_TEXT: Final = {**SEVERITY_LABELS, "normal": "正常"}


def last_event_id(session: Session) -> int:
    """The newest outbox id: a stream that starts here shows only what happens next."""
    return int(session.scalar(select(func.max(OutboxEvent.id))) or 0)


def latest(session: Session, *, limit: int = 20, up_to: int | None = None) -> list[FeedItem]:
    """The newest feed events (up to id ``up_to`` when given), newest first."""
    query = select(OutboxEvent).where(OutboxEvent.name.in_(FEED_EVENTS))
    if up_to is not None:
        query = query.where(OutboxEvent.id <= up_to)
    rows = session.scalars(query.order_by(OutboxEvent.id.desc()).limit(limit)).all()
    return items(session, rows)


def after(session: Session, *, after_id: int, limit: int = 50) -> list[FeedItem]:
    """Feed events after ``after_id``, oldest first (the stream's next batch)."""
    rows = session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.id > after_id, OutboxEvent.name.in_(FEED_EVENTS))
        .order_by(OutboxEvent.id)
        .limit(limit)
    ).all()
    return items(session, rows)


class _Names:
    """Display names for the ids in one batch of events, each looked up once."""

    def __init__(self, session: Session, rows: Sequence[OutboxEvent]) -> None:
        self.session = session
        self.divisions = {d.code: d.name for d in regions_service.list_divisions(session)}
        self.rules = {rule.rule_id: rule for rule in brain_scenarios.alert_rules()}
        self.categories = governance_rules.categories()
        case_ids = [int(r.payload["case_id"]) for r in rows if "case_id" in r.payload]
        found = governance_service.find_cases(session, ids=case_ids) if case_ids else []
        self.cases: dict[int, Case] = {c.id: c for c in found}
        points = [r for r in rows if r.payload.get("lon") is not None]
        places = (
            regions_service.locate_many(
                session,
                lons=[float(r.payload["lon"]) for r in points],
                lats=[float(r.payload["lat"]) for r in points],
            )
            if points
            else []
        )
        self.places: dict[int, str] = {
            row.id: f"{where.division_name} {where.street_name}"
            for row, where in zip(points, places, strict=True)
            if where is not None
        }

    def street(self, code: str | None) -> str:
        if not code:
            return ""
        try:
            return regions_service.get_street_or_raise(self.session, code=code).name
        except DomainError:  # a street since removed from the reference: no label
            return ""

    def case_place(self, case: Case | None, payload: dict[str, Any]) -> str:
        division = case.division_code if case else payload.get("division_code")
        street = self.street(case.street_code if case else None)
        parts = [self.divisions.get(division or "", ""), street]
        return " ".join(p for p in parts if p)

    def category(self, case: Case | None, payload: dict[str, Any]) -> str:
        code = (case.category_code if case else None) or payload.get("category_code")
        category = self.categories.get(code or "")
        return category.name if category else "待分类"


def _alert(row: OutboxEvent, names: _Names, kind: str) -> dict[str, Any]:
    payload = row.payload
    rule = names.rules.get(str(payload.get("rule_id", "")))
    rule_name = rule.name if rule else str(payload.get("rule_id", ""))
    severity = str(payload.get("severity") or (rule.severity if rule else "informational"))
    if kind == "alert_resolved":
        severity = "normal"
    domain = str(payload.get("scenario_id") or (rule.scenario_id if rule else "")).rsplit("-", 1)[0]
    return {
        "severity": severity,
        "title": rule_name if kind == "alert" else f"{rule_name}（已解除）",
        "title_en": f"{domain}: {payload.get('rule_id', '')}",
        "place": names.places.get(row.id, str(payload.get("department", ""))),
        "link": None,
    }


def _case(row: OutboxEvent, names: _Names, kind: str) -> dict[str, Any]:
    payload = row.payload
    case_id = int(payload["case_id"])
    case = names.cases.get(case_id)
    category = names.category(case, payload)
    if kind == "case_escalated":
        title = f"#{case_id} {category} 超期督办（{payload.get('level', 1)}级）"
        title_en = f"Case {case_id} overdue, escalated to level {payload.get('level', 1)}"
    elif kind == "case_closed":
        on_time = "按期" if payload.get("on_time") else "超期"
        title = f"#{case_id} {category} 已结案（{on_time}）"
        title_en = f"Case {case_id} closed" + (" on time" if payload.get("on_time") else " late")
    else:
        title = f"#{case_id} {category}"
        title_en = f"Case {case_id} received ({payload.get('channel', '')})"
    return {
        "severity": CASE_SEVERITY[kind],
        "title": title,
        "title_en": title_en,
        "place": names.case_place(case, payload),
        "link": f"/governance/cases/{case_id}",
    }


def items(session: Session, rows: Sequence[OutboxEvent]) -> list[FeedItem]:
    """Feed items for outbox rows, in the order given."""
    if not rows:
        return []
    names = _Names(session, rows)
    result = []
    for row in rows:
        kind, label, label_en = KINDS[row.name]
        describe = _alert if row.name.startswith("brain.") else _case
        shown = describe(row, names, kind)
        local = row.occurred_at.astimezone(CITY_ZONE)
        result.append(
            FeedItem(
                id=row.id,
                kind=kind,
                kind_label=label,
                kind_label_en=label_en,
                severity_label=SEVERITY_TEXT.get(shown["severity"], shown["severity"]),
                occurred_at=row.occurred_at.isoformat(),
                time=local.strftime("%H:%M:%S"),
                **shown,
            )
        )
    return result
