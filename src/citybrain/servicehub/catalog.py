"""The service-item catalog: save, import and export, with the consistency rules."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from citybrain.core import audit
from citybrain.core.errors import DomainError, not_found
from citybrain.core.outbox import emit
from citybrain.core.security import Actor, Role
from citybrain.identity import service as identity_service
from citybrain.servicehub import rules
from citybrain.servicehub.events import CatalogImported
from citybrain.servicehub.models import ItemMaterial, ServiceItem
from citybrain.servicehub.schemas import ImportRejection, ImportReport, ItemIn

CSV_COLUMNS = [
    "catalog_code",
    "task_code",
    "name",
    "item_type",
    "department",
    "legal_basis",
    "legal_days",
    "promised_days",
    "handling_kind",
    "visits",
    "visit_reason",
    "online_level",
    "app_enabled",
    "mail_delivery",
    "has_fee",
    "fee_note",
    "online_payment",
    "result_type",
    "result_name",
    "licence_type",
    "acceptance_conditions",
    "process",
    "form_fields",
    "materials",
    "note",
]
MAX_IMPORT_ROWS = 5_000


def _rule_error(breaches: list[rules.RuleBreach]) -> DomainError:
    first = breaches[0]
    return DomainError(
        f"servicehub.rule_{first.rule}",
        first.message,
        first.message_en,
        status=422,
        rules=[b.rule for b in breaches],
    )


def _check(session: Session, data: ItemIn) -> tuple[list[rules.RuleBreach], int | None]:
    breaches = rules.check_item(data.model_dump())
    department = identity_service.get_department_by_name(session, data.department)
    if department is None:
        breaches.append(rules.RuleBreach("department", "实施部门不存在", "Unknown department"))
    if data.licence_type is not None and data.licence_type not in rules.LICENCE_TYPES:
        breaches.append(rules.RuleBreach("licence_type", "证照类型不存在", "Unknown licence type"))
    for material in data.materials:
        if material.replaced_by not in (None, "form") and (
            material.replaced_by not in rules.LICENCE_TYPES
        ):
            breaches.append(
                rules.RuleBreach(
                    "material_replaced_by", "材料的替代证照类型不存在", "Unknown replacing licence"
                )
            )
    keys = [m.key for m in data.materials]
    if len(keys) != len(set(keys)):
        breaches.append(rules.RuleBreach("material_key", "材料编码重复", "Duplicate material key"))
    return breaches, department.id if department else None


def _build(data: ItemIn, department_id: int) -> ServiceItem:
    values = data.model_dump(exclude={"department", "materials", "form_fields"})
    item = ServiceItem(
        **values,
        department_id=department_id,
        form_fields=[f.model_dump(exclude_none=True) for f in data.form_fields],
    )
    item.materials = [
        ItemMaterial(position=n, **m.model_dump()) for n, m in enumerate(data.materials)
    ]
    return item


def create_item(session: Session, *, actor: Actor, data: ItemIn) -> ServiceItem:
    """Save one item after the consistency rules; 422 naming the first broken rule."""
    actor.require_role(Role.admin)
    breaches, department_id = _check(session, data)
    if not breaches and _task_code_taken(session, data.task_code):
        breaches.append(
            rules.RuleBreach("task_code_unique", "实施编码已存在", "Task code already exists")
        )
    if breaches or department_id is None:
        raise _rule_error(breaches)
    item = _build(data, department_id)
    session.add(item)
    session.flush()
    audit.record(
        session,
        actor,
        "servicehub.item_created",
        entity_type="servicehub_item",
        entity_id=item.id,
        detail={"task_code": item.task_code},
    )
    return item


def _task_code_taken(session: Session, task_code: str) -> bool:
    return (
        session.scalar(select(ServiceItem.id).where(ServiceItem.task_code == task_code)) is not None
    )


def import_items(
    session: Session, *, actor: Actor, rows: Iterable[dict[str, Any]], audited: bool = True
) -> ImportReport:
    """Save every row that passes; reject the others by row and rule, storing none of them."""
    actor.require_role(Role.admin)
    rejected: list[ImportRejection] = []
    seen: set[str] = set()
    items: list[ServiceItem] = []
    for number, raw in enumerate(rows, start=1):
        if number > MAX_IMPORT_ROWS:
            raise DomainError(
                "servicehub.import_too_large",
                "导入行数过多",
                f"At most {MAX_IMPORT_ROWS} rows per import",
                status=413,
            )
        try:
            data = ItemIn.model_validate(raw)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            rejected.append(
                ImportRejection(
                    row=number,
                    rule=f"field:{where}",
                    message=f"字段 {where} 有误：{first['msg']}",
                    message_en=f"Field {where}: {first['msg']}",
                )
            )
            continue
        breaches, department_id = _check(session, data)
        if data.task_code in seen or _task_code_taken(session, data.task_code):
            breaches.append(
                rules.RuleBreach("task_code_unique", "实施编码已存在", "Task code already exists")
            )
        if breaches or department_id is None:
            rejected.extend(
                ImportRejection(row=number, rule=b.rule, message=b.message, message_en=b.message_en)
                for b in breaches
            )
            continue
        seen.add(data.task_code)
        items.append(_build(data, department_id))
    session.add_all(items)
    session.flush()
    if audited:
        audit.record(
            session,
            actor,
            "servicehub.catalog_imported",
            entity_type="servicehub_catalog",
            entity_id="import",
            detail={"imported": len(items), "rejected": len(rejected)},
        )
    emit(session, CatalogImported(len(items), len({r.row for r in rejected})))
    return ImportReport(imported=len(items), rejected=rejected)


def parse_json(content: bytes) -> list[dict[str, Any]]:
    try:
        rows = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DomainError(
            "servicehub.bad_file", "文件不是有效的 JSON", f"Not valid JSON: {exc}", status=422
        ) from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise DomainError(
            "servicehub.bad_file",
            "JSON 应为事项对象数组",
            "The JSON must be an array of items",
            status=422,
        )
    return rows


def parse_csv(content: bytes) -> list[dict[str, Any]]:
    """CSV rows: empty cells are absent; form_fields and materials are JSON cells."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(
            "servicehub.bad_file", "文件应为 UTF-8 编码", "The file must be UTF-8", status=422
        ) from None
    rows = []
    for raw in csv.DictReader(io.StringIO(text)):
        row: dict[str, Any] = {}
        for key, value in raw.items():
            if key is None or value is None or value == "":
                continue
            if key in ("form_fields", "materials"):
                try:
                    row[key] = json.loads(value)
                except json.JSONDecodeError:
                    row[key] = value  # the schema check names the field
            else:
                row[key] = value
        rows.append(row)
    return rows


def item_row(item: ServiceItem, department_name: str) -> dict[str, Any]:
    """One item as an import row (the export is re-importable)."""
    row = {
        column: getattr(item, column)
        for column in CSV_COLUMNS
        if column not in ("department", "materials", "form_fields")
    }
    row["department"] = department_name
    row["form_fields"] = item.form_fields
    row["materials"] = [
        {
            "key": m.key,
            "name": m.name,
            "form": m.form,
            "necessity": m.necessity,
            "source": m.source,
            "replaced_by": m.replaced_by,
        }
        for m in item.materials
    ]
    return row


def export_rows(session: Session) -> list[dict[str, Any]]:
    names = {d.id: d.name for d in identity_service.list_departments(session)}
    items = session.scalars(
        select(ServiceItem).options(selectinload(ServiceItem.materials)).order_by(ServiceItem.id)
    )
    return [item_row(item, names.get(item.department_id, "")) for item in items]


def export_csv(session: Session) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for row in export_rows(session):
        for key in ("form_fields", "materials"):
            row[key] = json.dumps(row[key], ensure_ascii=False)
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def list_items(
    session: Session,
    *,
    query: str = "",
    department_id: int | None = None,
    app_only: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[ServiceItem]]:
    statement = select(ServiceItem)
    if query:
        statement = statement.where(ServiceItem.name.contains(query))
    if department_id is not None:
        statement = statement.where(ServiceItem.department_id == department_id)
    if app_only:
        statement = statement.where(ServiceItem.app_enabled.is_(True))
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = session.scalars(
        statement.options(selectinload(ServiceItem.materials))
        .order_by(ServiceItem.id)
        .offset(offset)
        .limit(limit)
    )
    return total, list(rows)


def get_item_or_raise(session: Session, item_id: int) -> ServiceItem:
    item = session.get(ServiceItem, item_id)
    if item is None:
        raise not_found("servicehub.item_not_found", "事项", "Service item")
    return item


def get_item_by_name(session: Session, name: str) -> ServiceItem | None:
    return session.scalar(select(ServiceItem).where(ServiceItem.name == name).limit(1))


def count_items(session: Session) -> tuple[int, int]:
    total = session.scalar(select(func.count(ServiceItem.id))) or 0
    app = (
        session.scalar(select(func.count(ServiceItem.id)).where(ServiceItem.app_enabled.is_(True)))
        or 0
    )
    return total, app
