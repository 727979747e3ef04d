"""``citybrain services …``: import and export the service-item catalog."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer

from citybrain.config import Settings
from citybrain.core.db import transaction
from citybrain.core.errors import DomainError
from citybrain.core.security import OPERATOR
from citybrain.runtime import session_factory
from citybrain.servicehub import catalog

app = typer.Typer(help="一网通办 / the service catalog: import, export.", no_args_is_help=True)


def _fail(error: DomainError) -> None:
    typer.echo(f"{error.message} ({error.message_en}) [{error.code}]", err=True)
    raise typer.Exit(code=1)


@app.command("import")
def import_command(
    file: Annotated[
        Path, typer.Argument(help="A JSON array or CSV of items.", exists=True, dir_okay=False)
    ],
    format: Annotated[
        Literal["json", "csv"] | None,
        typer.Option(help="File format; by default from the file name."),
    ] = None,
) -> None:
    """Import items: good rows are saved; bad rows are listed with row and rule."""
    kind = format or ("csv" if file.suffix.lower() == ".csv" else "json")
    content = file.read_bytes()
    factory = session_factory(Settings())
    try:
        rows = catalog.parse_csv(content) if kind == "csv" else catalog.parse_json(content)
        with factory() as session, transaction(session):
            report = catalog.import_items(session, actor=OPERATOR, rows=rows)
    except DomainError as error:
        _fail(error)
        return
    typer.echo(json.dumps(report.model_dump(), ensure_ascii=False, indent=1))
    if report.rejected:
        raise typer.Exit(code=2)


@app.command("export")
def export_command(
    format: Annotated[Literal["json", "csv"], typer.Option(help="Output format.")] = "csv",
) -> None:
    """Print the whole catalog (re-importable) to stdout."""
    factory = session_factory(Settings())
    with factory() as session:
        if format == "csv":
            typer.echo(catalog.export_csv(session), nl=False)
        else:
            typer.echo(json.dumps(catalog.export_rows(session), ensure_ascii=False, indent=1))
