"""``citybrain cases …``: escalate overdue cases (督办) and print evaluation indicators."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from citybrain.config import Settings
from citybrain.core.db import transaction
from citybrain.core.security import SYSTEM
from citybrain.governance import lifecycle, present, service
from citybrain.runtime import session_factory

app = typer.Typer(help="一网统管 / city cases: escalation and indicators.", no_args_is_help=True)


def _parse_time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"not an ISO 8601 time: {text}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@app.command("escalate")
def escalate_command() -> None:
    """督办: raise the escalation level of every overdue case now (run it from cron)."""
    factory = session_factory(Settings())
    with factory() as session, transaction(session):
        cases = lifecycle.escalate_overdue(session, actor=SYSTEM)
        typer.echo(json.dumps({"escalated": [c.id for c in cases]}))


@app.command("indicators")
def indicators_command(
    start: Annotated[str, typer.Option(help="Start of the period (ISO 8601).")],
    end: Annotated[str, typer.Option(help="End of the period, exclusive (ISO 8601).")],
    department_id: Annotated[int | None, typer.Option(help="Only this department.")] = None,
    division_code: Annotated[str | None, typer.Option(help="Only this district.")] = None,
) -> None:
    """结案率, 按期结案率, 返工率, 延期率, 回访满意率 for cases due in the period, as JSON."""
    factory = session_factory(Settings())
    with factory() as session:
        rates = service.indicators(
            session,
            start=_parse_time(start),
            end=_parse_time(end),
            department_id=department_id,
            division_code=division_code,
        )
    typer.echo(present.rates_out(rates).model_dump_json())
