"""Staff console: one inbox across pillars (/inbox) for department clerks and heads,
its bulk steps, and the same list as JSON (/api/v1/portal/inbox)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from citybrain.core.db import DbSession
from citybrain.core.errors import DomainError
from citybrain.core.security import Actor
from citybrain.identity.dependencies import StaffActor
from citybrain.portal import inbox_service
from citybrain.portal.inbox_service import InboxQuery
from citybrain.portal.pages import page_context
from citybrain.portal.rendering import render
from citybrain.portal.schemas import (
    BulkIn,
    BulkOut,
    BulkResultOut,
    CaseFiguresOut,
    FiguresOut,
    InboxPage,
    InboxRowOut,
    ServiceFiguresOut,
)

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1/portal", tags=["portal"])

WORD = "^[a-z_]*$"
Pillar = Annotated[
    str | None, Query(max_length=16, pattern=WORD, description="servicehub or governance")
]
State = Annotated[str | None, Query(max_length=16, pattern=WORD, description="a status")]
Level = Annotated[
    str | None, Query(max_length=8, pattern=WORD, description="normal, warning, overdue, none")
]
Text = Annotated[str, Query(max_length=64, description="text in number, title or summary")]
Sort = Annotated[str, Query(max_length=16, pattern=WORD, description="deadline, received or kind")]
Order = Annotated[str, Query(pattern="^(asc|desc)$")]
Page = Annotated[int, Query(ge=1, le=100_000)]
PageSize = Annotated[int, Query(ge=1, le=inbox_service.MAX_PAGE_SIZE)]

COLUMNS = (
    ("kind", "类型", "Kind"),
    ("received", "收到", "Received"),
    ("deadline", "期限", "Deadline"),
)


def _query(
    pillar: str | None,
    state: str | None,
    level: str | None,
    q: str,
    sort: str,
    order: str,
    page: int,
    page_size: int,
) -> InboxQuery:
    return InboxQuery(
        pillar=pillar or None,
        state=state or None,
        level=level or None,
        text=q,
        sort=sort or "deadline",
        descending=order == "desc",
        page=page,
        page_size=page_size,
    )


def _link(query: InboxQuery, **changes: Any) -> str:
    """The inbox URL with the current filters and some changed (sort headers, pages)."""
    params: dict[str, Any] = {
        "pillar": query.pillar or "",
        "state": query.state or "",
        "level": query.level or "",
        "q": query.text,
        "sort": query.sort,
        "order": "desc" if query.descending else "asc",
        "page": query.page,
        "page_size": query.page_size,
    }
    params.update(changes)
    return "/inbox?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _figures(session: Any, actor: Actor) -> inbox_service.DepartmentFigures | None:
    rows = inbox_service.all_rows(session, actor=actor)
    return inbox_service.head_figures(session, actor=actor, rows=rows)


def _context(
    request: Request,
    session: Any,
    actor: Actor,
    query: InboxQuery,
    bulk_results: list[inbox_service.BulkResult] | None = None,
    bulk_action: str | None = None,
) -> dict[str, Any]:
    query = inbox_service.check_query(query)
    result = inbox_service.inbox(session, actor=actor, query=query)
    context = page_context(request, session, actor)
    context.update(
        query=query,
        result=result,
        columns=COLUMNS,
        link=lambda **changes: _link(query, **changes),
        level_labels=inbox_service.LEVEL_LABELS,
        kind_labels=inbox_service.KIND_LABELS,
        bulk_labels=inbox_service.BULK_LABELS,
        bulk_results=bulk_results,
        bulk_action=bulk_action,
        bulk_refs={},
        max_rows=inbox_service.MAX_ROWS_PER_PILLAR,
    )
    return context


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(
    request: Request,
    session: DbSession,
    actor: StaffActor,
    pillar: Pillar = None,
    state: State = None,
    level: Level = None,
    q: Text = "",
    sort: Sort = "deadline",
    order: Order = "asc",
    page: Page = 1,
    page_size: PageSize = 20,
) -> Response:
    """The department's applications and cases in one table; the head also sees figures."""
    query = _query(pillar, state, level, q, sort, order, page, page_size)
    context = _context(request, session, actor, query)
    if _is_htmx(request):
        return render(request, "inbox/_results.html", context)
    context["figures"] = _figures(session, actor)
    return render(request, "inbox/inbox.html", context)


@router.post("/inbox/bulk", response_class=HTMLResponse)
def inbox_bulk(
    request: Request,
    session: DbSession,
    actor: StaffActor,
    action: Annotated[str, Form(max_length=16)],
    keys: Annotated[list[str], Form(max_length=inbox_service.MAX_BULK)] = [],  # noqa: B006
    pillar: Annotated[str, Form(max_length=16, pattern=WORD)] = "",
    state: Annotated[str, Form(max_length=16, pattern=WORD)] = "",
    level: Annotated[str, Form(max_length=8, pattern=WORD)] = "",
    q: Annotated[str, Form(max_length=64)] = "",
    sort: Annotated[str, Form(max_length=16, pattern=WORD)] = "deadline",
    order: Annotated[str, Form(pattern="^(asc|desc)$")] = "asc",
    page_size: Annotated[int, Form(ge=1, le=inbox_service.MAX_PAGE_SIZE)] = 20,
) -> Response:
    """Sign for (签收) or accept (受理) the ticked rows, each on its own; report each."""
    query = _query(pillar, state, level, q, sort, order, 1, page_size)
    try:
        results = inbox_service.bulk(session, actor=actor, action=action, keys=keys)
    except DomainError as error:
        if error.status != 422:
            raise
        # Nothing ticked, too many, or an unknown action: say so above the table, keep it.
        context = _context(request, session, actor, query)
        context["bulk_error"] = error.body()
        template = "inbox/_results.html" if _is_htmx(request) else "inbox/inbox.html"
        if not _is_htmx(request):
            context["figures"] = _figures(session, actor)
        return render(request, template, context, status_code=422)
    context = _context(request, session, actor, query, bulk_results=results, bulk_action=action)
    if _is_htmx(request):
        return render(request, "inbox/_results.html", context)
    context["figures"] = _figures(session, actor)
    return render(request, "inbox/inbox.html", context)


def _row_out(row: inbox_service.InboxRow) -> InboxRowOut:
    return InboxRowOut.model_validate(row)


@api_router.get("/inbox", response_model=InboxPage)
def inbox_api(
    session: DbSession,
    actor: StaffActor,
    pillar: Pillar = None,
    state: State = None,
    level: Level = None,
    q: Text = "",
    sort: Sort = "deadline",
    order: Order = "asc",
    page: Page = 1,
    page_size: PageSize = 20,
) -> InboxPage:
    """The department's open applications and cases across pillars, with their clocks."""
    query = _query(pillar, state, level, q, sort, order, page, page_size)
    result = inbox_service.inbox(session, actor=actor, query=query)
    return InboxPage(
        total=result.total,
        truncated=result.truncated,
        page=result.page,
        page_size=result.page_size,
        pages=result.pages,
        items=[_row_out(r) for r in result.rows],
    )


@api_router.post("/inbox/bulk", response_model=BulkOut)
def inbox_bulk_api(body: BulkIn, session: DbSession, actor: StaffActor) -> BulkOut:
    """claim (签收) dispatched cases or accept (受理) submitted tasks; one result per key."""
    results = inbox_service.bulk(session, actor=actor, action=body.action, keys=body.keys)
    return BulkOut(
        action=body.action,
        succeeded=sum(1 for r in results if r.ok),
        failed=sum(1 for r in results if not r.ok),
        results=[BulkResultOut.model_validate(r) for r in results],
    )


@api_router.get("/inbox/figures", response_model=FiguresOut)
def inbox_figures_api(session: DbSession, actor: StaffActor) -> FiguresOut:
    """The head's figures: servicehub department metrics and the cases' indicators."""
    rows = inbox_service.all_rows(session, actor=actor)
    figures = inbox_service.head_figures(session, actor=actor, rows=rows)
    if figures is None:
        return FiguresOut(services=None, cases=None, overdue=None)
    rates = figures.cases
    return FiguresOut(
        services=ServiceFiguresOut.model_validate(figures.services),
        cases=CaseFiguresOut(
            start=figures.cases_start,
            end=figures.cases_end,
            due=rates.due,
            closed=rates.closed,
            closure_rate=rates.closure_rate,
            on_time_rate=rates.on_time_rate,
            rework_rate=rates.rework_rate,
            extension_rate=rates.extension_rate,
            satisfaction_rate=rates.satisfaction_rate,
        ),
        overdue=len(figures.overdue),
    )
