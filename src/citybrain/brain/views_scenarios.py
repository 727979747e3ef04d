"""The scenario inventory over the platform's own API (``/api/v1/brain``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from citybrain.brain import indicators, scenarios
from citybrain.identity.dependencies import StaffActor
from citybrain.runtime import ReadSession

router = APIRouter(prefix="/api/v1/brain", tags=["brain"])


@router.get("/domains", summary="The 14 scenario domains (领域) with scenario counts")
def list_domains(actor: StaffActor) -> list[dict[str, Any]]:
    return scenarios.domains()


@router.get("/scenarios", summary="Application scenarios (应用场景), optionally of one domain")
def list_scenarios(
    actor: StaffActor,
    domain: Annotated[str | None, Query(max_length=40, description="Domain code.")] = None,
) -> list[dict[str, Any]]:
    return scenarios.list_scenarios(domain=domain)


@router.get("/scenarios/{scenario_id}", summary="One scenario manifest")
def get_scenario(
    scenario_id: Annotated[str, Path(max_length=60)], actor: StaffActor
) -> dict[str, Any]:
    return scenarios.get_scenario_or_raise(scenario_id)


@router.get("/indicators/{indicator_id}", summary="An indicator with drill-down by area")
def get_indicator(
    indicator_id: Annotated[str, Path(max_length=60, description="e.g. emergency-01.1")],
    session: ReadSession,
    actor: StaffActor,
    level: Annotated[
        str, Query(max_length=12, description="city, division, street or grid_cell.")
    ] = "division",
    parent: Annotated[
        str | None, Query(max_length=20, description="Code of the area one level up.")
    ] = None,
) -> dict[str, Any]:
    return indicators.compute(session, indicator_id=indicator_id, level=level, parent=parent)
