"""``citybrain brain``: the data hub's notification worker, queue, history retention and
scenario inventory."""

from __future__ import annotations

import json
import time
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table

from citybrain.brain import notify, scenarios
from citybrain.config import Settings
from citybrain.core.db import transaction
from citybrain.runtime import session_factory

app = typer.Typer(help="城市大脑 / the brain's data hub (NGSI-LD).", no_args_is_help=True)
err = Console(stderr=True)
out = Console()


@app.command("notify")
def notify_command(
    once: Annotated[bool, typer.Option(help="Deliver what is due once, then exit.")] = False,
    idle_seconds: Annotated[
        float, typer.Option(min=0.1, max=60, help="Seconds between polls when the queue is empty.")
    ] = 1.0,
) -> None:
    """Deliver queued subscription notifications (the server also runs this in-process)."""
    factory = session_factory(Settings())
    worker = notify.NotificationWorker(factory, idle_seconds=idle_seconds)
    if once:
        with httpx.Client() as client:
            sent = worker.run_once(client)
        err.print(f"attempted {sent} notifications")
        return
    worker.start()
    err.print("delivering notifications; Ctrl-C to stop")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        worker.stop()


@app.command("alerts-to-cases")
def alerts_to_cases_command() -> None:
    """Turn raised alerts into governance reports now (the server's worker does this too)."""
    from citybrain.brain import flows

    factory = session_factory(Settings())
    with factory() as session, transaction(session):
        stats = flows.open_cases_for_alerts(session)
    out.print_json(json.dumps(stats.__dict__))


@app.command("kpis")
def kpis_command() -> None:
    """Publish the pillars' KPIs from their new events now (the server's worker does too)."""
    from citybrain.brain import pillar_kpis

    factory = session_factory(Settings())
    with factory() as session, transaction(session):
        stats = pillar_kpis.publish(session)
    out.print_json(
        json.dumps(
            {
                "events": stats.events,
                "recomputed": stats.recomputed,
                "written": len(stats.written),
                "unchanged": stats.unchanged,
            }
        )
    )


@app.command("feeds")
def feeds_command(
    rate: Annotated[int, typer.Option(min=1, max=20_000, help="Sensor readings per second.")] = 200,
    seconds: Annotated[
        int, typer.Option(min=0, help="How long to stream; 0 streams until Ctrl-C.")
    ] = 60,
    rain_chance: Annotated[
        float, typer.Option(min=0, max=1, help="Chance per second that rain starts or stops.")
    ] = 0.02,
    seed: Annotated[int, typer.Option(help="Seed of the simulated readings.")] = 20201220,
) -> None:
    """Stream simulated sensor readings into the hub (traffic, parking, air, water)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from citybrain.brain.feeds import FeedSimulator
    from citybrain.core.db import utcnow

    factory = session_factory(Settings())
    simulator = FeedSimulator(seed=seed, rain_chance=rain_chance)
    with factory() as session:
        found = simulator.discover(session)
    if not found:
        err.print("no sensors in the hub; run `citybrain demo load` first", style="red")
        raise typer.Exit(code=1)
    total = 0
    started = time.monotonic()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[stored]:,} readings"),
        TimeElapsedColumn(),
        console=err,
    ) as progress:
        task = progress.add_task("feeding", total=seconds or None, stored=0)
        try:
            while seconds == 0 or time.monotonic() - started < seconds:
                tick_started = time.monotonic()
                with factory() as session, transaction(session):
                    total += simulator.tick(session, now=utcnow(), updates=rate)
                notify.wake()
                label = "raining 下雨" if simulator.raining else "feeding"
                progress.update(
                    task, completed=time.monotonic() - started, stored=total, description=label
                )
                time.sleep(max(0.0, 1.0 - (time.monotonic() - tick_started)))
        except KeyboardInterrupt:
            pass
    out.print_json(json.dumps({"readings": total, "sensors": found}))


@app.command("queue")
def queue_command(
    requeue_failed: Annotated[
        bool, typer.Option(help="Put notifications that were given up on back in the queue.")
    ] = False,
) -> None:
    """Show the notification queue by status (pending, delivered, failed)."""
    factory = session_factory(Settings())
    with factory() as session, transaction(session):
        if requeue_failed:
            err.print(f"re-queued {notify.requeue_failed(session)} notifications")
        counts = notify.queue_counts(session)
    out.print_json(json.dumps(counts))


@app.command("retention")
def retention_command(
    keep_months: Annotated[
        int,
        typer.Option(
            min=1, help="Whole months of history kept before the current one; older goes."
        ),
    ],
    ahead_months: Annotated[
        int, typer.Option(min=0, max=24, help="Monthly partitions to create ahead (PostgreSQL).")
    ] = 3,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before deleting.")] = False,
) -> None:
    """Delete history older than --keep-months (whole monthly partitions on PostgreSQL).

    The server's worker does the same hourly when brain.history_keep_months is set, and
    creates the partitions of the coming months.
    """
    from citybrain.brain import history
    from citybrain.core.db import utcnow

    now = utcnow()
    cutoff = history.retention_cutoff(now, keep_months)
    if not yes:
        typer.confirm(f"Delete the brain's history before {cutoff:%Y-%m-%d}?", abort=True)
    factory = session_factory(Settings())
    started = time.perf_counter()
    with factory() as session, transaction(session):
        result = history.housekeep(
            session, now=now, keep_months=keep_months, ahead_months=ahead_months
        )
    assert result is not None
    out.print_json(
        json.dumps(
            {
                "cutoff": result.cutoff.isoformat(),
                "dropped_partitions": result.dropped_partitions,
                "deleted_rows": result.deleted_rows,
                "seconds": round(time.perf_counter() - started, 3),
            }
        )
    )


@app.command("scenarios")
def scenarios_command(
    domain: Annotated[str | None, typer.Option(help="Only this domain (code).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the application scenarios (应用场景) by domain."""
    found = scenarios.list_scenarios(domain=domain)
    if as_json:
        out.print_json(json.dumps(found, ensure_ascii=False))
        return
    table = Table("id", "场景 scenario", "domain", "department", "alert → severity")
    for manifest in found:
        rule = manifest["alert_rules"][0]
        table.add_row(
            manifest["id"],
            manifest["name"],
            manifest["domain"]["name"],
            manifest["department"],
            f"{rule['condition']} → {rule['severity']}",
        )
    out.print(table)
    err.print(f"{len(found)} scenarios")
