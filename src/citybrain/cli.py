"""The ``citybrain`` command: serve, migrate, demo, users, calendar, audit, regions and the
pillars' own sub-commands (services, cases, code, brain)."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from citybrain.brain.cli import app as brain_app
from citybrain.brain.cli import feeds_command as brain_feeds_command
from citybrain.citycode.cli import app as code_app
from citybrain.config import Settings
from citybrain.core import audit, migrate, outbox, workdays
from citybrain.core.db import transaction
from citybrain.core.errors import DomainError
from citybrain.core.security import OPERATOR, SYSTEM, Role
from citybrain.governance.cli import app as cases_app
from citybrain.runtime import session_factory
from citybrain.servicehub.cli import app as services_app

app = typer.Typer(
    help="citybrain：城市数字政府平台 / a city's digital government.", no_args_is_help=True
)
demo_app = typer.Typer(help="The Zhengzhou demo city.", no_args_is_help=True)
users_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
calendar_app = typer.Typer(help="Working-day calendar.", no_args_is_help=True)
audit_app = typer.Typer(help="Audit trail.", no_args_is_help=True)
regions_app = typer.Typer(help="Divisions, streets and grid cells.", no_args_is_help=True)
app.add_typer(demo_app, name="demo")
app.add_typer(users_app, name="users")
app.add_typer(calendar_app, name="calendar")
app.add_typer(audit_app, name="audit")
app.add_typer(regions_app, name="regions")
app.add_typer(brain_app, name="brain")
app.add_typer(code_app, name="code")
app.add_typer(services_app, name="services")
app.add_typer(cases_app, name="cases")

err = Console(stderr=True)
out = Console()


def _settings() -> Settings:
    return Settings()


def _fail(error: DomainError) -> None:
    err.print(f"{error.message} ({error.message_en}) [{error.code}]", style="red", markup=False)
    raise typer.Exit(code=1)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    )


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind; loopback unless you mean to expose it.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the platform (API, pages, /docs, /healthz, /metrics)."""
    import uvicorn

    uvicorn.run(
        "citybrain.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


@app.command("migrate")
def migrate_command(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Bring the database schema to the latest (or a given) revision."""
    settings = _settings()
    migrate.upgrade(settings.database_url, revision)
    err.print(f"schema at {revision}")


@demo_app.command("load")
def demo_load() -> None:
    """Build the Zhengzhou demo city (once: does nothing if it is already there)."""
    from citybrain.demo import loader

    settings = _settings()
    factory = session_factory(settings)
    started = datetime.now()
    with _progress() as bar:
        tasks: dict[str, TaskID] = {}

        def report(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total)
            bar.update(tasks[step], completed=done)

        loaded = loader.load(factory, settings, report)
    seconds = (datetime.now() - started).total_seconds()
    if loaded:
        err.print(f"demo city loaded in {seconds:.1f} s")
    else:
        err.print("demo city already loaded; nothing to do")


# ``citybrain demo feeds``: the brain's simulated sensors, where operators look for the demo.
demo_app.command("feeds")(brain_feeds_command)


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="Staff role.")],
    display_name: Annotated[str, typer.Option(help="Name shown on pages.")] = "",
    department_id: Annotated[
        int | None, typer.Option(help="Department id (department roles).")
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            envvar="CITYBRAIN_NEW_USER_PASSWORD", help="Password; asked for when not given."
        ),
    ] = None,
) -> None:
    """Create a staff account."""
    from citybrain.identity import service as identity_service

    secret = password or typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    factory = session_factory(_settings())
    try:
        with factory() as session, transaction(session):
            account = identity_service.create_staff_account(
                session,
                actor=OPERATOR,
                username=username,
                display_name=display_name or username,
                password=secret,
                role=role,
                department_id=department_id,
            )
    except DomainError as error:
        _fail(error)
    typer.echo(json.dumps({"id": account.id, "username": account.username, "role": role.value}))


@calendar_app.command("load")
def calendar_load(
    file: Annotated[
        Path, typer.Argument(help="JSON file of one year's State Council holiday notice.")
    ],
) -> None:
    """Load a year's holidays and make-up workdays (beyond the built-in 2004–2026)."""
    factory = session_factory(_settings())
    try:
        notice = workdays.read_notice_file(file)
        with factory() as session, transaction(session):
            workdays.load_year(session, notice)
            audit.record(
                session,
                SYSTEM,
                "calendar.year_loaded",
                entity_type="calendar_year",
                entity_id=notice.year,
                detail={"source": notice.source},
            )
            outbox.emit_raw(session, "core.calendar_year_loaded", {"year": notice.year})
    except DomainError as error:
        _fail(error)
    err.print(
        f"{notice.year}: {len(notice.holidays)} holidays, "
        f"{len(notice.workdays)} make-up workdays loaded"
    )


@calendar_app.command("show")
def calendar_show(
    year: Annotated[int, typer.Argument(help="Year to show.")] = date.today().year,
    json_output: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List a year's holidays and make-up workdays, and whether the data is official."""
    factory = session_factory(_settings())
    with factory() as session:
        calendar = workdays.calendar_for(session)
    known = year in calendar.known_years
    holidays = sorted(d for d in calendar.holidays if d.year == year)
    extra = sorted(d for d in calendar.workdays if d.year == year)
    if json_output:
        out.print_json(
            data={
                "year": year,
                "official": known,
                "holidays": [d.isoformat() for d in holidays],
                "workdays": [d.isoformat() for d in extra],
            }
        )
        return
    if not known:
        err.print(f"[yellow]{year} 年没有官方节假日数据：期限仅按周末计算，标记为暂定。[/yellow]")
        err.print(
            f"No official data for {year}: deadlines count weekends only, marked provisional."
        )
    table = Table(title=f"{year} 节假日与调休 / holidays and make-up workdays")
    table.add_column("日期 date")
    table.add_column("类型 kind")
    for day in sorted([*holidays, *extra]):
        table.add_row(day.isoformat(), "调休上班 workday" if day in extra else "放假 holiday")
    out.print(table)


@regions_app.command("load")
def regions_load(
    file: Annotated[Path, typer.Argument(help="GeoJSON FeatureCollection of official boundaries.")],
    crs: Annotated[
        str, typer.Option(help="Coordinates of the file: wgs84, gcj02 or bd09.")
    ] = "wgs84",
) -> None:
    """Load the city's official district or street boundaries (replacing the synthetic ones)."""
    from citybrain.regions import service as regions_service

    factory = session_factory(_settings())
    try:
        with factory() as session, transaction(session):
            counts = regions_service.load_boundaries_geojson(session, path=file, crs=crs)
            audit.record(
                session,
                OPERATOR,
                "regions.boundaries_loaded",
                entity_type="boundaries",
                entity_id=file.name,
                detail={"divisions": counts.divisions, "streets": counts.streets, "crs": crs},
            )
    except DomainError as error:
        _fail(error)
    typer.echo(
        json.dumps(
            {
                "divisions": counts.divisions,
                "streets": counts.streets,
                "grid_cells_removed": counts.grid_cells_removed,
            }
        )
    )


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk the audit chain; report the first altered row and exit non-zero if any."""
    factory = session_factory(_settings())
    with factory() as session:
        report = audit.verify(session)
    if report.intact:
        typer.echo(json.dumps({"intact": True, "rows_checked": report.rows_checked}))
        return
    typer.echo(
        json.dumps(
            {
                "intact": False,
                "rows_checked": report.rows_checked,
                "first_bad_id": report.first_bad_id,
                "problem": report.problem,
            }
        )
    )
    raise typer.Exit(code=2)


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="citybrain")
    sys.exit(0)
