"""Simulated feeds move the demo city: readings land in the history, rain raises alerts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from citybrain.brain import demo
from citybrain.brain.feeds import FeedSimulator
from citybrain.brain.models import NgsiObservation
from citybrain.core.db import utcnow
from citybrain.core.models import OutboxEvent


def test_ticks_store_readings_and_rain_floods_underpasses(city_session: Session) -> None:
    demo.load(city_session, seed=7)
    before = city_session.scalar(select(func.count()).select_from(NgsiObservation)) or 0
    simulator = FeedSimulator(seed=7, rain_chance=0.0)
    assert simulator.discover(city_session) == 12 + sum(demo.COUNTS.values())
    now = utcnow()
    assert simulator.tick(city_session, now=now, updates=150) == 150
    assert (city_session.scalar(select(func.count()).select_from(NgsiObservation)) or 0) > before
    simulator.raining = True
    simulator.sensors = {"FloodMonitoring": simulator.sensors["FloodMonitoring"]}
    for minute in range(1, 12):
        simulator.tick(city_session, now=now + timedelta(minutes=minute), updates=24)
    raised = city_session.scalars(
        select(OutboxEvent).where(OutboxEvent.name == "brain.alert_raised")
    ).all()
    assert raised, "an hour of rain should flood some underpasses"
    assert {e.payload["category_name"] for e in raised} == {"道路积水"}


def test_feeds_command_refuses_an_empty_hub(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from citybrain.cli import app
    from citybrain.core.db import make_engine
    from citybrain.models import Base

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    monkeypatch.setenv("CITYBRAIN_DATABASE_URL", url)
    monkeypatch.setenv("CITYBRAIN_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["brain", "feeds", "--seconds", "1"])
    assert result.exit_code == 1
    assert "demo load" in result.output
