"""Turn cases into ready-to-show values (API schemas and page rows); personal data masked."""

from __future__ import annotations

from citybrain.core.logging import mask_text
from citybrain.governance import classify, rules, schemas
from citybrain.governance.dedupe import Candidate
from citybrain.governance.models import Case
from citybrain.governance.service import Clock


def category_out(category: rules.Category) -> schemas.CategoryOut:
    return schemas.CategoryOut(
        code=category.code,
        kind=category.kind,
        major=category.major,
        name=category.name,
        gb2026_code=category.gb2026_code,
        department=category.department,
        duty_rule=category.duty_rule.value,
        time_limit=category.time_limit,
        time_unit=category.time_unit.value,
        time_limit_published=category.time_limit_published,
    )


def case_out(case: Case, clock: Clock) -> schemas.CaseOut:
    category = rules.categories().get(case.category_code or "")
    status = rules.CaseStatus(case.status)
    return schemas.CaseOut(
        id=case.id,
        channel=case.channel,
        status=case.status,
        status_label=rules.STATUS_LABELS[status][0],
        category_code=case.category_code,
        category_name=category.name if category else None,
        suggested_category_code=case.suggested_category_code,
        category_confidence=case.category_confidence,
        needs_triage=case.needs_triage,
        description=mask_text(case.description),
        address=mask_text(case.address),
        lon=case.lon,
        lat=case.lat,
        grid_cell_code=case.grid_cell_code,
        street_code=case.street_code,
        division_code=case.division_code,
        department_id=case.department_id,
        parent_id=case.parent_id,
        time_limit=case.time_limit,
        time_unit=case.time_unit,
        accepted_at=case.accepted_at,
        dispatched_at=case.dispatched_at,
        due_at=case.due_at,
        closed_at=case.closed_at,
        clock_percent=clock.percent,
        clock_state=clock.state.value if clock.state else None,
        escalation_level=case.escalation_level,
        rework_count=case.rework_count,
        extension_workdays=case.extension_workdays,
        rating=case.rating,
    )


def suggestion_out(suggestion: classify.Suggestion) -> schemas.SuggestionOut:
    category = suggestion.category
    return schemas.SuggestionOut(
        category_code=category.code,
        category_name=category.label,
        department=category.department,
        confidence=suggestion.confidence,
        confident=classify.is_confident(suggestion),
    )


def candidate_out(candidate: Candidate) -> schemas.CandidateOut:
    return schemas.CandidateOut(
        case_id=candidate.case_id,
        category_code=candidate.category_code,
        distance_m=candidate.distance_m,
        similarity=candidate.similarity,
        score=candidate.score,
        same_category=candidate.same_category,
        confident=candidate.confident,
    )


def rates_out(rates: rules.Rates) -> schemas.IndicatorsOut:
    return schemas.IndicatorsOut(
        due=rates.due,
        closed=rates.closed,
        closed_on_time=rates.closed_on_time,
        reworked=rates.reworked,
        extended=rates.extended,
        rated=rates.rated,
        satisfied=rates.satisfied,
        closure_rate=rates.closure_rate,
        on_time_rate=rates.on_time_rate,
        rework_rate=rates.rework_rate,
        extension_rate=rates.extension_rate,
        satisfaction_rate=rates.satisfaction_rate,
    )
