"""NGSI-LD errors as RFC 7807 problem details (``application/problem+json``).

The NGSI-LD routes answer in the specification's own error format rather than the
platform's ``{code, message}``; ``ProblemType`` names the error types of GS CIM 009.
"""

from __future__ import annotations

import enum
from typing import Any

ERROR_BASE = "https://uri.etsi.org/ngsi-ld/errors/"
PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemType(enum.Enum):
    """Error type, default HTTP status, English and Chinese title."""

    InvalidRequest = (400, "Invalid request", "请求格式错误")
    BadRequestData = (400, "Bad request data", "请求数据有误")
    AlreadyExists = (409, "Already exists", "实体或订阅已存在")
    OperationNotSupported = (422, "Operation not supported", "不支持该操作")
    ResourceNotFound = (404, "Resource not found", "资源不存在")
    InternalError = (500, "Internal error", "内部错误")
    TooComplexQuery = (403, "Too complex query", "查询过于复杂")
    TooManyResults = (403, "Too many results", "结果过多")
    LdContextNotAvailable = (504, "LD context not available", "无法获取 @context")
    NotAcceptable = (406, "Not acceptable", "无法提供所请求的格式")
    UnsupportedMediaType = (415, "Unsupported media type", "不支持的内容类型")
    PayloadTooLarge = (413, "Payload too large", "请求内容过大")
    Unauthorized = (401, "Unauthorized", "未认证")
    Forbidden = (403, "Forbidden", "无权进行此操作")

    @property
    def status(self) -> int:
        return int(self.value[0])

    @property
    def uri(self) -> str:
        if self.name in _CITYBRAIN_TYPES:
            return f"urn:citybrain:problem:{self.name}"
        return ERROR_BASE + self.name


# Statuses GS CIM 009 names no error type for.
_CITYBRAIN_TYPES = {"NotAcceptable", "UnsupportedMediaType", "PayloadTooLarge"}
_CITYBRAIN_TYPES |= {"Unauthorized", "Forbidden"}


class NgsiError(Exception):
    """A refusal in NGSI-LD terms: problem type, English detail, optional extras."""

    def __init__(
        self,
        problem: ProblemType,
        detail: str,
        *,
        status: int | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(f"{problem.name}: {detail}")
        self.problem = problem
        self.detail = detail
        self.status = status or problem.status
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return problem_body(self.problem, self.detail, status=self.status, **self.extra)


def problem_body(
    problem: ProblemType, detail: str, *, status: int | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": problem.uri,
        "title": problem.value[1],
        "status": status or problem.status,
        "detail": detail,
        "title_zh": problem.value[2],
    }
    body.update(extra)
    return body


def bad_data(detail: str, **extra: Any) -> NgsiError:
    return NgsiError(ProblemType.BadRequestData, detail, **extra)


def invalid(detail: str, **extra: Any) -> NgsiError:
    return NgsiError(ProblemType.InvalidRequest, detail, **extra)


def not_found(detail: str, **extra: Any) -> NgsiError:
    return NgsiError(ProblemType.ResourceNotFound, detail, **extra)
