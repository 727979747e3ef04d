"""Stored entities as NGSI-LD JSON: normalized, concise or keyValues, compacted."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from citybrain.brain.ngsi.attributes import format_datetime, render_attribute
from citybrain.brain.ngsi.context import Context
from citybrain.brain.ngsi.problems import bad_data
from citybrain.brain.ngsi.store import StoredEntity

FORMATS = ("normalized", "concise", "keyValues")


def output_format(options: str | None, fmt: str | None = None) -> tuple[str, bool]:
    """(representation, sysAttrs) from the ``options``/``format`` parameters."""
    chosen = "normalized"
    sys_attrs = False
    for option in (options or "").split(","):
        option = option.strip()
        if not option:
            continue
        if option in FORMATS:
            chosen = option
        elif option == "simplified":
            chosen = "keyValues"
        elif option == "sysAttrs":
            sys_attrs = True
        elif option not in ("noOverwrite", "replace", "update", "temporalValues", "count"):
            raise bad_data(f"Unknown option {option[:40]!r}")
    if fmt:
        if fmt not in FORMATS:
            raise bad_data(f"format must be one of {', '.join(FORMATS)}")
        chosen = fmt
    return chosen, sys_attrs


def render_entity(
    entity: StoredEntity,
    ctx: Context,
    *,
    fmt: str = "normalized",
    attrs: Collection[str] | None = None,
    sys_attrs: bool = False,
) -> dict[str, Any]:
    out: dict[str, Any] = {"id": entity.entity_id, "type": ctx.compact(entity.type_iri)}
    if sys_attrs and fmt != "keyValues":
        out["createdAt"] = format_datetime(entity.created_at)
        out["modifiedAt"] = format_datetime(entity.modified_at)
    for name in sorted(entity.attrs):
        if attrs is not None and name not in attrs:
            continue
        stored = entity.attrs[name]
        out[ctx.compact(name)] = render_attribute(
            stored.body,
            ctx,
            fmt=fmt,
            created_at=stored.created_at if sys_attrs else None,
            modified_at=stored.modified_at if sys_attrs else None,
        )
    return out
