"""The home's search: a page (and htmx partial as residents type) and the JSON API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from citybrain.core.db import DbSession
from citybrain.identity.dependencies import OptionalActor
from citybrain.portal import search as portal_search
from citybrain.portal.pages import page_context
from citybrain.portal.rendering import render
from citybrain.portal.schemas import SearchHitOut, SearchPage

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1/portal", tags=["portal"])

SearchQuery = Annotated[
    str,
    Query(
        max_length=portal_search.MAX_QUERY,
        pattern=r"^[^\x00-\x1f\x7f]*$",  # no control characters (NUL cannot be stored)
        description="Chinese, full pinyin or initials",
    ),
]
SearchLimit = Annotated[int, Query(ge=1, le=50)]


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request, session: DbSession, actor: OptionalActor, q: SearchQuery = ""
) -> Response:
    """Services and bundles for a query: the partial for htmx, else a whole page."""
    hits = portal_search.search(session, query=q)
    if request.headers.get("hx-request") == "true":
        return render(request, "home/_search_results.html", {"q": q.strip(), "hits": hits})
    context = page_context(request, session, actor)
    context.update(q=q.strip(), hits=hits)
    return render(request, "home/search.html", context)


@api_router.get("/search", response_model=SearchPage)
def search_api(
    session: DbSession, q: SearchQuery = "", limit: SearchLimit = portal_search.DEFAULT_LIMIT
) -> SearchPage:
    """Search every app service and bundle by name, colloquial alias, pinyin or initials."""
    hits = portal_search.search(session, query=q, limit=limit)
    return SearchPage(
        query=q,
        items=[
            SearchHitOut(
                kind="bundle" if h.kind == "bundle" else "item",
                id=h.id,
                name=h.name,
                matched=h.matched,
                audience=h.audience,
                department=h.department,
                href=h.href,
            )
            for h in hits
        ],
    )
