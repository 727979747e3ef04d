"""Shell pages: login, logout, the home page by role, and error pages."""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from citybrain.core.db import DbSession, transaction
from citybrain.core.errors import DomainError
from citybrain.core.security import Actor, ActorKind, Role
from citybrain.identity import service as identity_service
from citybrain.identity import views as identity_views
from citybrain.identity.dependencies import TOKEN_COOKIE, OptionalActor
from citybrain.notifications import service as notifications_service
from citybrain.portal import home_service
from citybrain.portal.rendering import PORTAL_DIR, nav_items, render, user_context, wants_html

STATIC_DIR = PORTAL_DIR / "static"

router = APIRouter(include_in_schema=False)

__all__ = ["render_error", "router", "wants_html"]


def _safe_next(target: str | None) -> str:
    """Only local paths: a login must never bounce to another site."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return urlsplit(target).path or "/"


def page_context(request: Request, session: Any, actor: Actor | None) -> dict[str, Any]:
    role_label = None
    if actor is not None and actor.role is not None:
        role_label = identity_service.role_label(actor.role.value)
    user = user_context(actor, role_label)
    if user is not None and actor is not None and actor.kind is not ActorKind.api_key:
        latest = notifications_service.list_for(session, actor=actor, limit=1)
        user["unread"] = notifications_service.unread_count(session, actor=actor)
        user["last_notice_id"] = latest[0].id if latest else 0
    return {"user": user, "nav_items": nav_items(request, actor)}


@cache
def _static_digest() -> str:
    """A digest of every static file: the service worker's cache name changes with them."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STATIC_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@router.get("/sw.js")
def service_worker() -> Response:
    """The service worker, served from the root so it may control every page."""
    script = (STATIC_DIR / "sw.js").read_text(encoding="utf-8")
    script = script.replace('"citybrain-v1"', f'"citybrain-{_static_digest()}"', 1)
    return Response(
        script,
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"},
    )


@router.get("/offline", response_class=HTMLResponse)
def offline(request: Request) -> Response:
    return render(request, "offline.html", {"user": None, "nav_items": []})


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    return render(
        request,
        "login.html",
        {"next": _safe_next(next), "user": None, "nav_items": [], "error": None},
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: DbSession,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=128)],
    next: Annotated[str | None, Form()] = None,
) -> Response:
    try:
        token = identity_views.login_token(request, session, username, password)
    except DomainError as error:
        context: dict[str, Any] = {
            "next": _safe_next(next),
            "user": None,
            "nav_items": [],
            "error": error.body(),
            "username": username,
        }
        return render(request, "login.html", context, status_code=error.status)
    response = RedirectResponse(_safe_next(next), status_code=303)
    ttl = request.app.state.settings.auth.token_ttl_minutes * 60
    response.set_cookie(TOKEN_COOKIE, token, max_age=ttl, httponly=True, samesite="lax")
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(TOKEN_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    context = page_context(request, session, actor)
    context.update(home_for(session, actor))
    if home_service.is_applicant(actor):
        # Re-running the code rules may record a status change: committed like /citycode.
        with transaction(session):
            context["resident"] = home_service.resident_home(session, actor)
    shortcuts = [
        {"label": item["label"], "value": item["label_en"], "href": item["href"]}
        for item in context["nav_items"]
        if item["href"] != "/"
    ]
    if shortcuts:
        context["panels"].append(
            {"title": "常用入口", "title_en": "Start here", "items": shortcuts}
        )
    return render(request, "home.html", context)


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    if actor is None:
        return RedirectResponse("/login?next=/notifications", status_code=303)
    context = page_context(request, session, actor)
    context["notices"] = notifications_service.list_for(session, actor=actor, limit=100)
    return render(request, "notifications.html", context)


@router.post("/notifications/read-all")
def notifications_read_all(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    if actor is None:
        return RedirectResponse("/login?next=/notifications", status_code=303)
    with transaction(session):
        notifications_service.mark_all_read(session, actor=actor)
    return RedirectResponse("/notifications", status_code=303)


def home_for(session: Any, actor: Actor) -> dict[str, Any]:
    """Title and panels of the home page for the actor's role."""
    if actor.kind is ActorKind.staff and actor.department_id is not None:
        department = identity_service.get_department_or_raise(session, actor.department_id)
        return {
            "home_title": f"{department.name} 工作台",
            "home_title_en": "Department desk",
            "panels": [
                {
                    "title": "本部门",
                    "items": [
                        {"label": "部门", "value": department.name, "href": None},
                        {"label": "简称", "value": department.short_name, "href": None},
                        {
                            "label": "岗位",
                            "value": identity_service.role_label(
                                actor.role.value if actor.role else None
                            ),
                            "href": None,
                        },
                    ],
                }
            ],
        }
    titles = {
        Role.admin: ("系统管理", "Administration"),
        Role.call_centre_agent: ("12345 热线受理台", "12345 hotline desk"),
        Role.grid_worker: ("网格巡查", "Grid patrol"),
        Role.command_centre_operator: ("城市运行指挥中心", "City operations centre"),
        Role.checkpoint_operator: ("卡口核验", "Checkpoint"),
        Role.health_authority: ("卫生健康管理", "Health administration"),
    }
    mine = ("我的郑州", "My Zhengzhou")
    title, title_en = titles.get(actor.role, mine) if actor.role else mine
    return {"home_title": title, "home_title_en": title_en, "panels": []}


def render_error(request: Request, status: int, body: dict[str, Any]) -> Response:
    if status == 401 and request.method == "GET" and not request.headers.get("hx-request"):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    template = "_error.html" if request.headers.get("hx-request") else "error.html"
    return render(
        request,
        template,
        {"error": body, "status": status, "user": None, "nav_items": []},
        status_code=status,
    )
