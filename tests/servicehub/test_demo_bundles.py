"""The demo catalog's 300 bundles: hand-modelled plus generated, every one consistent."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import jsonschema
from sqlalchemy.orm import Session

from citybrain.identity import service as identity_service
from citybrain.servicehub import bundles, catalog, demo, demo_bundles, rules
from citybrain.servicehub.models import ItemMaterial, ServiceItem

TODAY = date(2025, 6, 2)


def _longest_path_by_topological_order(
    durations: dict[int, int], requires: dict[int, list[int]]
) -> int:
    """Kahn's algorithm, independent of rules.longest_path; fails on a cycle."""
    waiting = {node: set(requires[node]) for node in durations}
    finish: dict[int, int] = {}
    ready = [node for node, before in waiting.items() if not before]
    while ready:
        node = ready.pop()
        finish[node] = max((finish[p] for p in requires[node]), default=0) + durations[node]
        for other, before in waiting.items():
            if node in before:
                before.discard(node)
                if not before and other not in finish:
                    ready.append(other)
    assert len(finish) == len(durations), "dependency cycle"
    return max(finish.values(), default=0)


def test_the_demo_catalog_holds_300_consistent_bundles(hub: Session) -> None:
    listed = bundles.list_bundles(hub)
    assert len(listed) == demo.DEMO_BUNDLES == 300
    names = [b.name for b in listed]
    assert len(set(names)) == 300, [n for n, c in Counter(names).items() if c > 1]
    plain = {n.removesuffix("一件事") for n in names}
    assert len(plain) == 300
    generated = [b for b in listed if bundles.is_generated(b)]
    assert len(generated) == 300 - 37
    assert all(b.source.startswith("generated") for b in generated)
    assert not any(b.source.startswith("generated") for b in listed if b not in generated)

    departments = {d.id: d.name for d in identity_service.list_departments(hub)}
    validator = jsonschema.Draft202012Validator
    for bundle in listed:
        members = bundle.members
        items = [m.item for m in members]
        durations, requires = bundles.graph(members)
        assert bundles.limit_days(bundle) == _longest_path_by_topological_order(
            durations, requires
        ), bundle.name
        for item in items:
            row = catalog.item_row(item, departments[item.department_id])
            assert rules.check_item(row) == [], (bundle.name, item.name)
        schema = rules.json_schema(rules.merge_fields([i.form_fields for i in items]))
        validator.check_schema(schema)
        if bundle in generated:
            assert 2 <= len(members) <= 5, bundle.name
            assert bundle.lead_department_id in {i.department_id for i in items}
            assert bundle.code.startswith("G")
            # every member after the first is chosen by a situation question
            keys = {q["key"] for q in bundle.questions}
            for member in members:
                if member.condition is not None:
                    assert member.condition["question"] in keys


def test_a_generated_bundle_plans_like_a_modelled_one(hub: Session) -> None:
    bundle = bundles.get_bundle_by_name(hub, "开办美容美发店")
    assert bundle is not None and bundles.is_generated(bundle)
    registration = next(m for m in bundle.members if m.item.name == "个体工商户设立登记")
    health = next(m for m in bundle.members if m.item.name == "公共场所卫生许可")
    assert health.requires == [registration.item_id]  # the permit needs the licence
    answers = {q["key"]: q["options"][-1]["value"] for q in bundle.questions}
    answers |= {q["key"]: "yes" for q in bundle.questions if q["key"].startswith("need_")}
    plan = bundles.plan(hub, bundle=bundle, answers=answers, actor=None, today=TODAY)
    assert {m.item_id for m in plan.members} == {m.item_id for m in bundle.members}
    assert plan.limit_days == bundles.limit_days(bundle)
    assert plan.reductions.bundled["applications"] == 1
    jsonschema.Draft202012Validator.check_schema(plan.form_schema)


def test_generation_is_deterministic_and_drafts_fit() -> None:
    vocab = demo_bundles.vocabulary()
    drafts = demo_bundles.drafts(vocab)
    first = [demo_bundles.choose_members(d, random.Random(vocab["seed"])) for d in drafts[:20]]
    again = [demo_bundles.choose_members(d, random.Random(vocab["seed"])) for d in drafts[:20]]
    assert first == again
    rng = random.Random(1)
    for draft in drafts:
        chosen = demo_bundles.choose_members(draft, rng)
        assert 2 <= len(chosen) <= 5 and chosen[: len(draft.core)] == list(draft.core)


def _item(item_id: int, name: str, licence: str | None = None, *materials: str) -> ServiceItem:
    item = ServiceItem(id=item_id, name=name, licence_type=licence)
    item.materials = [ItemMaterial(name=m) for m in materials]
    return item


def test_prerequisites_only_where_one_needs_anothers_result() -> None:
    opening, closing = {"个体工商户设立登记"}, {"个体工商户注销登记"}
    after = {"建筑工程施工许可证核发": {"特殊建设工程消防设计审查"}}
    shop = [
        _item(1, "个体工商户设立登记", "business_licence"),
        _item(2, "公共场所卫生许可", "approval_document", "营业执照"),
        _item(3, "店招标牌(门头牌匾)设置"),
    ]
    assert demo_bundles.prerequisites(shop, after, opening=opening, closing=closing) == {
        1: [],
        2: [1],
        3: [1],
    }
    closing_shop = [
        _item(4, "个体工商户注销登记"),
        _item(5, "税务注销(清税证明)"),
        _item(6, "食品经营许可注销"),
    ]
    assert demo_bundles.prerequisites(closing_shop, after, opening=opening, closing=closing) == {
        4: [5, 6],
        5: [],
        6: [],
    }
    changes = [
        _item(7, "建筑工程施工许可证核发(变更)"),
        _item(8, "特殊建设工程消防设计审查(变更)"),
        _item(9, "特殊建设工程消防设计审查"),  # the original, not a variant: no wait
        _item(10, "食品经营许可(新办)", "food_business_licence"),
        _item(11, "企业住所(经营场所)变更登记"),
    ]
    assert demo_bundles.prerequisites(changes, after, opening=opening, closing=closing) == {
        7: [8, 11],
        8: [11],
        9: [11],
        10: [11],
        11: [],
    }
    # a material replaced by a member's e-licence makes its item wait for that member
    licensed = [_item(12, "结婚登记", "marriage_certificate"), _item(13, "落户", None, "结婚证")]
    assert demo_bundles.prerequisites(licensed, {}, opening=set(), closing=set())[13] == [12]
