"""HTTP plumbing of the NGSI-LD routes: problem-details errors, context and media types.

``NgsiRoute`` turns every refusal raised under ``/ngsi-ld/v1`` (NGSI-LD errors, request
validation, the platform's ``DomainError`` from authentication) into
``application/problem+json``, so these routes speak NGSI-LD's error format only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from citybrain.brain.ngsi import context as ld
from citybrain.brain.ngsi.problems import (
    PROBLEM_MEDIA_TYPE,
    NgsiError,
    ProblemType,
    bad_data,
    problem_body,
)
from citybrain.core.errors import DomainError

JSON = "application/json"
JSON_LD = "application/ld+json"


def problem_response(body: dict[str, Any], status: int) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def _from_domain_error(error: DomainError) -> Response:
    problem = {401: ProblemType.Unauthorized, 403: ProblemType.Forbidden}.get(
        error.status, ProblemType.BadRequestData
    )
    body = problem_body(
        problem, error.message_en, status=error.status, code=error.code, detail_zh=error.message
    )
    return problem_response(body, error.status)


def _from_validation(error: RequestValidationError) -> Response:
    problems = error.errors()
    if any(item.get("type") == "json_invalid" for item in problems):
        body = problem_body(ProblemType.InvalidRequest, "The body is not valid JSON")
        return problem_response(body, 400)
    fields = [
        {"field": ".".join(str(part) for part in item["loc"]), "problem": item["msg"]}
        for item in problems
    ]
    detail = "; ".join(f"{f['field']}: {f['problem']}" for f in fields)
    body = problem_body(ProblemType.BadRequestData, detail[:1000], fields=fields[:20])
    return problem_response(body, 400)


class NgsiRoute(APIRoute):
    """An API route whose refusals are NGSI-LD problem details."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except NgsiError as error:
                return problem_response(error.body(), error.status)
            except RequestValidationError as error:
                return _from_validation(error)
            except DomainError as error:
                return _from_domain_error(error)

        return handler


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def body_context(request: Request, body: Any) -> ld.Context:
    """The context of a request with a body: ``@context`` in an ld+json body, else Link."""
    media = _media_type(request)
    if isinstance(body, bytes | bytearray):
        raise NgsiError(
            ProblemType.UnsupportedMediaType,
            "Send application/json or application/ld+json",
        )
    if media == JSON_LD:
        items = body if isinstance(body, list) else [body]
        contexts = [item.get("@context") if isinstance(item, dict) else None for item in items]
        if any(found is None for found in contexts):
            raise bad_data("An application/ld+json body must carry @context")
        if any(found != contexts[0] for found in contexts):
            raise bad_data("Every entity of a batch must carry the same @context")
        return ld.resolve(contexts[0])
    if media in (JSON, ""):
        items = body if isinstance(body, list) else [body]
        if any(isinstance(item, dict) and "@context" in item for item in items):
            raise bad_data(
                "@context in the body needs Content-Type application/ld+json; "
                "with application/json give it in a Link header"
            )
        return ld.from_link_header(request.headers.get("link"))
    raise NgsiError(
        ProblemType.UnsupportedMediaType, "Send application/json or application/ld+json"
    )


def query_context(request: Request) -> ld.Context:
    return ld.from_link_header(request.headers.get("link"))


def negotiate(request: Request) -> str:
    """The response media type the client accepts (406 when it accepts neither)."""
    accept = request.headers.get("accept", "")
    if not accept.strip():
        return JSON
    ranges = []
    for position, part in enumerate(accept.split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    weight = float(param[2:])
                except ValueError:
                    weight = 0.0
        ranges.append((-weight, position, media.lower()))
    for weight, _, media in sorted(ranges):
        if weight == 0:
            continue
        if media == JSON_LD:
            return JSON_LD
        if media in (JSON, "*/*", "application/*"):
            return JSON
    raise NgsiError(
        ProblemType.NotAcceptable, "This API answers application/json or application/ld+json"
    )


def json_response(
    request: Request,
    data: Any,
    ctx: ld.Context,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    media = negotiate(request)
    extra = dict(headers or {})
    if media == JSON_LD:
        if isinstance(data, list):
            data = [{**item, "@context": ctx.as_jsonld()} for item in data]
        elif isinstance(data, dict):
            data = {**data, "@context": ctx.as_jsonld()}
    else:
        extra["Link"] = ld.link_header(ctx)
    return Response(
        json.dumps(data, ensure_ascii=False),
        status_code=status,
        media_type=media,
        headers=extra,
    )


def no_content(headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=204, headers=headers)


def split_list(value: str | None, limit: int = 100) -> list[str] | None:
    if value is None:
        return None
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise bad_data("An empty list was given")
    if len(items) > limit:
        raise bad_data(f"At most {limit} items may be listed")
    return items
