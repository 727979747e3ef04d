"""Open311 GeoReport v2: the standard face of governance for outside clients.

Follows the published spec (wiki.open311.org/GeoReport_v2): discovery, services,
service definitions with attributes, POST requests (``api_key`` required, 403
without), tokens, GET requests with its filters (default: the last 90 days, at
most 1,000) plus the ``page``/``page_size`` extension, and GET request by id; each
in XML (``.xml``) and JSON (``.json``). Errors use the spec's body — a list of
``{code, description}`` — with status 400, 403 or 404. Service codes are our
category codes; ``status`` is open/closed with the detailed state in
``status_notes``. Datetimes are ISO 8601 in Beijing time with the zone.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from citybrain.core.db import DbSession, transaction, utcnow
from citybrain.core.errors import DomainError
from citybrain.core.logging import mask_text
from citybrain.core.security import Actor
from citybrain.governance import intake, rules, service
from citybrain.governance.models import Case
from citybrain.identity import service as identity_service

router = APIRouter(prefix="/open311", tags=["open311"])

SPEC_URL: Final = "http://wiki.open311.org/GeoReport_v2"
CHANGESET: Final = "2026-11-27T00:00:00+08:00"
POST_SCOPE: Final = "open311"
DEFAULT_DAYS: Final = 90
MAX_ROWS: Final = 1000
LOCAL: Final = ZoneInfo("Asia/Shanghai")
FORMATS: Final = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}

CONDITION_VALUES: Final = [
    ("damaged", "损坏 Damaged"),
    ("missing", "缺失 Missing"),
    ("displaced", "移位/倾斜 Displaced"),
    ("other", "其他 Other"),
]
ONGOING_VALUES: Final = [("yes", "仍在持续 Ongoing"), ("no", "已停止 Stopped")]


class Open311Error(Exception):
    def __init__(self, status: int, description: str, code: int | str | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.code = code if code is not None else status
        self.description = description


# --- rendering ----------------------------------------------------------------------------


def _xml_value(parent: ET.Element, key: str, value: Any, item: str) -> None:
    node = ET.SubElement(parent, key)
    if isinstance(value, list):
        for element in value:
            if isinstance(element, dict):
                _xml_dict(ET.SubElement(node, item), element)
            else:
                ET.SubElement(node, item).text = _text(element)
    elif isinstance(value, dict):
        _xml_dict(node, value)
    else:
        node.text = _text(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_LIST_ITEMS: Final = {"attributes": "attribute", "values": "value", "endpoints": "endpoint"}
_LIST_ITEMS_PLAIN: Final = {"formats": "format", "keywords": "keyword"}


def _xml_dict(node: ET.Element, data: dict[str, Any]) -> None:
    for key, value in data.items():
        item = _LIST_ITEMS.get(key) or _LIST_ITEMS_PLAIN.get(key, "item")
        _xml_value(node, key, value, item)


def render(fmt: str, root: str, item: str, data: Any, status: int = 200) -> Response:
    """``data`` (a dict, or a list of dicts under ``root``/``item``) as XML or JSON."""
    if fmt == "json":
        return Response(
            json.dumps(data, ensure_ascii=False), status_code=status, media_type=FORMATS["json"]
        )
    element = ET.Element(root)
    if isinstance(data, list):
        for entry in data:
            _xml_dict(ET.SubElement(element, item), entry)
    else:
        _xml_dict(element, data)
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(element, encoding="utf-8")
    return Response(body, status_code=status, media_type=FORMATS["xml"])


def error_response(fmt: str, error: Open311Error) -> Response:
    body = [{"code": error.code, "description": error.description}]
    return render(fmt if fmt in FORMATS else "xml", "errors", "error", body, error.status)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(LOCAL).isoformat(timespec="seconds") if moment else None


def _format(raw: str) -> str:
    if raw not in FORMATS:
        raise Open311Error(404, f"unknown format '{raw[:10]}': use .xml or .json")
    return raw


def _answer(fmt_raw: str, work: Callable[[str], Response]) -> Response:
    fmt = fmt_raw if fmt_raw in FORMATS else "xml"
    try:
        return work(_format(fmt_raw))
    except Open311Error as error:
        return error_response(fmt, error)
    except DomainError as error:
        status = 404 if error.status == 404 else 403 if error.status in (401, 403) else 400
        return error_response(fmt, Open311Error(status, error.message_en, error.code))


# --- services -----------------------------------------------------------------------------


def service_entry(category: rules.Category) -> dict[str, Any]:
    unit = "工作时" if category.time_unit is rules.TimeUnit.workhours else "工作日"
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": (
            f"{category.kind_zh}·{category.major}·{category.name}；责任单位 {category.department}；"
            f"时限 {category.time_limit} {unit}"
        ),
        "metadata": category.kind != "appeal",
        "type": "realtime",
        "keywords": [category.kind_zh, category.major],
        "group": f"{category.kind_zh}·{category.major}",
    }


def attributes_of(category: rules.Category) -> list[dict[str, Any]]:
    if category.kind == "component":
        return [
            {
                "variable": True,
                "code": "condition",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": "部件状况 Condition of the facility",
                "order": 1,
                "description": "部件状况 What is wrong with it?",
                "values": [{"key": k, "name": n} for k, n in CONDITION_VALUES],
            }
        ]
    if category.kind == "event":
        return [
            {
                "variable": True,
                "code": "ongoing",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "是否仍在持续 Is it still going on?",
                "order": 1,
                "description": "是否仍在持续 Still going on?",
                "values": [{"key": k, "name": n} for k, n in ONGOING_VALUES],
            }
        ]
    return []


def _category(code: str) -> rules.Category:
    category = rules.categories().get(code)
    if category is None:
        raise Open311Error(404, f"service_code {code[:16]} not found")
    return category


# --- requests -----------------------------------------------------------------------------


def status_notes(case: Case) -> str:
    status = rules.CaseStatus(case.status)
    zh, en = rules.STATUS_LABELS[status]
    note = f"{zh} {en}"
    if status is rules.CaseStatus.merged and case.parent_id:
        note += f": duplicate of request {case.parent_id}"
    return note


# The public feed shows where a problem is to about 100 m, never a doorstep; the words of
# a 12345 appeal or of a resident's report stay with the departments.
PUBLIC_COORDINATE_DECIMALS = 3
PRIVATE_TEXT_CHANNELS = {"hotline", "app"}


def request_entry(case: Case, agencies: dict[int, str]) -> dict[str, Any]:
    category = rules.categories().get(case.category_code or "")
    closed = rules.CaseStatus(case.status) in rules.FINAL_STATUSES
    private = case.channel in PRIVATE_TEXT_CHANNELS or case.category_code == rules.GENERAL_APPEAL
    return {
        "service_request_id": str(case.id),
        "status": "closed" if closed else "open",
        "status_notes": status_notes(case),
        "service_name": category.name if category else "",
        "service_code": case.category_code or "",
        "description": "" if private else mask_text(case.description),
        "agency_responsible": agencies.get(case.department_id or 0, ""),
        "service_notice": "",
        "requested_datetime": _iso(case.accepted_at),
        "updated_datetime": _iso(case.closed_at if closed and case.closed_at else case.updated_at),
        "expected_datetime": _iso(case.due_at),
        "address": "" if private else mask_text(case.address),
        "address_id": "",
        "zipcode": "",
        "lat": _coarse(case.lat),
        "long": _coarse(case.lon),
        "media_url": case.media_url,
    }


def _coarse(value: float | None) -> float | None:
    return None if value is None else round(value, PUBLIC_COORDINATE_DECIMALS)


def _agencies(session: Session, cases: list[Case]) -> dict[int, str]:
    ids = {c.department_id for c in cases if c.department_id}
    return {i: identity_service.get_department_or_raise(session, i).name for i in ids}


def _parse_time(name: str, raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise Open311Error(400, f"{name} must be an ISO 8601 datetime") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL)


def _ints(raw: str, name: str) -> list[int]:
    try:
        values = [int(p) for p in raw.split(",") if p.strip()]
    except ValueError:
        raise Open311Error(400, f"{name} must be a comma-separated list of ids") from None
    if len(values) > MAX_ROWS or any(not 1 <= v <= 2**31 - 1 for v in values):
        raise Open311Error(400, f"{name} holds an impossible id or too many ids")
    return values


def _bounded(raw: str | None, name: str, low: int, high: int, default: int) -> int:
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Open311Error(400, f"{name} must be an integer") from None
    if not low <= value <= high:
        raise Open311Error(400, f"{name} must lie between {low} and {high}")
    return value


def list_requests(session: Session, params: dict[str, str]) -> list[dict[str, Any]]:
    ids = _ints(params.get("service_request_id", ""), "service_request_id")
    page = _bounded(params.get("page"), "page", 1, 100_000, 1)
    size = _bounded(params.get("page_size"), "page_size", 1, MAX_ROWS, MAX_ROWS)
    if ids:
        cases = service.find_cases(session, ids=ids, limit=size, offset=(page - 1) * size)
    else:
        codes = [c for c in params.get("service_code", "").split(",") if c.strip()]
        unknown = [c for c in codes if c not in rules.categories()]
        if unknown:
            raise Open311Error(404, f"service_code {unknown[0][:16]} not found")
        start = _parse_time("start_date", params.get("start_date"))
        end = _parse_time("end_date", params.get("end_date"))
        if start is None and end is None:
            start = utcnow() - timedelta(days=DEFAULT_DAYS)
        if start is not None and end is not None:
            if end < start:
                raise Open311Error(400, "end_date is before start_date")
            if end - start > timedelta(days=DEFAULT_DAYS):
                raise Open311Error(400, "start_date and end_date may be at most 90 days apart")
        status = params.get("status", "").strip().lower()
        if status not in ("", "open", "closed"):
            raise Open311Error(400, "status must be open or closed")
        cases = service.find_cases(
            session,
            category_codes=codes or None,
            start=start,
            end=end,
            closed=None if not status else status == "closed",
            limit=size,
            offset=(page - 1) * size,
        )
    agencies = _agencies(session, cases)
    return [request_entry(c, agencies) for c in cases]


def _float(raw: str | None, name: str, low: float, high: float) -> float | None:
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number") from None
    if not low <= value <= high:
        raise Open311Error(400, f"{name} is out of range")
    return value


def post_request(session: Session, form: dict[str, Any]) -> dict[str, Any]:
    """Create a case from a POST requests form; the caller commits."""
    key = str(form.get("api_key", "")).strip()
    if not key:
        raise Open311Error(403, "api_key is required", "api_key_missing")
    actor: Actor = identity_service.authenticate_api_key(session, key[:200])
    if POST_SCOPE not in actor.scopes and "*" not in actor.scopes:
        raise Open311Error(403, "this api_key may not post requests", "api_key_scope")
    code = str(form.get("service_code", "")).strip()
    if not code:
        raise Open311Error(400, "service_code is required", "service_code_missing")
    category = _category(code)
    lat = _float(form.get("lat"), "lat", -90, 90)
    lon = _float(form.get("long"), "long", -180, 180)
    address = str(form.get("address_string", "")).strip()
    if (lat is None or lon is None) and not address and not form.get("address_id"):
        raise Open311Error(400, "one of lat & long, address_string or address_id is required")
    if len(address) > 200:
        raise Open311Error(400, "address_string is longer than 200 characters")
    description = str(form.get("description", "")).strip()
    if len(description) > intake.MAX_DESCRIPTION:
        raise Open311Error(400, "description is longer than 4,000 characters")
    notes = []
    for attribute in attributes_of(category):
        value = str(form.get(f"attribute[{attribute['code']}]", "")).strip()
        keys = {v["key"]: v["name"] for v in attribute["values"]}
        if not value and attribute["required"]:
            raise Open311Error(400, f"attribute[{attribute['code']}] is required")
        if value and value not in keys:
            raise Open311Error(400, f"attribute[{attribute['code']}] has no value '{value[:20]}'")
        if value:
            notes.append(f"【{keys[value].split(' ')[0]}】")
    media_url = str(form.get("media_url", "")).strip()
    if len(media_url) > 500 or (media_url and not media_url.startswith(("http://", "https://"))):
        raise Open311Error(400, "media_url must be an http(s) URL of at most 500 characters")
    name = f"{form.get('last_name', '')}{form.get('first_name', '')}".strip()[:64]
    report = intake.Report(
        channel="open311",
        description=("".join(notes) + (description or category.name))[: intake.MAX_DESCRIPTION],
        category_code=category.code,
        lon=None if lat is None else lon,
        lat=None if lon is None else lat,
        address=address,
        media_url=media_url,
        reporter=intake.Reporter(
            name=name,
            phone=str(form.get("phone", "")).strip()[:20],
            email=str(form.get("email", "")).strip()[:120],
        ),
    )
    result = intake.intake(session, report=report, actor=actor)
    return {
        "service_request_id": str(result.case.id),
        "service_notice": (
            f"已与请求 {result.merged_into.id} 合并 Merged into request {result.merged_into.id}"
            if result.merged_into
            else ""
        ),
        "account_id": "",
    }


# --- routes -------------------------------------------------------------------------------


@router.get("/discovery.{fmt}")
def discovery(request: Request, fmt: str) -> Response:
    """Service discovery: where the GeoReport v2 endpoint is and what it speaks."""

    def work(f: str) -> Response:
        base = str(request.base_url).rstrip("/") + "/open311/v2/"
        return render(
            f,
            "discovery",
            "discovery",
            {
                "changeset": CHANGESET,
                "contact": "郑州市12345政务服务便民热线 (demo) — see docs/governance.md",
                "key_service": "API keys with the 'open311' scope are issued by the operator",
                "endpoints": [
                    {
                        "specification": SPEC_URL,
                        "url": base,
                        "changeset": CHANGESET,
                        "type": "production",
                        "formats": ["text/xml", "application/json"],
                    }
                ],
            },
        )

    return _answer(fmt, work)


@router.get("/v2/services.{fmt}")
def services(fmt: str) -> Response:
    """Every service (our categories)."""
    entries = [service_entry(c) for c in rules.categories().values()]
    return _answer(fmt, lambda f: render(f, "services", "service", entries))


@router.get("/v2/services/{service_code}.{fmt}")
def service_definition(service_code: str, fmt: str) -> Response:
    """A service's attribute definitions."""

    def work(f: str) -> Response:
        category = _category(service_code)
        body = {"service_code": category.code, "attributes": attributes_of(category)}
        return render(f, "service_definition", "service_definition", body)

    return _answer(fmt, work)


async def form_fields(request: Request) -> dict[str, str]:
    """The urlencoded form as plain strings (``attribute[code]`` keys are dynamic)."""
    try:
        form = await request.form()
    except (ValueError, KeyError, AssertionError):
        return {}
    return {k: v for k, v in form.items() if isinstance(v, str)}


_POST_BODY: Final = {
    "requestBody": {
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {
                        name: {"type": "string", "maxLength": 4000}
                        for name in [
                            "api_key",
                            "service_code",
                            "lat",
                            "long",
                            "address_string",
                            "address_id",
                            "email",
                            "device_id",
                            "account_id",
                            "first_name",
                            "last_name",
                            "phone",
                            "description",
                            "media_url",
                            "attribute[condition]",
                            "attribute[ongoing]",
                        ]
                    },
                }
            }
        }
    }
}


@router.post("/v2/requests.{fmt}", openapi_extra=_POST_BODY)
def create_request(
    fmt: str, session: DbSession, form: Annotated[dict[str, str], Depends(form_fields)]
) -> Response:
    """Submit a request (application/x-www-form-urlencoded; api_key required)."""

    def work(f: str) -> Response:
        with transaction(session):
            body = post_request(session, form)
        return render(f, "service_requests", "request", [body])

    return _answer(fmt, work)


@router.get("/v2/tokens/{token}.{fmt}")
def token(token: str, fmt: str, session: DbSession) -> Response:
    """The request id behind a token."""

    def work(f: str) -> Response:
        case = service.find_case_by_token(session, token=token[:64])
        if case is None:
            raise Open311Error(404, "token not found")
        body = [{"service_request_id": str(case.id), "token": case.token}]
        return render(f, "service_requests", "request", body)

    return _answer(fmt, work)


@router.get("/v2/requests.{fmt}")
def requests(request: Request, fmt: str, session: DbSession) -> Response:
    """Requests by ids, service codes, dates (≤ 90 days apart) and status; page/page_size."""
    params = {k: v[:20_000] for k, v in request.query_params.items()}
    return _answer(
        fmt, lambda f: render(f, "service_requests", "request", list_requests(session, params))
    )


@router.get("/v2/requests/{service_request_id}.{fmt}")
def request_by_id(service_request_id: str, fmt: str, session: DbSession) -> Response:
    """One request."""

    def work(f: str) -> Response:
        if not service_request_id.isdigit() or not 1 <= int(service_request_id) <= 2**31 - 1:
            raise Open311Error(404, "service_request_id not found")
        case = session.get(Case, int(service_request_id))
        if case is None:
            raise Open311Error(404, "service_request_id not found")
        body = [request_entry(case, _agencies(session, [case]))]
        return render(f, "service_requests", "request", body)

    return _answer(fmt, work)
