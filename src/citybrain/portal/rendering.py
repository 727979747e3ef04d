"""One Jinja2 environment and the helpers every page module shares."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from citybrain.core.security import Actor, ActorKind, Role

PORTAL_DIR = Path(__file__).parent
templates = Jinja2Templates(directory=PORTAL_DIR / "templates")
_versions_file = PORTAL_DIR / "static" / "vendor" / "versions.json"
VENDOR_VERSIONS: dict[str, str] = json.loads(_versions_file.read_text())
templates.env.globals["vendor"] = VENDOR_VERSIONS
CITY_ZONE = ZoneInfo("Asia/Shanghai")


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time as the city's wall-clock time."""
    return value.astimezone(CITY_ZONE).strftime(fmt) if value else ""


templates.env.filters["local_time"] = local_time


def wants_html(request: Request) -> bool:
    """Pages answer in HTML; the API (and anyone asking for JSON) in JSON."""
    path = request.url.path
    if path.startswith(("/api/", "/open311", "/ngsi-ld", "/healthz", "/metrics", "/static")):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept or request.headers.get("hx-request") == "true"


CITYCODE_STAFF = {Role.checkpoint_operator, Role.health_authority}
NAV: list[tuple[str, str, str, set[Role] | None]] = [
    # href, label, English label, roles that see it (None: every signed-in person)
    ("/", "首页", "Home", None),
    ("/docs", "接口文档", "API docs", {Role.admin}),
    ("/inbox", "工作台收件箱", "Work inbox", {Role.department_clerk, Role.department_head}),
    ("/services", "一网通办", "Services", None),
    ("/services/applications", "我的办件", "My applications", None),
    ("/services/inbox", "办件收件箱", "Inbox", {Role.department_clerk, Role.department_head}),
    ("/services/admin/catalog", "事项目录", "Service catalog", {Role.admin}),
    ("/citycode", "一码通城", "City code", None),
    ("/citycode/checkpoint", "卡口核验", "Checkpoint", CITYCODE_STAFF),
    ("/citycode/venues", "场所码", "Venues", CITYCODE_STAFF),
    ("/citycode/console", "卫健控制台", "Health console", {Role.health_authority}),
    ("/governance/report", "随手拍", "Report a problem", None),
    ("/governance/intake", "12345受理", "Hotline intake", {Role.call_centre_agent}),
    (
        "/governance/inbox",
        "案件收件箱",
        "Case inbox",
        {Role.department_clerk, Role.department_head, Role.command_centre_operator},
    ),
    ("/governance/grid", "网格巡查", "Grid patrol", {Role.grid_worker}),
    ("/governance/map", "在办案件地图", "Case map", {Role.command_centre_operator}),
    ("/cockpit", "驾驶舱", "Cockpit", {Role.command_centre_operator}),
]

# Pages about one's own person (my city code): not offered to staff or enterprises.
PERSONAL_PAGES = {"/citycode"}


def nav_items(request: Request, actor: Actor | None) -> list[dict[str, Any]]:
    if actor is None:
        return []
    items = []
    for href, label, label_en, roles in NAV:
        if href in PERSONAL_PAGES and actor.kind is not ActorKind.person:
            continue
        if roles is None or actor.role in roles or actor.is_admin:
            active = request.url.path == href
            items.append({"href": href, "label": label, "label_en": label_en, "active": active})
    return items


def user_context(actor: Actor | None, role_label: str | None) -> dict[str, Any] | None:
    if actor is None:
        return None
    label = role_label or {ActorKind.person: "居民", ActorKind.enterprise: "企业"}.get(
        actor.kind, ""
    )
    return {"display_name": actor.name, "role_label": label, "kind": actor.kind.value}


def render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    return templates.TemplateResponse(request, template, context, status_code=status_code)
