"""Generated demo bundles: the 一件事 beyond the hand-modelled ones, up to 300.

Zhengzhou counts 300 bundles; ``data/bundles.json`` models the published ones we could
source. The rest come from ``data/bundle_vocabulary.json``: life events (生育, 入园,
落户, 创业 …), business events (开办 / 迁址 / 注销 a kind of shop, 企业更名, 举办活动 …)
and construction-project kinds × main-line stages, each naming the catalog items that
take part. Every generated bundle is built the same way:

- members: the event's core items plus, drawn with a fixed seed, optional ones, 2–5 in
  all; the lead department is the department of the first core item;
- situation questions: the same rule as the hand-modelled bundles (``situation_questions``);
- dependency graph: an item waits for another only when it needs that item's result
  (``prerequisites``), so the bundle limit is the longest path through it;
- code ``G…`` and ``source`` "generated", so pages and reports tell them apart.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from citybrain.servicehub import construction, rules
from citybrain.servicehub.bundles import GENERATED_PREFIX
from citybrain.servicehub.models import Bundle, BundleMember, ServiceItem

MIN_MEMBERS = 2
MAX_MEMBERS = 5
SOURCE = "generated: data/bundle_vocabulary.json"
# Variants of an item in the vocabulary: "works_plan:变更" is "建设工程规划许可证核发(变更)".
VARIANT_SEPARATOR = ":"


@dataclass(frozen=True)
class Draft:
    """One bundle to generate: its name, audience, items always in it and optional ones."""

    name: str
    audience: str
    core: tuple[str, ...]
    extra: tuple[str, ...]
    template: str


def vocabulary() -> dict[str, Any]:
    path = resources.files("citybrain.servicehub").joinpath("data/bundle_vocabulary.json")
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def item_name(vocab: Mapping[str, Any], alias: str) -> str:
    """The catalog name behind an alias (``alias:变更`` adds the variant in brackets)."""
    base, _, variant = alias.partition(VARIANT_SEPARATOR)
    name = str(vocab["items"][base])
    return f"{name}({variant})" if variant else name


def drafts(vocab: Mapping[str, Any]) -> list[Draft]:
    """Every bundle the vocabulary describes, in a fixed order (events, shops, projects)."""
    found: list[Draft] = []

    def add(name: str, audience: str, core: Iterable[str], extra: Iterable[str], how: str) -> None:
        core_names = tuple(dict.fromkeys(item_name(vocab, a) for a in core))
        extra_names = tuple(
            n for n in dict.fromkeys(item_name(vocab, a) for a in extra) if n not in core_names
        )
        found.append(Draft(name, audience, core_names, extra_names, how))

    for event in vocab["events"]:
        add(event["name"], event["audience"], event["core"], event["extra"], "event")
    for venue in vocab["venues"]:
        register, deregister = vocab["registration"][venue["form"]]
        company = venue["form"] != "individual" and venue["form"] != "cooperative"
        if venue.get("open", True):
            add(
                f"开办{venue['venue']}",
                "企业",
                [register, *venue["core"]],
                venue["extra"],
                "open",
            )
        if company:
            add(
                f"{venue['venue']}迁址",
                "企业",
                ["chg_address", *venue.get("changes", [])],
                ["chg_name", "chg_scope", "sign", "fund_unit_change"],
                "move",
            )
        add(
            f"{venue['venue']}注销",
            "企业",
            [deregister, "tax_clear", *venue.get("cancels", [])],
            ["fund_unit_change"] if company else [],
            "close",
        )
    for project in vocab["projects"]:
        for stage in vocab["project_stages"]:
            add(
                stage["name"].format(kind=project["kind"]),
                "企业",
                stage["core"],
                [*project["extra"].get(stage["stage"], []), *stage["extra"]],
                f"project:{stage['stage']}",
            )
    return found


def choose_members(draft: Draft, rng: random.Random) -> list[str]:
    """The core items and a seeded draw of optional ones, 2–5 in all, in vocabulary order."""
    room = MAX_MEMBERS - len(draft.core)
    if room < 0 or len(draft.core) + len(draft.extra) < MIN_MEMBERS:
        raise ValueError(f"bundle {draft.name} cannot have {MIN_MEMBERS}–{MAX_MEMBERS} items")
    low = max(MIN_MEMBERS - len(draft.core), 0)
    high = min(room, len(draft.extra))
    drawn = set(rng.sample(draft.extra, rng.randint(low, high)))
    return [*draft.core, *(name for name in draft.extra if name in drawn)]


def waits_for(vocab: Mapping[str, Any]) -> dict[str, set[str]]:
    """Item name → the items whose result it needs: the vocabulary's and the construction flows'."""
    result: dict[str, set[str]] = {}
    for alias, before in vocab["after"].items():
        result.setdefault(item_name(vocab, alias), set()).update(
            item_name(vocab, b) for b in before
        )
    config = construction.config()
    for category in config["categories"]:
        for steps in category["stages"].values():
            for step in steps:
                result.setdefault(step["item"], set()).update(step["after"])
    return result


def _base_and_variant(name: str) -> tuple[str, str]:
    for variant in ("(变更)", "(延续)"):
        if name.endswith(variant):
            return name[: -len(variant)], variant
    return name, ""


def prerequisites(
    members: Sequence[ServiceItem],
    after: Mapping[str, set[str]],
    *,
    opening: Set[str],
    closing: Set[str],
) -> dict[int, list[int]]:
    """Which members wait for which (item ids): only where one needs another's result.

    Registering the business (``opening``: 设立登记) comes before everything else; a
    registration change (变更登记) before the permits it affects; closing the business
    (``closing``: 注销登记 of an enterprise or 个体工商户) after everything else; an item
    waits for a member issuing an e-licence that replaces one of its materials; and for
    the waits the vocabulary and the construction flows name (variants pair up: a 变更
    waits for the 变更 of what the original waits for).
    """
    requires: dict[int, set[int]] = {m.id: set() for m in members}
    for item in members:
        needs = {rules.licence_for_material(m.name) for m in item.materials} - {None}
        base, variant = _base_and_variant(item.name)
        for other in members:
            if other.id == item.id:
                continue
            other_base, other_variant = _base_and_variant(other.name)
            if (
                (other.name in opening and item.name not in opening)
                or (
                    other.name.endswith("变更登记")
                    and not item.name.endswith("变更登记")
                    and item.name not in opening
                )
                or (item.name in closing and other.name not in closing)
                or (other.licence_type is not None and other.licence_type in needs)
                or (variant == other_variant and other_base in after.get(base, ()))
            ):
                requires[item.id].add(other.id)
    return {key: sorted(value) for key, value in requires.items()}


def load(session: Session, *, first_number: int, taken_names: set[str], total: int) -> int:
    """Add generated bundles numbered from ``first_number`` until ``total`` exist."""
    vocab = vocabulary()
    rng = random.Random(vocab["seed"])
    after = waits_for(vocab)
    opening = {item_name(vocab, pair[0]) for pair in vocab["registration"].values()}
    closing = {item_name(vocab, alias) for alias in vocab["closing"]}
    by_name: dict[str, ServiceItem] = {}
    for item in session.scalars(
        select(ServiceItem).options(selectinload(ServiceItem.materials)).order_by(ServiceItem.id)
    ):
        by_name.setdefault(item.name, item)
    taken = {_plain(name) for name in taken_names}
    wanted = total - first_number + 1
    added = 0
    for draft in drafts(vocab):
        if added == wanted:
            break
        if _plain(draft.name) in taken:
            continue
        taken.add(_plain(draft.name))
        names = choose_members(draft, rng)
        missing = [n for n in names if n not in by_name]
        if missing:
            raise LookupError(f"bundle {draft.name}: no catalog item {missing[0]}")
        members = [by_name[n] for n in names]
        requires = prerequisites(members, after, opening=opening, closing=closing)
        try:
            rules.longest_path({m.id: m.promised_days for m in members}, requires)
        except ValueError as error:
            raise ValueError(f"bundle {draft.name}: {error}") from error
        questions, conditions = situation_questions(draft.name, names)
        bundle = Bundle(
            code=f"{GENERATED_PREFIX}{first_number + added:03d}",
            name=draft.name,
            audience=draft.audience,
            lead_department_id=members[0].department_id,
            questions=questions,
            source=SOURCE,
            note=f"demo: generated ({draft.template}), seed {vocab['seed']}",
        )
        bundle.members = [
            BundleMember(
                item_id=item.id,
                position=position,
                condition=conditions.get(item.name),
                requires=requires[item.id],
            )
            for position, item in enumerate(members)
        ]
        session.add(bundle)
        added += 1
    if added < wanted:
        raise ValueError(f"the bundle vocabulary yields {added} bundles, {wanted} wanted")
    return added


def situation_questions(name: str, items: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Situation questions and, per item name, the answer that selects it.

    A bundle that starts a business asks whether a business licence is already held
    (else which registration); every further item after the first is a yes/no question.
    """
    questions: list[dict[str, Any]] = []
    conditions: dict[str, Any] = {}
    registrations = [i for i in items if i.endswith("设立登记")]
    if len(registrations) > 1 or (registrations and name.startswith("开办")):
        options = [{"value": "held", "label": "已有营业执照", "label_en": "Already licensed"}]
        for n, item in enumerate(registrations):
            options.append(
                {"value": f"r{n}", "label": f"新办：{item}", "label_en": "Register a new business"}
            )
            conditions[item] = {"question": "registration", "values": [f"r{n}"]}
        questions.append(
            {
                "key": "registration",
                "text": "是否已经取得营业执照？",
                "text_en": "Does the business already hold a business licence?",
                "options": options,
            }
        )
    rest = [i for i in items if i not in registrations]
    for n, item in enumerate(rest[1:], start=1):
        key = f"need_{n}"
        questions.append(
            {
                "key": key,
                "text": f"是否需要办理：{item}？",
                "text_en": f"Do you need item {n + 1} of this bundle?",
                "options": [
                    {"value": "yes", "label": "需要", "label_en": "Yes"},
                    {"value": "no", "label": "不需要", "label_en": "No"},
                ],
            }
        )
        conditions[item] = {"question": key, "values": ["yes"]}
    return questions, conditions


def _plain(name: str) -> str:
    """A bundle name without the 一件事 suffix, to keep near-duplicates apart."""
    return name.removesuffix("一件事").strip()
