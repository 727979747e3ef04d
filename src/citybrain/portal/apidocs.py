"""The API reference at /docs, rendered on the server from the OpenAPI document.

Swagger UI would add 458 KB of gzipped script (and dozens of external URLs in its
bundle) to a platform whose pages must stay under 500 KB and fetch nothing from
outside; this page needs no script at all. Tools read ``/openapi.json`` directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from citybrain.portal.rendering import render

router = APIRouter(include_in_schema=False)

METHODS = ("get", "post", "put", "patch", "delete")
REF_PREFIX = "#/components/schemas/"


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    description: str
    anchor: str
    parameters: list[dict[str, str]]
    body: list[dict[str, str]]
    responses: list[dict[str, str]]


@dataclass
class Section:
    tag: str
    anchor: str
    operations: list[Operation] = field(default_factory=list)


def type_of(schema: dict[str, Any]) -> str:
    """A schema as one short readable type, e.g. ``list[CaseOut] | null``."""
    if "$ref" in schema:
        return str(schema["$ref"]).removeprefix(REF_PREFIX)
    for union in ("anyOf", "oneOf"):
        if union in schema:
            return " | ".join(type_of(part) for part in schema[union])
    if "allOf" in schema:
        return " & ".join(type_of(part) for part in schema["allOf"])
    if "enum" in schema:
        return " | ".join(repr(value) for value in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list[{type_of(schema.get('items', {}))}]"
    if kind == "object" and "additionalProperties" in schema:
        extra = schema["additionalProperties"]
        return f"dict[str, {type_of(extra) if isinstance(extra, dict) else 'any'}]"
    fmt = schema.get("format")
    return f"{kind} ({fmt})" if fmt else str(kind)


def refs_in(schema: dict[str, Any]) -> list[str]:
    """Names of the component schemas a schema points at, for links."""
    found: list[str] = []
    if "$ref" in schema:
        found.append(str(schema["$ref"]).removeprefix(REF_PREFIX))
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, []):
            found.extend(refs_in(part))
    if isinstance(schema.get("items"), dict):
        found.extend(refs_in(schema["items"]))
    if isinstance(schema.get("additionalProperties"), dict):
        found.extend(refs_in(schema["additionalProperties"]))
    return found


def _parameters(operation: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "name": parameter["name"],
            "in": parameter.get("in", ""),
            "required": "是 yes" if parameter.get("required") else "否 no",
            "type": type_of(parameter.get("schema", {})),
            "description": parameter.get("description", ""),
        }
        for parameter in operation.get("parameters", [])
    ]


def _content(entries: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for media_type, media in entries.items():
        schema = media.get("schema", {})
        rows.append(
            {"media_type": media_type, "type": type_of(schema), "refs": ",".join(refs_in(schema))}
        )
    return rows


def _responses(operation: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for status, response in operation.get("responses", {}).items():
        content = _content(response.get("content", {}))
        rows.append(
            {
                "status": status,
                "description": response.get("description", ""),
                "type": content[0]["type"] if content else "",
                "refs": content[0]["refs"] if content else "",
            }
        )
    return rows


def sections(document: dict[str, Any]) -> list[Section]:
    """Operations grouped by their first tag, in the order the app declares them."""
    by_tag: dict[str, Section] = {}
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            tag = (operation.get("tags") or ["other"])[0]
            section = by_tag.setdefault(tag, Section(tag=tag, anchor=f"tag-{len(by_tag)}"))
            body = operation.get("requestBody", {})
            section.operations.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    summary=operation.get("summary", ""),
                    description=operation.get("description", ""),
                    anchor=operation.get("operationId", f"{method}-{path}"),
                    parameters=_parameters(operation),
                    body=_content(body.get("content", {})),
                    responses=_responses(operation),
                )
            )
    return list(by_tag.values())


def schema_rows(schema: dict[str, Any]) -> list[dict[str, str]]:
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "type": type_of(field_schema),
            "refs": ",".join(refs_in(field_schema)),
            "required": "是 yes" if name in required else "",
            "description": field_schema.get("description", field_schema.get("title", "")),
        }
        for name, field_schema in schema.get("properties", {}).items()
    ]


@router.get("/docs", response_class=HTMLResponse)
def api_reference(request: Request) -> Response:
    document = request.app.openapi()
    schemas = document.get("components", {}).get("schemas", {})
    context = {
        "user": None,
        "nav_items": [],
        "info": document.get("info", {}),
        "openapi_version": document.get("openapi", ""),
        "sections": sections(document),
        "schemas": [
            {"name": name, "description": body.get("description", ""), "rows": schema_rows(body)}
            for name, body in sorted(schemas.items())
        ],
    }
    return render(request, "apidocs.html", context)
