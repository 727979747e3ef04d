"""The demo catalog: 544 items (475 in the app), the bundles and some e-licences.

223 items come from ``data/service_items.csv`` (high-frequency items with their legal
limits); the rest are generated per department from a few common item kinds, every
one passing the consistency rules. Bundles come from ``data/bundles.json`` (modelled on
published ones) and ``demo_bundles`` (generated up to 300).
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from importlib import resources
from typing import Any

from sqlalchemy.orm import Session

from citybrain.core.security import SYSTEM, Actor, Role
from citybrain.identity import service as identity_service
from citybrain.identity.models import Department
from citybrain.servicehub import catalog, construction, demo_bundles, licences, rules
from citybrain.servicehub.models import Bundle, BundleMember, ServiceItem
from citybrain.servicehub.schemas import ItemIn

DEMO_ITEMS = 544
DEMO_APP_ITEMS = 475
DEMO_BUNDLES = 300  # hand-modelled (data/bundles.json, 1+X) plus generated
# 1+X: catering premises from this floor area also need the fire-safety inspection.
FIRE_CHECK_FLOOR_M2 = 300
LOADER = Actor(kind=SYSTEM.kind, id="demo", name="演示数据", role=Role.admin)
LEVELS = {"Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4}
TYPE_DIGITS = {name: str(n) for n, name in enumerate(rules.ITEM_TYPES, start=1)}
# Bodies the reference data names that the demo city folds into a department.
DEPARTMENT_ALIASES = {
    "郑州市公安局交通警察支队": "郑州市公安局",
    "郑州市公安局出入境管理支队": "郑州市公安局",
    "郑州市残疾人联合会": "郑州市民政局",
    "郑州市劳动人事争议仲裁委员会": "郑州市人力资源和社会保障局",
    "中共郑州市委宣传部(新闻出版)": "郑州市文化广电和旅游局",
    "郑州市烟草专卖局": "郑州市商务局",
    "国网郑州供电公司": "郑州市城市管理局",
    "郑州水务集团": "郑州市城市管理局",
    "燃气企业": "郑州市城市管理局",
}
LICENCE_BY_NAME: tuple[tuple[str, str], ...] = (
    ("设立登记", "business_licence"),
    ("食品经营许可(新办)", "food_business_licence"),
    ("消防安全检查", "fire_safety_permit"),
    ("户外广告", "outdoor_sign_permit"),
    ("排入排水管网许可", "drainage_permit"),
    ("结婚登记", "marriage_certificate"),
    ("出生医学证明", "birth_certificate"),
)
# Registrations (设立登记) that do not create a business, so issue no business licence.
NOT_A_BUSINESS = ("股权出质",)
FIELDS: dict[str, dict[str, Any]] = {
    "applicant_name": {"title": "申请人姓名", "title_en": "Applicant name", "max_length": 64},
    "contact_phone": {
        "title": "联系电话",
        "title_en": "Contact phone",
        "max_length": 11,
        "pattern": r"^1[3-9]\d{9}$",
    },
    "business_name": {"title": "经营者名称", "title_en": "Business name", "max_length": 128},
    "business_address": {"title": "经营场所地址", "title_en": "Business address"},
    "business_scope": {"title": "经营范围", "title_en": "Business scope"},
    "business_area_m2": {
        "title": "经营场所面积（平方米）",
        "title_en": "Floor area (m²)",
        "type": "number",
    },
    "food_categories": {"title": "经营项目（热食类、冷食类等）", "title_en": "Food categories"},
    "fire_safety_manager": {
        "title": "消防安全责任人",
        "title_en": "Fire-safety manager",
        "max_length": 64,
    },
    "sign_location": {"title": "招牌设置位置", "title_en": "Sign location"},
    "sign_area_m2": {"title": "招牌面积（平方米）", "title_en": "Sign area (m²)", "type": "number"},
    "purpose": {"title": "申请事由", "title_en": "Purpose", "required": False, "max_length": 500},
}
FIELD_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("设立登记", ("business_name", "business_address", "business_scope")),
    ("食品", ("business_name", "business_address", "food_categories", "business_area_m2")),
    ("消防", ("business_name", "business_address", "business_area_m2", "fire_safety_manager")),
    ("户外广告", ("business_name", "sign_location", "sign_area_m2")),
    ("排水", ("business_name", "business_address")),
)
# Generated kinds: name suffix, type, legal, promised, level, visits, visit reason.
GENERATED = (
    ("政府信息依申请公开", "其他", 20, 15, 4, 0, ""),
    ("政策咨询服务", "公共服务", None, 0, 4, 0, ""),
    ("投诉建议办理", "公共服务", None, 10, 4, 0, ""),
    ("业务档案查询", "公共服务", None, 3, 3, 0, ""),
    ("证明材料开具", "行政确认", None, 5, 3, 1, "领取纸质证明并核验身份"),
    ("专项资金申报", "行政给付", None, 20, 3, 0, ""),
    ("表彰奖励申报", "行政奖励", None, 20, 2, 1, "提交推荐材料原件"),
    ("行政执法信息查询", "公共服务", None, 0, 1, 0, ""),
)


def _data(name: str) -> Any:
    return resources.files("citybrain.servicehub").joinpath(f"data/{name}")


def department_for(session: Session, name: str) -> Department:
    """A reference-data body as a demo department (brackets name the unit inside it)."""
    name = DEPARTMENT_ALIASES.get(name, name)
    department = identity_service.get_department_by_name(session, name)
    if department is None:
        department = identity_service.get_department_by_name(session, re.sub(r"\(.*\)$", "", name))
    if department is None:
        raise LookupError(f"no demo department for {name}")
    return department


def _fields(name: str, audience_enterprise: bool) -> list[dict[str, Any]]:
    keys = ["applicant_name", "contact_phone"]
    for word, extra in FIELD_WORDS:
        if word in name:
            keys.extend(k for k in extra if k not in keys)
    if len(keys) == 2:
        keys.append("purpose")
    return [{"key": k, **FIELDS[k]} for k in keys]


def _materials(text: str) -> list[dict[str, Any]]:
    rows = []
    for n, raw in enumerate(t.strip() for t in text.split(";") if t.strip()):
        shared = "(共享)" in raw or "（共享）" in raw
        replaced: str | None = None
        if rules.is_form_material(raw):
            replaced = "form"
        elif shared or rules.licence_for_material(raw) in ("business_licence", "resident_id"):
            replaced = rules.licence_for_material(raw)
        rows.append(
            {
                "key": f"m{n + 1}",
                "name": raw[:200],
                "source": "government" if shared else "applicant",
                "replaced_by": replaced,
                "necessity": "容缺后补" if "承诺" in raw else "必要",
            }
        )
    return rows


def _licence_type(name: str, item_type: str) -> str | None:
    for word, code in LICENCE_BY_NAME:
        if word in name and not name.startswith(NOT_A_BUSINESS):
            return code
    return "approval_document" if item_type == "行政许可" else None


def _row(department: Department, seq: int, **values: Any) -> dict[str, Any]:
    catalog_code = f"4101{TYPE_DIGITS[values['item_type']]}{department.id % 1000:03d}{seq:04d}"
    credit = department.credit_code or f"{department.id:018d}"
    legal, promised = values["legal_days"], values["promised_days"]
    level, visits = values["online_level"], values["visits"]
    has_fee = values.get("has_fee", False)
    licence_type = values.get("licence_type")
    result_type = (
        "出证办结"
        if licence_type
        else ("审批办结" if values["item_type"] == "行政许可" else "出文办结")
    )
    return {
        "catalog_code": catalog_code,
        "task_code": f"{credit}{catalog_code}000",
        "department": department.name,
        "handling_kind": "即办件" if promised == 0 else "承诺件",
        "mail_delivery": result_type == "出证办结" or (visits == 0 and level < 2),
        "online_payment": has_fee and level >= 3,
        "result_type": result_type,
        "result_name": rules.LICENCE_TYPES[licence_type][0] if licence_type else "",
        "process": "approval_parallel"
        if values["item_type"] == "行政许可" and promised >= 10
        else "approval_simple",
        "app_enabled": False,
        **values,
        "legal_days": legal,
    }


def catalog_rows(session: Session) -> list[dict[str, Any]]:
    """All demo items as import rows (deterministic)."""
    rows: list[dict[str, Any]] = []
    seq: dict[int, int] = {}
    with _data("service_items.csv").open(encoding="utf-8") as handle:
        for raw in csv.DictReader(handle):
            department = department_for(session, raw["department"])
            seq[department.id] = seq.get(department.id, 0) + 1
            legal = int(raw["legal_limit_workdays"]) if raw["legal_limit_workdays"] else None
            if raw["promised_limit_workdays"]:
                promised = int(raw["promised_limit_workdays"])
            else:
                promised = (
                    legal if legal is not None else (20 if raw["item_type"] == "行政许可" else 10)
                )
            visits = int(raw["visits"] or 0)
            fee = raw["fee"].strip()
            rows.append(
                _row(
                    department,
                    seq[department.id],
                    name=raw["name"],
                    item_type=raw["item_type"],
                    legal_basis=raw["note"][:500],
                    legal_days=legal,
                    promised_days=promised,
                    online_level=LEVELS[raw["online_level"]],
                    visits=visits,
                    visit_reason="现场核验原件、采集信息或领取证件" if visits else "",
                    has_fee=fee not in ("", "不收费") and "免费" not in fee,
                    fee_note=fee[:200],
                    licence_type=_licence_type(raw["name"], raw["item_type"]),
                    materials=_materials(raw["main_materials"]),
                    form_fields=_fields(raw["name"], False),
                    note="demo: promised limit = legal limit (Zhengzhou's own figure not available)"
                    if not raw["promised_limit_workdays"]
                    else "",
                )
            )
    rows.extend(_construction_rows(session, rows, seq))
    departments = identity_service.list_departments(session)
    kind = 0
    while len(rows) < DEMO_ITEMS:
        suffix, item_type, legal, promised, level, visits, reason = GENERATED[
            kind // len(departments) % len(GENERATED)
        ]
        department = departments[kind % len(departments)]
        kind += 1
        seq[department.id] = seq.get(department.id, 0) + 1
        rows.append(
            _row(
                department,
                seq[department.id],
                name=f"{department.short_name}{suffix}",
                item_type=item_type,
                legal_days=legal,
                promised_days=promised,
                online_level=level,
                visits=visits,
                visit_reason=reason,
                legal_basis="demo: generated item",
                materials=_materials("申请表;申请人身份证件(共享)"),
                form_fields=_fields(suffix, False),
            )
        )
    order = sorted(range(len(rows)), key=lambda n: (-rows[n]["online_level"], n))
    for n in order[:DEMO_APP_ITEMS]:
        rows[n]["app_enabled"] = True
    return rows


def _construction_rows(
    session: Session, rows: list[dict[str, Any]], seq: dict[int, int]
) -> list[dict[str, Any]]:
    """Approval items of the construction configuration that the reference CSV lacks."""
    names = {d.name: d for d in identity_service.list_departments(session)}
    known = {r["name"]: (r["department"], r["item_type"], r["legal_days"]) for r in rows}
    added = []
    for extra in construction.catalog_additions(known):
        department = names.get(extra["department"]) or department_for(session, extra["department"])
        seq[department.id] = seq.get(department.id, 0) + 1
        legal = extra["legal_days"]
        promised = legal if legal is not None else 10
        added.append(
            _row(
                department,
                seq[department.id],
                name=extra["name"],
                item_type=extra["item_type"],
                legal_days=legal,
                promised_days=promised,
                online_level=3,
                visits=0,
                visit_reason="",
                legal_basis="demo: construction-approval item (工程建设项目审批)",
                licence_type=_licence_type(extra["name"], extra["item_type"]),
                materials=_materials("申请表;建设单位营业执照(共享);项目批准或备案文件;设计图纸"),
                form_fields=_fields(extra["name"], True),
            )
        )
    return added


def load_bundles(session: Session) -> int:
    with _data("bundles.json").open(encoding="utf-8") as handle:
        published = json.load(handle)
    for n, raw in enumerate(published, start=1):
        items = [catalog.get_item_by_name(session, name) for name in raw["items"]]
        found = [i for i in items if i is not None]
        questions, conditions = demo_bundles.situation_questions(
            raw["name"], [i.name for i in found]
        )
        registration_ids = [i.id for i in found if i.name.endswith("设立登记")]
        lead = _lead(session, raw["lead_department"], found)
        bundle = Bundle(
            code=f"B{n:03d}",
            name=raw["name"],
            audience=raw["audience"],
            lead_department_id=lead.id,
            questions=questions,
            published_numbers=raw.get("published_numbers", {}),
            source=raw.get("source", "")[:300],
            note=raw.get("note", "")[:500],
        )
        bundle.members = [
            BundleMember(
                item_id=item.id,
                position=p,
                condition=conditions.get(item.name),
                requires=[] if item.id in registration_ids else registration_ids,
            )
            for p, item in enumerate(found)
        ]
        session.add(bundle)
    session.add(_one_plus_x(session, code=f"B{len(published) + 1:03d}"))
    session.flush()
    modelled = len(published) + 1
    generated = demo_bundles.load(
        session,
        first_number=modelled + 1,
        taken_names={raw["name"] for raw in published} | {"企业开办(1+X)"},
        total=DEMO_BUNDLES,
    )
    session.flush()
    return modelled + generated


def _one_plus_x(session: Session, *, code: str) -> Bundle:
    """企业开办 1+X: the business licence plus the permits the business needs."""

    def item(name: str) -> ServiceItem:
        found = catalog.get_item_by_name(session, name)
        if found is None:
            raise LookupError(name)
        return found

    registration = item("有限责任公司设立登记")
    kind = {"question": "business_kind", "values": ["catering", "food_retail"]}
    large_catering = {
        "all": [
            {"question": "business_kind", "values": ["catering"]},
            {"question": "floor_area_m2", "min": FIRE_CHECK_FLOOR_M2},
        ]
    }
    members = [
        (registration, None),
        (item("公章刻制备案"), None),
        (item("食品经营许可(新办)"), kind),
        (item("公众聚集场所投入使用、营业前消防安全检查"), large_catering),
    ]
    questions = [
        {
            "key": "business_kind",
            "text": "经营范围属于哪一类？",
            "text_en": "Which kind of business is it?",
            "options": [
                {"value": "catering", "label": "餐饮服务", "label_en": "Catering"},
                {"value": "food_retail", "label": "食品销售", "label_en": "Food retail"},
                {"value": "other", "label": "其他", "label_en": "Other"},
            ],
        },
        {
            "key": "floor_area_m2",
            "type": "number",
            "default": "0",
            "maximum": 1_000_000,
            "text": "经营场所建筑面积（平方米）",
            "text_en": "Floor area of the premises (m²)",
        },
    ]
    bundle = Bundle(
        code=code,
        name="企业开办(1+X)",
        audience="企业",
        lead_department_id=registration.department_id,
        questions=questions,
        note=f"1+X: 营业执照 plus the permits the business scope needs; the "
        f"fire-safety inspection above {FIRE_CHECK_FLOOR_M2} m² (configurable)",
    )
    bundle.members = [
        BundleMember(
            item_id=i.id,
            position=p,
            condition=c,
            requires=[] if i.id == registration.id else [registration.id],
        )
        for p, (i, c) in enumerate(members)
    ]
    return bundle


def _lead(session: Session, name: str, items: list[ServiceItem]) -> Department:
    try:
        return department_for(session, name)
    except LookupError:
        # Leads the reference data marks as guesses (courts, federations) fall back to
        # the department of the bundle's first item.
        found = identity_service.get_department_or_raise(session, items[0].department_id)
        return found


def load_licences(
    session: Session,
    *,
    person_ids: list[int],
    enterprise_ids: list[int],
    names: dict[int, str],
    today: date,
) -> int:
    """ID-card e-licences for demo residents; business licences for the first of them."""
    police = department_for(session, "郑州市公安局")
    market = department_for(session, "郑州市市场监督管理局")
    count = 0
    for n, person_id in enumerate(person_ids):
        licences.issue(
            session,
            actor=LOADER,
            type_code="resident_id",
            issuer_department_id=police.id,
            person_id=person_id,
            holder_name=names.get(person_id, ""),
            issued_on=date(today.year - 3, 5, 1),
            valid_until=date(today.year + 7, 5, 1),
        )
        count += 1
        if n < 5:
            shop = f"{names.get(person_id, '')[:1]}记小吃店"
            licences.issue(
                session,
                actor=LOADER,
                type_code="business_licence",
                issuer_department_id=market.id,
                person_id=person_id,
                holder_name=shop,
                issued_on=date(today.year - 1, 3, 1),
                detail={"business_name": shop, "business_address": f"郑州市金水区农业路{10 + n}号"},
            )
            count += 1
    for enterprise_id in enterprise_ids:
        licences.issue(
            session,
            actor=LOADER,
            type_code="business_licence",
            issuer_department_id=market.id,
            enterprise_id=enterprise_id,
            holder_name=names.get(-enterprise_id, ""),
            issued_on=date(today.year - 2, 6, 1),
            detail={"business_name": names.get(-enterprise_id, "")},
        )
        count += 1
    return count


def load(session: Session, *, today: date | None = None) -> dict[str, int]:
    """Catalog, bundles and e-licences into a city that has departments and people."""
    report = catalog.import_items(session, actor=LOADER, rows=catalog_rows(session))
    if report.rejected:
        first = report.rejected[0]
        raise ValueError(f"demo catalog row {first.row} breaks {first.rule}: {first.message_en}")
    bundles = load_bundles(session)
    people, enterprises = _demo_holders(session)
    names = {p: n for p, n in people} | {-e: n for e, n in enterprises}
    issued = load_licences(
        session,
        person_ids=[p for p, _ in people],
        enterprise_ids=[e for e, _ in enterprises],
        names=names,
        today=today or date.today(),
    )
    return {"items": report.imported, "bundles": bundles, "licences": issued}


def _demo_holders(session: Session) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(person id, name) of the demo residents with logins; (enterprise id, name) likewise."""
    people, enterprises = [], []
    for account in identity_service.list_accounts(session, actor=LOADER):
        if account.person_id is not None and account.username.startswith("resident"):
            person = identity_service.get_person_or_raise(session, account.person_id)
            people.append((person.id, person.name))
        elif account.enterprise_id is not None:
            enterprises.append((account.enterprise_id, account.display_name))
    return sorted(people), sorted(enterprises)


def item_from_row(row: dict[str, Any]) -> ItemIn:
    return ItemIn.model_validate(row)
