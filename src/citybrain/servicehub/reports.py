"""四减 across the city: every bundle's steps, materials, days and trips, separately vs bundled.

Each bundle is counted with every member chosen (the most a situation can ask for) and
for an applicant who holds no e-licence yet, so the figures are what the bundle saves at
least; a bundle's plan (``bundles.plan``) gives the figures for one applicant's answers.
The department figures (on-time rate, working days, 好差评) are in ``metrics``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from citybrain.identity import service as identity_service
from citybrain.servicehub import bundles
from citybrain.servicehub.models import Bundle

MEASURES = ("applications", "steps", "materials", "days", "trips")


@dataclass(frozen=True)
class BundleReductions:
    bundle_id: int
    code: str
    name: str
    audience: str
    generated: bool
    lead_department_id: int
    lead_department_name: str
    items: int
    departments: int
    separately: dict[str, int]
    bundled: dict[str, int]
    saved: dict[str, int]


@dataclass(frozen=True)
class CityReductions:
    bundles: int
    separately: dict[str, int]
    bundled: dict[str, int]
    saved: dict[str, int]
    saved_share: dict[str, float | None]  # saved / separately
    rows: list[BundleReductions]


def bundle_reductions(bundle: Bundle, department_names: dict[int, str]) -> BundleReductions:
    """One bundle's 四减 with every member chosen and no e-licence held."""
    items = [m.item for m in bundle.members]
    materials = bundles.plan_materials(items, held={})
    found = bundles.reductions(items, materials.values(), limit_days=bundles.limit_days(bundle))
    return BundleReductions(
        bundle_id=bundle.id,
        code=bundle.code,
        name=bundle.name,
        audience=bundle.audience,
        generated=bundles.is_generated(bundle),
        lead_department_id=bundle.lead_department_id,
        lead_department_name=department_names.get(bundle.lead_department_id, ""),
        items=len(items),
        departments=len({i.department_id for i in items}),
        separately=found.separately,
        bundled=found.bundled,
        saved={k: found.separately[k] - found.bundled[k] for k in MEASURES},
    )


def city_reductions(
    session: Session, *, generated: bool | None = None, department_id: int | None = None
) -> CityReductions:
    """Totals and per-bundle rows; optionally only generated / modelled bundles, or those
    a department takes part in."""
    names = {d.id: d.name for d in identity_service.list_departments(session)}
    rows = []
    for bundle in bundles.list_bundles(session):
        if generated is not None and bundles.is_generated(bundle) is not generated:
            continue
        if department_id is not None and department_id not in {
            m.item.department_id for m in bundle.members
        }:
            continue
        rows.append(bundle_reductions(bundle, names))
    return totals(rows)


def totals(rows: Sequence[BundleReductions]) -> CityReductions:
    separately = {k: sum(r.separately[k] for r in rows) for k in MEASURES}
    bundled = {k: sum(r.bundled[k] for r in rows) for k in MEASURES}
    saved = {k: separately[k] - bundled[k] for k in MEASURES}
    return CityReductions(
        bundles=len(rows),
        separately=separately,
        bundled=bundled,
        saved=saved,
        saved_share={
            k: round(saved[k] / separately[k], 3) if separately[k] else None for k in MEASURES
        },
        rows=list(rows),
    )


def reductions_csv(report: CityReductions) -> str:
    """One row per bundle: separately, bundled and saved for each measure."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    head = ["code", "name", "audience", "generated", "lead_department", "items", "departments"]
    for part in ("separately", "bundled", "saved"):
        head += [f"{part}_{k}" for k in MEASURES]
    writer.writerow(head)
    for row in report.rows:
        line: list[object] = [
            row.code,
            row.name,
            row.audience,
            int(row.generated),
            row.lead_department_name,
            row.items,
            row.departments,
        ]
        for figures in (row.separately, row.bundled, row.saved):
            line += [figures[k] for k in MEASURES]
        writer.writerow(line)
    return buffer.getvalue()
