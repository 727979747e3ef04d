"""Construction-project approval (工程建设项目审批): four main-line stages, per-category flows.

Each project category has its own flow: per stage, the items it runs with their days and
what each waits for. A stage's limit is the longest path through its items (parallel
approval inside a stage); a project's total is the sum of the four main-line stages;
utility hook-ups and other side lines do not add to it. The same report runs for the
"before" configuration, so the reform's effect is a computation, not a claim.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.servicehub import rules
from citybrain.servicehub.models import ServiceItem

MAIN_LINE = (1, 2, 3, 4)


@dataclass(frozen=True)
class StageReport:
    number: int
    name: str
    lead: str
    limit_days: int
    items: list[str]
    timeout_consent: bool  # 超时默认: a missed deadline counts as consent


@dataclass(frozen=True)
class FlowReport:
    code: str
    name: str
    stages: list[StageReport]
    total_days: int
    item_count: int


@cache
def config() -> dict[str, Any]:
    path = resources.files("citybrain.servicehub").joinpath("data/construction.json")
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def check_flow(flow: dict[str, Any], known: set[str]) -> list[str]:
    """Problems of one flow: unknown items, waits outside the stage, cycles."""
    problems = []
    for number, steps in flow["stages"].items():
        names = {step["item"] for step in steps}
        for step in steps:
            if step["item"] not in known:
                problems.append(f"stage {number}: unknown item {step['item']}")
            problems.extend(
                f"stage {number}: {step['item']} waits for {a}, not in the stage"
                for a in step["after"]
                if a not in names
            )
            if step["days"] < 0:
                problems.append(f"stage {number}: negative days for {step['item']}")
        try:
            _stage_limit(steps)
        except ValueError as error:
            problems.append(f"stage {number}: {error}")
    return problems


def _stage_limit(steps: list[dict[str, Any]]) -> int:
    index = {step["item"]: n for n, step in enumerate(steps)}
    durations = {n: int(step["days"]) for n, step in enumerate(steps)}
    requires = {n: [index[a] for a in step["after"] if a in index] for n, step in enumerate(steps)}
    return rules.longest_path(durations, requires)


def flow_report(flow: dict[str, Any]) -> FlowReport:
    stages_config = {s["number"]: s for s in config()["stages"]}
    stages = []
    for number in MAIN_LINE:
        steps = flow["stages"].get(str(number), [])
        stage = stages_config[number]
        stages.append(
            StageReport(
                number=number,
                name=stage["name"],
                lead=stage["lead"],
                limit_days=_stage_limit(steps),
                items=[s["item"] for s in steps],
                timeout_consent=number in flow.get("timeout_consent", []),
            )
        )
    return FlowReport(
        code=flow["code"],
        name=flow["name"],
        stages=stages,
        total_days=sum(s.limit_days for s in stages),
        item_count=len({i for s in stages for i in s.items}),
    )


@dataclass(frozen=True)
class SystemReport:
    label: str
    approval_items: int
    categories: list[FlowReport]
    max_days: int
    min_days: int


def report() -> tuple[SystemReport, SystemReport]:
    """(after the reform, before it): item counts and main-line totals per category."""
    data = config()
    after_items = set(data["approval_items"])
    before_items = after_items | set(data["cancelled_items"])
    problems = [p for f in data["categories"] for p in check_flow(f, after_items)]
    problems += check_flow(data["before"], before_items)
    if problems:
        raise ValueError("construction configuration: " + "; ".join(problems))
    after = [flow_report(f) for f in data["categories"]]
    before = [flow_report(data["before"])]
    return (
        SystemReport(
            "after",
            len(after_items),
            after,
            max(f.total_days for f in after),
            min(f.total_days for f in after),
        ),
        SystemReport(
            "before",
            len(before_items),
            before,
            max(f.total_days for f in before),
            min(f.total_days for f in before),
        ),
    )


def missing_from_catalog(session: Session) -> list[str]:
    """Approval items of the configuration that the catalog does not hold."""
    names = set(config()["approval_items"])
    held = set(session.scalars(select(ServiceItem.name).where(ServiceItem.name.in_(names))))
    return sorted(names - held)


def catalog_additions(
    csv_departments: dict[str, tuple[str, str, int | None]],
) -> list[dict[str, Any]]:
    """Approval items the reference CSV lacks: (name, department, type, legal days, stage)."""
    data = config()
    known = {
        i["name"]: (i["department"], i["item_type"], i["legal_days"])
        for i in data["new_catalog_items"]
    }
    known.update(csv_departments)
    rows = [dict(i) for i in data["new_catalog_items"]]
    for name in data["approval_items"]:
        if name in known or "(" not in name:
            continue
        base = name.rsplit("(", 1)[0]
        if base not in known:
            raise ValueError(f"variant {name} has no base item")
        department, item_type, legal = known[base]
        rows.append(
            {"name": name, "department": department, "item_type": item_type, "legal_days": legal}
        )
    return rows
