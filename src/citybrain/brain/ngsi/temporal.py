"""The temporal API: attribute history by time (``timerel``), the last N instances, and
aggregates per period (``aggrMethods`` avg/min/max/sum/totalCount, ``aggrPeriodDuration``).

Aggregation runs in the database: periods are integer buckets of ``observed_ms``.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import func, literal, select, text, union_all
from sqlalchemy.orm import Session

from citybrain.brain.models import NgsiObservation
from citybrain.brain.ngsi.attributes import format_datetime, parse_datetime, render_attribute
from citybrain.brain.ngsi.context import Context
from citybrain.brain.ngsi.problems import NgsiError, ProblemType, bad_data
from citybrain.brain.ngsi.store import StoredEntity, epoch_ms
from citybrain.core.db import is_postgresql

AGGREGATES = ("avg", "min", "max", "sum", "totalCount")
TIMERELS = ("before", "after", "between")
MAX_INSTANCES = 20_000
MAX_PERIODS = 100_000  # rows of (entity, attribute, period) one aggregation may return
MAX_LAST_N = 1_000
_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def parse_duration(text: str) -> int:
    """Whole seconds of an ISO 8601 duration such as ``PT1H`` or ``P1D`` (no months/years)."""
    match = _DURATION.match(text or "")
    if not match or text in ("P", "PT") or text.endswith("T"):
        raise bad_data(
            f"aggrPeriodDuration {text[:40]!r} is not a duration such as PT5M, PT1H or P1D "
            "(months and years are not supported)"
        )
    parts = {key: int(value) for key, value in match.groupdict().items() if value}
    seconds = int(
        timedelta(
            weeks=parts.get("weeks", 0),
            days=parts.get("days", 0),
            hours=parts.get("hours", 0),
            minutes=parts.get("minutes", 0),
            seconds=parts.get("seconds", 0),
        ).total_seconds()
    )
    if seconds <= 0 or seconds > 366 * 86_400:
        raise bad_data("aggrPeriodDuration must be between 1 second and 366 days")
    return seconds


@dataclass(frozen=True)
class TemporalQuery:
    timerel: str | None = None
    time_at: datetime | None = None
    end_time_at: datetime | None = None
    last_n: int | None = None
    aggr_methods: tuple[str, ...] = ()
    aggr_period_s: int | None = None
    temporal_values: bool = False


def parse_temporal(
    *,
    timerel: str | None,
    time_at: str | None,
    end_time_at: str | None,
    last_n: int | None,
    aggr_methods: str | None,
    aggr_period: str | None,
    options: str | None,
) -> TemporalQuery:
    """Validate the temporal parameters (an inverted interval is bad request data)."""
    start = end = None
    if timerel is not None:
        if timerel not in TIMERELS:
            raise bad_data(f"timerel must be one of {', '.join(TIMERELS)}")
        if not time_at:
            raise bad_data("timerel needs timeAt")
        start = parse_datetime(time_at, "timeAt")
        if timerel == "between":
            if not end_time_at:
                raise bad_data("timerel=between needs endTimeAt")
            end = parse_datetime(end_time_at, "endTimeAt")
            if end <= start:
                raise bad_data("endTimeAt must be later than timeAt (the interval is inverted)")
        elif end_time_at:
            raise bad_data("endTimeAt is only used with timerel=between")
    elif time_at or end_time_at:
        raise bad_data("timeAt and endTimeAt need timerel")
    if last_n is not None and not 1 <= last_n <= MAX_LAST_N:
        raise bad_data(f"lastN must be between 1 and {MAX_LAST_N}")
    option_set = {part.strip() for part in (options or "").split(",") if part.strip()}
    methods: tuple[str, ...] = ()
    if aggr_methods:
        methods = tuple(dict.fromkeys(m.strip() for m in aggr_methods.split(",")))
        unknown = [m for m in methods if m not in AGGREGATES]
        if unknown:
            raise bad_data(f"aggrMethods must be among {', '.join(AGGREGATES)}")
    elif "aggregatedValues" in option_set:
        raise bad_data("options=aggregatedValues needs aggrMethods")
    period = parse_duration(aggr_period) if aggr_period else None
    if period and not methods:
        raise bad_data("aggrPeriodDuration needs aggrMethods")
    return TemporalQuery(
        timerel=timerel,
        time_at=start,
        end_time_at=end,
        last_n=last_n,
        aggr_methods=methods,
        aggr_period_s=period,
        temporal_values="temporalValues" in option_set,
    )


def _time_filter(query: Any, spec: TemporalQuery) -> Any:
    """``before``: t < timeAt; ``after``: t >= timeAt; ``between``: timeAt <= t < endTimeAt."""
    if spec.time_at is None:
        return query
    start = epoch_ms(spec.time_at)
    if spec.timerel == "before":
        return query.where(NgsiObservation.observed_ms < start)
    if spec.timerel == "after":
        return query.where(NgsiObservation.observed_ms >= start)
    assert spec.end_time_at is not None
    return query.where(
        NgsiObservation.observed_ms >= start,
        NgsiObservation.observed_ms < epoch_ms(spec.end_time_at),
    )


def _instances(
    session: Session, pks: Sequence[int], names: Sequence[str] | None, spec: TemporalQuery
) -> list[tuple[int, str, dict[str, Any], datetime, int]]:
    base = select(
        NgsiObservation.entity_pk,
        NgsiObservation.name,
        NgsiObservation.body,
        NgsiObservation.observed_at,
        NgsiObservation.id,
    ).where(NgsiObservation.entity_pk.in_(list(pks)))
    if names:
        base = base.where(NgsiObservation.name.in_(list(names)))
    base = _time_filter(base, spec)
    if spec.last_n:
        ranked = base.add_columns(
            func.row_number()
            .over(
                partition_by=(NgsiObservation.entity_pk, NgsiObservation.name),
                order_by=(NgsiObservation.observed_at.desc(), NgsiObservation.id.desc()),
            )
            .label("rank")
        ).subquery()
        query = (
            select(
                ranked.c.entity_pk, ranked.c.name, ranked.c.body, ranked.c.observed_at, ranked.c.id
            )
            .where(ranked.c.rank <= spec.last_n)
            .order_by(ranked.c.entity_pk, ranked.c.name, ranked.c.observed_at, ranked.c.id)
        )
    else:
        query = base.order_by(
            NgsiObservation.entity_pk,
            NgsiObservation.name,
            NgsiObservation.observed_at,
            NgsiObservation.id,
        )
    rows = session.execute(query.limit(MAX_INSTANCES + 1)).all()
    if len(rows) > MAX_INSTANCES:
        raise NgsiError(
            ProblemType.TooManyResults,
            f"More than {MAX_INSTANCES:,} instances match; narrow the time range or use lastN",
        )
    return [(pk, name, body, observed, row_id) for pk, name, body, observed, row_id in rows]


def _origin(spec: TemporalQuery) -> int:
    if spec.time_at is not None and spec.timerel in ("after", "between"):
        return epoch_ms(spec.time_at)
    return 0


_AGGREGATE_SQL: dict[str, Any] = {
    "avg": func.avg,
    "min": func.min,
    "max": func.max,
    "sum": func.sum,
    "totalCount": lambda _value: func.count(),  # every instance, numeric or not
}
ARMS_PER_STATEMENT = 100  # SQLite allows 500 arms in one compound SELECT


def _series_arm(pk: int, names: Sequence[str] | None, spec: TemporalQuery) -> Any:
    """The periods of one entity: a GROUP BY over one range of the series index.

    One arm per entity keeps each sort small (SQLite sorts a GROUP BY on an
    expression); the covering index means the table itself is never read.
    """
    obs = NgsiObservation
    origin = _origin(spec)
    period = spec.aggr_period_s * 1000 if spec.aggr_period_s else None
    bucket = ((obs.observed_ms - origin) // period if period else literal(0)).label("bucket")
    one_name = names is not None and len(names) == 1
    name = literal(names[0]).label("name") if names and one_name else obs.name
    columns = [
        literal(pk).label("entity_pk"),
        name,
        bucket,
        *(_AGGREGATE_SQL[m](obs.value_num).label(m) for m in spec.aggr_methods),
    ]
    if not period:
        columns += [func.min(obs.observed_ms), func.max(obs.observed_ms)]
    query = select(*columns).where(obs.entity_pk == pk)
    if names:
        query = query.where(obs.name == names[0] if one_name else obs.name.in_(list(names)))
    query = _time_filter(query, spec)
    return query.group_by(bucket) if one_name else query.group_by(obs.name, bucket)


def _aggregates(
    session: Session, pks: Sequence[int], names: Sequence[str] | None, spec: TemporalQuery
) -> dict[tuple[int, str], list[Any]]:
    """Rows per (entity pk, name) in period order:
    ``(pk, name, period index, *values in aggrMethods order[, first ms, last ms])``.

    Everything is computed in SQL; Python only places the rows.
    """
    if is_postgresql(session):
        # PostgreSQL would JIT-compile the expressions of every arm: 0.4 s of a 1 s page
        # of 100 entities × 720 periods, more than the query itself. (SET LOCAL: this
        # transaction only.)
        session.execute(text("SET LOCAL jit = off"))
    rows: list[Any] = []
    for start in range(0, len(pks), ARMS_PER_STATEMENT):
        arms = [_series_arm(pk, names, spec) for pk in pks[start : start + ARMS_PER_STATEMENT]]
        query = arms[0] if len(arms) == 1 else union_all(*arms)
        rows += session.execute(query.limit(MAX_PERIODS + 1 - len(rows))).all()
        if len(rows) > MAX_PERIODS:
            raise NgsiError(
                ProblemType.TooManyResults,
                "Too many periods; use a longer aggrPeriodDuration or fewer entities per page",
            )
    out: dict[tuple[int, str], list[Any]] = {}
    for row in rows:
        out.setdefault((row[0], row[1]), []).append(row)
    for periods in out.values():
        periods.sort(key=itemgetter(2))
    return out


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector while a large result is built.

    Rendering 1,000 entities × 720 periods creates millions of small lists, which no
    cycle can hold; without the pause the collector runs over the growing heap again
    and again and takes four fifths of the time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@lru_cache(maxsize=65_536)
def _iso(milliseconds: int) -> str:
    return format_datetime(datetime.fromtimestamp(milliseconds / 1000, UTC))


@lru_cache(maxsize=65_536)
def _span(origin_ms: int, period_ms: int, index: int) -> tuple[str, str]:
    """startAt and endAt of period ``index`` counted from ``origin_ms``."""
    start = origin_ms + index * period_ms
    return _iso(start), _iso(start + period_ms)


def _render_aggregates(
    out: dict[int, dict[str, Any]],
    by_pk: dict[int, StoredEntity],
    series: dict[tuple[int, str], list[Any]],
    *,
    ctx: Context,
    spec: TemporalQuery,
) -> None:
    """``{"avg": [[value, startAt, endAt], ...], ...}`` per attribute, periods in order."""
    origin = _origin(spec)
    period = spec.aggr_period_s * 1000 if spec.aggr_period_s else None
    last = 3 + len(spec.aggr_methods)  # first and last ms follow the values (no period)
    for pk, name in sorted(series):
        periods = series[(pk, name)]
        stored = by_pk[pk].attrs.get(name)
        entry: dict[str, Any] = {"type": stored.kind if stored else "Property"}
        if period:
            spans = [_span(origin, period, int(row[2])) for row in periods]
        else:
            spans = [(_iso(int(row[last])), _iso(int(row[last + 1]) + 1)) for row in periods]
        for column, method in enumerate(spec.aggr_methods, start=3):
            entry[method] = [[p[column], s, e] for p, (s, e) in zip(periods, spans, strict=True)]
        out[pk][ctx.compact(name)] = entry


def temporal_entities(
    session: Session,
    entities: Sequence[StoredEntity],
    *,
    ctx: Context,
    spec: TemporalQuery,
    attrs: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """The temporal representation of ``entities`` (history, values or aggregates)."""
    by_pk = {entity.pk: entity for entity in entities}
    out: dict[int, dict[str, Any]] = {
        entity.pk: {"id": entity.entity_id, "type": ctx.compact(entity.type_iri)}
        for entity in entities
    }
    if not entities:
        return []
    if spec.aggr_methods:
        with _gc_paused():
            series = _aggregates(session, list(by_pk), attrs, spec)
            _render_aggregates(out, by_pk, series, ctx=ctx, spec=spec)
        return [out[entity.pk] for entity in entities]
    for pk, name, body, observed, row_id in _instances(session, list(by_pk), attrs, spec):
        key = ctx.compact(name)
        if spec.temporal_values:
            entry = out[pk].setdefault(key, {"type": body.get("type", "Property"), "values": []})
            value = body.get("object") if body.get("type") == "Relationship" else body.get("value")
            entry["values"].append([value, format_datetime(observed)])
            continue
        instance = render_attribute(body, ctx, fmt="normalized")
        instance["observedAt"] = format_datetime(observed)
        instance["instanceId"] = f"urn:ngsi-ld:attribute:instance:{row_id}"
        out[pk].setdefault(key, []).append(instance)
    return [out[entity.pk] for entity in entities]
