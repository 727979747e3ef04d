"""Parse NGSI-LD entities and attributes from requests, and render them back.

Accepts the normalized form (``{"type": "Property", "value": ...}``) and the concise
form (bare values, ``{"value": ...}``, ``{"object": ...}``, GeoJSON geometries). Stores
one normalized body per attribute with sub-attribute names expanded to IRIs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import shapely.errors
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from citybrain.brain.ngsi.context import Context
from citybrain.brain.ngsi.problems import bad_data

ENTITY_ID = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s/<>\"{}|\\^`]+$")
TERM = re.compile(r"^[A-Za-z_@][A-Za-z0-9_\-.:#/@~]*$")
MAX_ID_LENGTH = 256
MAX_DEPTH = 16
MAX_COORDINATES = 10_000
ATTRIBUTE_KINDS = ("Property", "Relationship", "GeoProperty", "LanguageProperty")
GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
)
META_KEYS = frozenset(
    ["type", "value", "object", "observedAt", "unitCode", "datasetId", "languageMap"]
)
SYSTEM_KEYS = frozenset(["createdAt", "modifiedAt", "instanceId", "lang"])
ENTITY_KEYS = frozenset(["id", "type", "@context", "createdAt", "modifiedAt", "scope"])
LOCATION = "https://uri.etsi.org/ngsi-ld/location"


@dataclass
class ParsedAttribute:
    kind: str
    body: dict[str, Any]
    observed_at: datetime | None = None
    value_num: float | None = None
    geometry: BaseGeometry | None = None


@dataclass
class ParsedEntity:
    entity_id: str
    type_iri: str
    attrs: dict[str, ParsedAttribute | None] = field(default_factory=dict)


def check_entity_id(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise bad_data("Entity id must be a non-empty string (a URI)")
    if len(value) > MAX_ID_LENGTH or not ENTITY_ID.match(value):
        raise bad_data(
            f"Entity id {value[:80]!r} is not a URI such as urn:ngsi-ld:Type:123 "
            f"(at most {MAX_ID_LENGTH} characters, no spaces or '/')"
        )
    return value


def check_term(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise bad_data(f"{what} must be a non-empty string")
    if len(value) > MAX_ID_LENGTH or not TERM.match(value):
        raise bad_data(f"{what} {value[:80]!r} is not a valid name")
    return value


def parse_datetime(value: Any, what: str) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise bad_data(f"{what} must be an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise bad_data(f"{what} {value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise bad_data(f"{what} {value!r} has no time zone; use Z for UTC")
    return parsed.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _check_json(value: Any, depth: int = 0) -> None:
    """Refuse values a database cannot store faithfully: NaN, NUL, absurd nesting."""
    if depth > MAX_DEPTH:
        raise bad_data(f"Value nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, float) and not math.isfinite(value):
        raise bad_data("Numbers must be finite (no NaN or Infinity)")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**63:
        raise bad_data("Integer out of range")
    if isinstance(value, str) and "\x00" in value:
        raise bad_data("Text must not contain NUL characters")
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                raise bad_data("Keys must not contain NUL characters")
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)


def _numeric(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:
            return None
    return None


def parse_geometry(value: Any, what: str) -> BaseGeometry:
    if not isinstance(value, dict) or value.get("type") not in GEOMETRY_TYPES:
        raise bad_data(f"{what} must be a GeoJSON geometry ({', '.join(GEOMETRY_TYPES)})")
    _check_json(value)
    try:
        geometry = shape(value)
        count = len(shapely.get_coordinates(geometry))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
        raise bad_data(f"{what} is not a valid GeoJSON geometry: {error}") from None
    except shapely.errors.ShapelyError as error:
        raise bad_data(f"{what} is not a valid GeoJSON geometry: {error}") from None
    if count == 0 or count > MAX_COORDINATES:
        raise bad_data(f"{what} must have between 1 and {MAX_COORDINATES} positions")
    min_x, min_y, max_x, max_y = geometry.bounds
    if not (-180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90):
        raise bad_data(f"{what} has positions outside longitude/latitude range")
    if not geometry.is_valid:
        raise bad_data(f"{what} is not a valid geometry (e.g. a self-intersecting polygon)")
    return geometry


def _kind_of(raw: Any) -> str:
    """The attribute kind of a normalized or concise attribute."""
    if isinstance(raw, dict):
        declared = raw.get("type")
        if declared in ATTRIBUTE_KINDS:
            return str(declared)
        if declared in GEOMETRY_TYPES and "coordinates" in raw:
            return "GeoConcise"
        if "object" in raw:
            return "Relationship"
        if "languageMap" in raw:
            return "LanguageProperty"
        if "value" in raw:
            return "Property"
        if declared is not None and isinstance(declared, str) and "value" not in raw:
            raise bad_data(f"Unknown attribute type {declared[:40]!r}")
    return "Bare"


def parse_attribute(name_iri: str, raw: Any, ctx: Context, *, depth: int = 0) -> ParsedAttribute:
    """One attribute (or sub-attribute) in normalized form."""
    if raw is None:
        raise bad_data(f"Attribute {ctx.compact(name_iri)!r} has no value")
    if (
        isinstance(raw, list)
        and raw
        and all(isinstance(item, dict) and "type" in item for item in raw)
    ):
        raise bad_data(
            f"Attribute {ctx.compact(name_iri)!r}: multi-attributes (datasetId) are not supported"
        )
    kind = _kind_of(raw)
    if kind == "Bare":
        raw = {"type": "Property", "value": raw}
        kind = "Property"
    elif kind == "GeoConcise":
        raw = {"type": "GeoProperty", "value": raw}
        kind = "GeoProperty"
    value = raw.get("value")
    if name_iri == LOCATION and kind == "Property" and isinstance(value, dict):
        kind = "GeoProperty" if value.get("type") in GEOMETRY_TYPES else kind
    assert isinstance(raw, dict)
    body: dict[str, Any] = {"type": kind}
    parsed = ParsedAttribute(kind=kind, body=body)
    label = ctx.compact(name_iri)
    if kind == "Property":
        if "value" not in raw or raw["value"] is None:
            raise bad_data(f"Property {label!r} has no value")
        _check_json(raw["value"])
        body["value"] = raw["value"]
        parsed.value_num = _numeric(raw["value"])
    elif kind == "GeoProperty":
        parsed.geometry = parse_geometry(raw.get("value"), f"GeoProperty {label!r}")
        body["value"] = raw["value"]
    elif kind == "Relationship":
        target = raw.get("object")
        targets = target if isinstance(target, list) else [target]
        if not targets or len(targets) > 1000:
            raise bad_data(f"Relationship {label!r} needs an object")
        for item in targets:
            if not isinstance(item, str) or not ENTITY_ID.match(item) or len(item) > 256:
                raise bad_data(f"Relationship {label!r} object must be an entity URI")
        body["object"] = target
    else:
        language_map = raw.get("languageMap")
        if not isinstance(language_map, dict) or not language_map:
            raise bad_data(f"LanguageProperty {label!r} needs a languageMap object")
        _check_json(language_map)
        if not all(isinstance(text, str | list) for text in language_map.values()):
            raise bad_data(f"LanguageProperty {label!r}: languageMap values must be text")
        body["languageMap"] = language_map
    if "observedAt" in raw:
        parsed.observed_at = parse_datetime(raw["observedAt"], f"{label}.observedAt")
        body["observedAt"] = format_datetime(parsed.observed_at)
    if "unitCode" in raw:
        unit = raw["unitCode"]
        if not isinstance(unit, str) or not 0 < len(unit) <= 16 or "\x00" in unit:
            raise bad_data(f"{label}.unitCode must be a short UN/CEFACT code such as CEL")
        body["unitCode"] = unit
    if "datasetId" in raw:
        raise bad_data(f"Attribute {label!r}: datasetId (multi-attributes) is not supported")
    for key, sub in raw.items():
        if key in META_KEYS or key in SYSTEM_KEYS:
            continue
        if depth >= 2:
            raise bad_data(f"Sub-attributes of {label!r} nest too deep")
        check_term(key, "Sub-attribute name")
        sub_iri = ctx.expand(key)
        body[sub_iri] = parse_attribute(sub_iri, sub, ctx, depth=depth + 1).body
    return parsed


def parse_entity(
    raw: Any,
    ctx: Context,
    *,
    entity_id: str | None = None,
    allow_null: bool = False,
    need_type: bool = True,
) -> ParsedEntity:
    """An entity from a request body; ``entity_id`` when the id comes from the path."""
    if not isinstance(raw, dict):
        raise bad_data("An entity must be a JSON object")
    if entity_id is None:
        if "id" not in raw:
            raise bad_data("Entity has no id")
        entity_id = check_entity_id(raw.get("id"))
    elif "id" in raw and raw["id"] != entity_id:
        raise bad_data("The id in the body differs from the id in the path")
    type_iri = ""
    if "type" in raw:
        declared = raw["type"]
        if isinstance(declared, list):
            if len(declared) != 1:
                raise bad_data("Entities with more than one type are not supported")
            declared = declared[0]
        type_iri = ctx.expand(check_term(declared, "Entity type"))
    elif need_type:
        raise bad_data(f"Entity {entity_id!r} has no type")
    entity = ParsedEntity(entity_id=entity_id, type_iri=type_iri)
    if len(raw) > 1_000:
        raise bad_data("An entity may have at most 1,000 attributes")
    for key, value in raw.items():
        if key in ENTITY_KEYS:
            continue
        check_term(key, "Attribute name")
        name_iri = ctx.expand(key)
        if value is None or value == "urn:ngsi-ld:null":
            if not allow_null:
                raise bad_data(f"Attribute {key!r} has no value")
            entity.attrs[name_iri] = None
            continue
        entity.attrs[name_iri] = parse_attribute(name_iri, value, ctx)
    return entity


def _compact_body(body: dict[str, Any], ctx: Context) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key in META_KEYS or key in SYSTEM_KEYS:
            out[key] = value
        else:
            out[ctx.compact(key)] = _compact_body(value, ctx) if isinstance(value, dict) else value
    return out


def plain_value(body: dict[str, Any]) -> Any:
    """The value of an attribute as keyValues shows it."""
    kind = body.get("type")
    if kind == "Relationship":
        return body.get("object")
    if kind == "LanguageProperty":
        return body.get("languageMap")
    return body.get("value")


def render_attribute(
    body: dict[str, Any],
    ctx: Context,
    *,
    fmt: str,
    created_at: datetime | None = None,
    modified_at: datetime | None = None,
) -> Any:
    if fmt == "keyValues":
        return plain_value(body)
    out = _compact_body(body, ctx)
    if created_at is not None:
        out["createdAt"] = format_datetime(created_at)
    if modified_at is not None:
        out["modifiedAt"] = format_datetime(modified_at)
    if fmt == "concise":
        kind = out.pop("type", None)
        if kind == "Property" and len(out) == 1 and not isinstance(out["value"], dict):
            return out["value"]
        if kind == "GeoProperty" and len(out) == 1:
            return out["value"]
    return out
