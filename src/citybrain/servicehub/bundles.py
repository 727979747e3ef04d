"""One-thing bundles (一件事): questions choose items; one form, one material list."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from citybrain.core.errors import DomainError, not_found
from citybrain.core.security import Actor, ActorKind
from citybrain.identity import service as identity_service
from citybrain.servicehub import licences as licence_service
from citybrain.servicehub import rules
from citybrain.servicehub.models import Bundle, BundleMember, Licence, ServiceItem
from citybrain.servicehub.schemas import BundlePlan, PlanMaterial, PlanMember, Reductions

GENERATED_PREFIX = "G"  # code prefix of generated demo bundles (demo_bundles.py)
STEPS_PER_APPLICATION = 2  # apply, collect the result


def list_bundles(session: Session, *, audience: str | None = None) -> list[Bundle]:
    statement = (
        select(Bundle)
        .options(selectinload(Bundle.members).selectinload(BundleMember.item))
        .order_by(Bundle.id)
    )
    if audience:
        statement = statement.where(Bundle.audience == audience)
    return list(session.scalars(statement))


def count_bundles(session: Session) -> int:
    return session.scalar(select(func.count(Bundle.id))) or 0


def get_bundle_or_raise(session: Session, bundle_id: int) -> Bundle:
    bundle = session.get(Bundle, bundle_id)
    if bundle is None:
        raise not_found("servicehub.bundle_not_found", "一件事", "Bundle")
    return bundle


def get_bundle_by_name(session: Session, name: str) -> Bundle | None:
    return session.scalar(select(Bundle).where(Bundle.name == name))


def complete_answers(bundle: Bundle, answers: Mapping[str, str], *, strict: bool) -> dict[str, str]:
    """Answers for every question; unknown values are 422, missing ones too when strict."""
    result: dict[str, str] = {}
    known = {q["key"] for q in bundle.questions}
    for key in answers:
        if key not in known:
            raise DomainError(
                "servicehub.unknown_question",
                f"没有这个问题：{key}",
                f"No such question: {key}",
                status=422,
                question=key,
            )
    for question in bundle.questions:
        answer = answers.get(question["key"])
        if answer is None:
            if strict:
                raise DomainError(
                    "servicehub.answer_missing",
                    f"请回答：{question['text']}",
                    f"Please answer: {question['text_en']}",
                    status=422,
                    question=question["key"],
                )
            answer = question.get("default") or question.get("options", [{}])[0].get("value", "")
        if not _answer_ok(question, answer):
            raise DomainError(
                "servicehub.answer_invalid",
                f"答案无效：{question['text']}",
                f"Invalid answer to: {question['text_en']}",
                status=422,
                question=question["key"],
            )
        result[question["key"]] = answer
    return result


def _answer_ok(question: Mapping[str, Any], answer: str) -> bool:
    if question.get("type") == "number":
        try:
            value = float(answer)
        except ValueError:
            return False
        return 0 <= value <= question.get("maximum", 1_000_000)
    return answer in [o["value"] for o in question["options"]]


def _holds(condition: Mapping[str, Any], answers: Mapping[str, str]) -> bool:
    """A member's condition: {"question", "values"} | {"question", "min"} | {"all": [...]}."""
    if "all" in condition:
        return all(_holds(part, answers) for part in condition["all"])
    answer = answers.get(condition["question"])
    if answer is None:
        return False
    if "min" in condition:
        try:
            return float(answer) >= float(condition["min"])
        except ValueError:
            return False
    return answer in condition["values"]


def chosen_members(bundle: Bundle, answers: Mapping[str, str]) -> list[BundleMember]:
    return [m for m in bundle.members if m.condition is None or _holds(m.condition, answers)]


def _holder(session: Session, actor: Actor | None) -> tuple[int | None, int | None]:
    if actor is None:
        return None, None
    if actor.kind is ActorKind.enterprise:
        return None, actor.enterprise_id
    if actor.kind is ActorKind.person:
        return actor.person_id, None
    return None, None


def _material_key(name: str, replaced_by: str | None) -> str:
    if replaced_by == "form":
        return "merged_form"
    if replaced_by:
        return f"licence_{replaced_by}"
    return name.replace("(共享)", "").replace("（共享）", "").strip()


def plan(
    session: Session,
    *,
    bundle: Bundle,
    answers: Mapping[str, str],
    actor: Actor | None,
    today: date,
    strict: bool = False,
) -> BundlePlan:
    """What applying means for this caller: items, one form, materials, days, reductions."""
    answers = complete_answers(bundle, answers, strict=strict)
    members = chosen_members(bundle, answers)
    if not members:
        raise DomainError(
            "servicehub.nothing_chosen",
            "所选情形不涉及任何事项",
            "Your answers select no item",
            status=422,
        )
    person_id, enterprise_id = _holder(session, actor)
    held: dict[str, Licence] = licence_service.holdings(
        session, person_id=person_id, enterprise_id=enterprise_id, on=today
    )
    departments = {d.id: d.name for d in identity_service.list_departments(session)}
    items: list[ServiceItem] = [m.item for m in members]
    materials = plan_materials(items, held)
    fields = rules.merge_fields([item.form_fields for item in items])
    durations, requires = graph(members)
    limit = rules.longest_path(durations, requires)
    return BundlePlan(
        bundle_id=bundle.id,
        name=bundle.name,
        questions=bundle.questions,
        answers=answers,
        lead_department_id=bundle.lead_department_id,
        departments=sorted({departments.get(i.department_id, "") for i in items}),
        members=[
            PlanMember(
                item_id=m.item_id,
                name=m.item.name,
                department_id=m.item.department_id,
                department_name=departments.get(m.item.department_id, ""),
                promised_days=m.item.promised_days,
                requires=requires[m.item_id],
            )
            for m in members
        ],
        form_schema=rules.json_schema(fields),
        prefill=_prefill(session, fields, person_id, enterprise_id, held),
        materials=list(materials.values()),
        limit_days=limit,
        reductions=reductions(items, materials.values(), limit_days=limit),
    )


def graph(members: Sequence[BundleMember]) -> tuple[dict[int, int], dict[int, list[int]]]:
    """Promised days per member item and what each waits for, among these members."""
    chosen = {m.item_id for m in members}
    durations = {m.item_id: m.item.promised_days for m in members}
    requires = {m.item_id: [r for r in m.requires if r in chosen] for m in members}
    return durations, requires


def limit_days(bundle: Bundle) -> int:
    """The bundle's limit with every member chosen: the longest path through its graph."""
    return rules.longest_path(*graph(bundle.members))


def is_generated(bundle: Bundle) -> bool:
    """A generated demo bundle (code G…), not one modelled on a published bundle."""
    return bundle.code.startswith(GENERATED_PREFIX)


def plan_materials(
    items: Sequence[ServiceItem], held: Mapping[str, Licence]
) -> dict[str, PlanMaterial]:
    """The members' materials de-duplicated, each with how it is satisfied."""
    materials: dict[str, PlanMaterial] = {}
    for item in items:
        for material in item.materials:
            key = _material_key(material.name, material.replaced_by)
            if key in materials:
                materials[key].items.append(item.name)
                continue
            status, licence = "needed", None
            if material.replaced_by == "form":
                status = "form"
            elif material.replaced_by and material.replaced_by in held:
                status, licence = "licence", held[material.replaced_by]
            elif material.necessity == "容缺后补":
                status = "deferred"
            elif material.necessity == "非必要":
                status = "optional"
            name = "一表申请（合并表单）" if key == "merged_form" else material.name
            materials[key] = PlanMaterial(
                key=key[:64],
                name=name,
                status=status,
                licence_id=licence.id if licence else None,
                licence_name=rules.LICENCE_TYPES[licence.type_code][0] if licence else "",
                items=[item.name],
            )
    return materials


def reductions(
    items: Sequence[ServiceItem], materials: Iterable[PlanMaterial], *, limit_days: int
) -> Reductions:
    """四减: applications, steps, materials, days and trips, separately versus bundled."""
    needed = [m for m in materials if m.status in ("needed", "deferred")]
    return Reductions(
        separately={
            "applications": len(items),
            "steps": STEPS_PER_APPLICATION * len(items),
            "materials": sum(len(item.materials) for item in items),
            "days": sum(item.promised_days for item in items),
            "trips": sum(
                item.visits + (0 if item.online_level >= rules.ONLINE_FROM_LEVEL else 1)
                for item in items
            ),
        },
        bundled={
            "applications": 1,
            "steps": STEPS_PER_APPLICATION,
            "materials": len(needed),
            "days": limit_days,
            "trips": max((item.visits for item in items), default=0),
        },
    )


def _prefill(
    session: Session,
    fields: list[dict[str, Any]],
    person_id: int | None,
    enterprise_id: int | None,
    held: Mapping[str, Licence],
) -> dict[str, Any]:
    """Values the city already knows: the applicant's name, the licensed business name."""
    known: dict[str, Any] = {}
    if person_id is not None:
        known["applicant_name"] = identity_service.get_person_or_raise(session, person_id).name
    business = held.get("business_licence")
    if business is not None:
        known["business_name"] = business.payload.get("business_name", "")
        known["business_address"] = business.payload.get("business_address", "")
    return {f["key"]: known[f["key"]] for f in fields if known.get(f["key"])}
