"""FastAPI dependencies that turn a request into an ``Actor``."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from citybrain.core.db import DbSession
from citybrain.core.errors import DomainError
from citybrain.core.security import Actor, ActorKind, decode_token
from citybrain.identity import service as identity_service

TOKEN_COOKIE = "citybrain_token"

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def _unauthenticated() -> DomainError:
    return DomainError("auth.not_authenticated", "请先登录", "Please log in first", status=401)


def actor_from_token(request: Request, session: DbSession, token: str) -> Actor:
    claims = decode_token(request.app.state.token_secret, token)
    try:
        account_id = int(claims["sub"])
    except (TypeError, ValueError):
        raise DomainError(
            "auth.token_invalid", "登录凭证无效", "The token is invalid", status=401
        ) from None
    account = identity_service.get_account(session, account_id)
    if account is None or not account.is_active:
        raise DomainError(
            "auth.token_invalid", "账号已停用", "The account is not active", status=401
        )
    return identity_service.actor_for(account)


def optional_actor(
    request: Request,
    session: DbSession,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
    api_key: Annotated[str | None, Depends(api_key_header)],
) -> Actor | None:
    """The caller by bearer token, page cookie or API key; None when anonymous."""
    if bearer:
        return actor_from_token(request, session, bearer)
    if api_key:
        return identity_service.authenticate_api_key(session, api_key)
    cookie = request.cookies.get(TOKEN_COOKIE)
    if cookie:
        refuse_cross_site(request)
        return actor_from_token(request, session, cookie)
    return None


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def refuse_cross_site(request: Request) -> None:
    """A page's login cookie changes state only from our own pages (no CSRF).

    Browsers say where a request comes from: ``Sec-Fetch-Site`` (decided by the browser,
    right behind any proxy), else ``Origin``. Bearer tokens and API keys are not sent by
    browsers on their own, so only the cookie path needs this.
    """
    if request.method not in UNSAFE_METHODS:
        return
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        if site in ("same-origin", "none"):
            return
        raise _cross_site()
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise _cross_site()


def _cross_site() -> DomainError:
    return DomainError(
        "auth.cross_site_request",
        "请求来自其他网站，已拒绝；请在本系统页面内操作",
        "Refused: the request came from another site; act from this platform's pages",
        status=403,
    )


def current_actor(actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
    if actor is None:
        raise _unauthenticated()
    return actor


def staff_actor(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
    if actor.kind is not ActorKind.staff:
        raise DomainError("auth.staff_only", "仅限工作人员", "Staff only", status=403)
    return actor


OptionalActor = Annotated[Actor | None, Depends(optional_actor)]
CurrentActor = Annotated[Actor, Depends(current_actor)]
StaffActor = Annotated[Actor, Depends(staff_actor)]
