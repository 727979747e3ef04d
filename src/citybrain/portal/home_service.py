"""The resident's and enterprise's one home (一端惠城): my code, my applications, my
reports, the most-used services and my latest notices, as ready-to-show values.

Every figure comes from the owning pillar's services; the one read no pillar offers
yet (applications per bundle in the last 90 days) is written here, read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.citycode import status as citycode_status
from citybrain.core.db import utcnow
from citybrain.core.security import Actor, ActorKind
from citybrain.governance import present as governance_present
from citybrain.governance import rules as governance_rules
from citybrain.governance import service as governance_service
from citybrain.notifications import service as notifications_service
from citybrain.notifications.models import Message
from citybrain.servicehub import applications as application_service
from citybrain.servicehub import bundles as bundle_service
from citybrain.servicehub import reads as servicehub_reads
from citybrain.servicehub.models import Application

MOST_USED_DAYS = 90
MOST_USED_COUNT = 6
# Shown when too few applications were made lately: what Zhengzhou residents ask most.
CURATED: dict[str, tuple[str, ...]] = {
    "个人": (
        "新生儿出生",
        "退休",
        "住房公积金提取(郑好办)",
        "户口迁移",
        "就医费用报销",
        "教育入学",
        "社会保障卡居民服务",
    ),
    "企业": (
        "开办餐饮店",
        "企业开办(1+X)",
        "企业开办",
        "个体工商户开办",
        "开办便利店",
        "企业信息变更",
        "水电气网联合报装",
    ),
}
COLOUR_LABELS = {
    "none": ("常态码", "Normal-times code"),
    "green": ("绿码", "Green"),
    "yellow": ("黄码", "Yellow"),
    "red": ("红码", "Red"),
}
APPLICATION_STATUS = {
    "submitted": ("已提交", "Submitted"),
    "in_progress": ("办理中", "In progress"),
    "correcting": ("待补正", "Correction needed"),
    "completed": ("已办结", "Completed"),
    "withdrawn": ("已撤回", "Withdrawn"),
}
# The worst clock among an application's tasks decides its warning colour.
LEVELS = {
    "overdue": ("已超期", "Overdue"),
    "warning": ("即将到期", "Due soon"),
    "normal": ("按期办理中", "On time"),
    "paused": ("等待补正", "Waiting for you"),
    "none": ("", ""),
}
CASE_STAGES = (
    ("受理", "Received"),
    ("立案", "Registered"),
    ("派遣", "Dispatched"),
    ("处置", "Being fixed"),
    ("核查", "Checked"),
    ("结案", "Closed"),
)
_STAGE_OF = {
    "accepted": 0,
    "registered": 1,
    "returned": 1,
    "dispatched": 2,
    "claimed": 3,
    "suspended": 3,
    "handled": 4,
    "closed": 5,
    "evaluated": 5,
    "rejected": 5,
    "merged": 5,
}


@dataclass(frozen=True)
class CodeSummary:
    colour: str
    label: str
    label_en: str
    reason: str
    reason_en: str


@dataclass(frozen=True)
class MyApplication:
    id: int
    number: str
    title: str
    status_label: str
    status_label_en: str
    expected_on: date | None
    done: int
    total: int
    level: str
    level_label: str
    level_label_en: str
    href: str


@dataclass(frozen=True)
class MyReport:
    id: int
    summary: str
    status: str
    status_label: str
    status_label_en: str
    stage: int
    stages: int
    stage_names: tuple[str, ...]
    level: str
    href: str


@dataclass(frozen=True)
class Shortcut:
    name: str
    href: str
    uses: int


@dataclass
class ResidentHome:
    code: CodeSummary | None
    applications: list[MyApplication] = field(default_factory=list)
    reports: list[MyReport] = field(default_factory=list)
    most_used: list[Shortcut] = field(default_factory=list)
    most_used_from_usage: bool = False
    notices: list[Message] = field(default_factory=list)


def is_applicant(actor: Actor) -> bool:
    return actor.kind in (ActorKind.person, ActorKind.enterprise)


def code_summary(session: Session, actor: Actor) -> CodeSummary | None:
    """The colour of the resident's code now (rules re-run, as the code page does)."""
    if actor.kind is not ActorKind.person or actor.person_id is None:
        return None
    row = citycode_status.refresh_status(session, person_id=actor.person_id, actor=actor)
    label, label_en = COLOUR_LABELS.get(row.colour, (row.colour, row.colour))
    return CodeSummary(row.colour, label, label_en, row.reason or "", row.reason_en or "")


def _level(states: list[str]) -> str:
    for level in ("overdue", "warning"):
        if level in states:
            return level
    if "paused" in states:
        return "paused"
    return "normal" if "on_time" in states else "none"


def my_applications(session: Session, actor: Actor, *, limit: int = 5) -> list[MyApplication]:
    """The applicant's latest applications, the date to expect results and the clock."""
    rows = []
    for application in application_service.list_mine(session, actor=actor, limit=limit):
        out = servicehub_reads.application_out(session, application)
        level = _level([t.clock.state for t in out.tasks])
        if out.status in ("completed", "withdrawn"):
            level = "none"
        label = APPLICATION_STATUS.get(out.status, (out.status, out.status))
        finished = sum(1 for t in out.tasks if t.status in application_service.FINAL)
        rows.append(
            MyApplication(
                id=out.id,
                number=out.number,
                title=out.title,
                status_label=label[0],
                status_label_en=label[1],
                expected_on=out.expected_on,
                done=finished,
                total=len(out.tasks),
                level=level,
                level_label=LEVELS[level][0],
                level_label_en=LEVELS[level][1],
                href=f"/services/applications/{out.id}",
            )
        )
    return rows


def my_reports(session: Session, actor: Actor, *, limit: int = 5) -> list[MyReport]:
    """The problems the resident reported (随手拍), with how far each has come."""
    if not actor.id.isdigit():
        return []
    cases = governance_service.cases_of_account(session, account_id=int(actor.id))[:limit]
    clocks = governance_service.clocks(session, cases)
    rows = []
    for case in cases:
        out = governance_present.case_out(case, clocks[case.id])
        status = governance_rules.CaseStatus(out.status)
        rows.append(
            MyReport(
                id=out.id,
                summary=out.description[:40],
                status=out.status,
                status_label=governance_rules.STATUS_LABELS[status][0],
                status_label_en=governance_rules.STATUS_LABELS[status][1],
                stage=_STAGE_OF.get(out.status, 0) + 1,
                stages=len(CASE_STAGES),
                stage_names=tuple(s[0] for s in CASE_STAGES),
                level=out.clock_state or "none",
                href=f"/governance/cases/{out.id}",
            )
        )
    return rows


def _usage(session: Session, since: Any) -> list[tuple[int, int]]:
    # No servicehub read counts applications per bundle yet: this one is ours, read-only.
    rows = session.execute(
        select(Application.bundle_id, func.count(Application.id))
        .where(Application.submitted_at >= since, Application.bundle_id.is_not(None))
        .group_by(Application.bundle_id)
        .order_by(func.count(Application.id).desc(), Application.bundle_id)
    )
    return [(int(b), int(n)) for b, n in rows if b is not None]


def most_used(
    session: Session, actor: Actor, *, count: int = MOST_USED_COUNT
) -> tuple[list[Shortcut], bool]:
    """Bundles by applications in the last 90 days, topped up from the curated list.

    The flag says whether any of them came from real usage.
    """
    audience = "企业" if actor.kind is ActorKind.enterprise else "个人"
    bundles = {b.id: b for b in bundle_service.list_bundles(session, audience=audience)}
    shortcuts: list[Shortcut] = []
    since = utcnow() - timedelta(days=MOST_USED_DAYS)
    for bundle_id, uses in _usage(session, since):
        bundle = bundles.get(bundle_id)
        if bundle is not None and len(shortcuts) < count:
            shortcuts.append(Shortcut(bundle.name, f"/services/bundles/{bundle.id}", uses))
    from_usage = bool(shortcuts)
    by_name = {b.name: b for b in bundles.values()}
    for name in CURATED[audience]:
        bundle = by_name.get(name)
        taken = {s.name for s in shortcuts}
        if bundle is not None and name not in taken and len(shortcuts) < count:
            shortcuts.append(Shortcut(bundle.name, f"/services/bundles/{bundle.id}", 0))
    return shortcuts, from_usage


def latest_notices(session: Session, actor: Actor, *, limit: int = 5) -> list[Message]:
    return notifications_service.list_for(session, actor=actor, limit=limit)


def resident_home(session: Session, actor: Actor) -> ResidentHome:
    """Everything the home shows an applicant. Re-runs the code rules (the caller commits)."""
    shortcuts, from_usage = most_used(session, actor)
    return ResidentHome(
        code=code_summary(session, actor),
        applications=my_applications(session, actor),
        reports=my_reports(session, actor),
        most_used=shortcuts,
        most_used_from_usage=from_usage,
        notices=latest_notices(session, actor),
    )
