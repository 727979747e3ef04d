"""The FastAPI app factory: one place mounts every router, page and error handler."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from citybrain import __version__
from citybrain.brain import notify as brain_notify
from citybrain.brain import views as brain_views
from citybrain.citycode import views as citycode_views
from citybrain.config import Settings
from citybrain.core import logging as core_logging
from citybrain.core.crypto import load_token_secret
from citybrain.core.db import DbSession, make_engine
from citybrain.core.errors import DomainError
from citybrain.core.metrics import HttpMetrics
from citybrain.governance import open311 as governance_open311
from citybrain.governance import views as governance_views
from citybrain.identity import views as identity_views
from citybrain.notifications import views as notifications_views
from citybrain.portal import apidocs as portal_apidocs
from citybrain.portal import citycode as citycode_pages
from citybrain.portal import cockpit as cockpit_pages
from citybrain.portal import governance as portal_governance
from citybrain.portal import home as portal_home
from citybrain.portal import inbox as portal_inbox
from citybrain.portal import pages as portal_pages
from citybrain.portal import servicehub as servicehub_pages
from citybrain.regions import views as regions_views
from citybrain.runtime import session_factory
from citybrain.servicehub import views as servicehub_views

STATIC_DIR = Path(__file__).parent / "portal" / "static"
log = structlog.get_logger("citybrain.app")

OUT_OF_RANGE = {
    "code": "request.value_out_of_range",
    "message": "请求中的日期、时长或数值超出可处理的范围",
    "message_en": "A date, duration or number in the request is out of range",
}
NUL_IN_TEXT = {
    "code": "request.nul_character",
    "message": "输入中含有不允许的空字符（NUL）",
    "message_en": "The input contains a NUL character, which is not allowed",
}
HTTP_CODES: dict[int, tuple[str, str, str]] = {
    404: ("http.not_found", "页面或资源不存在", "Not found"),
    405: ("http.method_not_allowed", "不支持该请求方法", "Method not allowed"),
    406: ("http.not_acceptable", "无法提供所请求的格式", "Not acceptable"),
    415: ("http.unsupported_media_type", "不支持的内容类型", "Unsupported media type"),
}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    core_logging.configure(settings.log_level)
    engine = make_engine(settings.database_url)
    app = FastAPI(
        title="citybrain 城市大脑",
        version=__version__,
        description="一网通办 · 一网统管 · 一码通城 · 城市大脑 · 一端惠城",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = session_factory(settings, engine)
    app.state.token_secret = load_token_secret(settings)
    metrics = HttpMetrics()
    app.middleware("http")(metrics.middleware)
    _mount_routes(app, metrics)
    if settings.background_workers:
        brain_notify.install(app)
    _install_error_handlers(app)
    return app


def _mount_routes(app: FastAPI, metrics: HttpMetrics) -> None:
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(identity_views.auth_router)
    app.include_router(identity_views.router)
    app.include_router(notifications_views.router)
    app.include_router(regions_views.router)
    app.include_router(brain_views.router)
    app.include_router(governance_views.router)
    app.include_router(governance_open311.router)
    app.include_router(portal_governance.router)
    app.include_router(servicehub_views.router)
    app.include_router(citycode_views.router)
    app.include_router(portal_pages.router)
    app.include_router(portal_apidocs.router)
    app.include_router(servicehub_pages.router)
    app.include_router(citycode_pages.router)
    app.include_router(portal_home.router)
    app.include_router(portal_home.api_router)
    app.include_router(portal_inbox.router)
    app.include_router(portal_inbox.api_router)
    app.include_router(cockpit_pages.router)

    @app.get("/healthz", tags=["operations"])
    def healthz(session: DbSession) -> dict[str, str]:
        """Liveness and database reachability."""
        session.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    @app.get("/metrics", tags=["operations"], response_class=Response)
    def prometheus_metrics() -> Response:
        """Prometheus exposition format."""
        return metrics.render()


def _error_response(request: Request, status: int, body: dict[str, Any]) -> Response:
    if portal_pages.wants_html(request):
        return portal_pages.render_error(request, status, body)
    return JSONResponse(body, status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def on_domain_error(request: Request, exc: DomainError) -> Response:
        return _error_response(request, exc.status, exc.body())

    @app.exception_handler(RequestValidationError)
    async def on_invalid_request(request: Request, exc: RequestValidationError) -> Response:
        fields = [
            {"field": ".".join(str(part) for part in error["loc"]), "problem": error["msg"]}
            for error in exc.errors()
        ]
        body = {
            "code": "request.invalid",
            "message": "请求内容有误：" + "；".join(f["field"] for f in fields),
            "message_en": "The request is invalid: " + "; ".join(f["field"] for f in fields),
            "fields": fields,
        }
        return _error_response(request, 422, body)

    @app.exception_handler(OverflowError)
    async def on_out_of_range(request: Request, exc: OverflowError) -> Response:
        # Only input can get here: a date before year 1 in UTC, a duration of ten thousand years.
        return _error_response(request, 422, OUT_OF_RANGE)

    @app.exception_handler(StatementError)
    async def on_statement_error(request: Request, exc: StatementError) -> Response:
        # The same, caught while binding a query parameter (SQLAlchemy wraps it).
        if isinstance(exc.orig, OverflowError):
            return _error_response(request, 422, OUT_OF_RANGE)
        if "NUL (0x00)" in str(exc.orig):
            # PostgreSQL text cannot hold NUL; whatever parameter carried it, it is input.
            return _error_response(request, 422, NUL_IN_TEXT)
        return _bug(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code, message, message_en = HTTP_CODES.get(
            exc.status_code, (f"http.{exc.status_code}", "请求无法处理", str(exc.detail))
        )
        response = _error_response(
            request, exc.status_code, {"code": code, "message": message, "message_en": message_en}
        )
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def on_bug(request: Request, exc: Exception) -> Response:
        return _bug(request, exc)


def _bug(request: Request, exc: Exception) -> Response:
    """A defect, not bad input: logged with a reference the person can quote."""
    request_id = uuid.uuid4().hex[:12]
    log.error("unhandled error", request_id=request_id, path=request.url.path, exc_info=exc)
    body = {
        "code": "internal",
        "message": f"系统内部错误，请联系管理员（编号 {request_id}）",
        "message_en": f"Internal error; please report reference {request_id}",
    }
    return _error_response(request, 500, body)
