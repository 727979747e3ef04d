"""The ``citybrain`` command: migrate, users, calendar and audit, through typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from sqlalchemy import text
from typer.testing import CliRunner

from citybrain.cli import app
from citybrain.core.db import make_engine
from tests.core.test_workdays import NOTICE_2027

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {
        "CITYBRAIN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "CITYBRAIN_DATA_DIR": str(tmp_path),
    }
    result = runner.invoke(app, ["migrate"], env=values)
    assert result.exit_code == 0, result.output
    return values


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "migrate", "demo", "users", "calendar", "audit"):
        assert command in result.output


def test_calendar_show_marks_unknown_years_provisional(env: dict[str, str]) -> None:
    known = runner.invoke(app, ["calendar", "show", "2026", "--json"], env=env)
    assert json.loads(known.stdout)["official"] is True
    assert "2026-02-14" in json.loads(known.stdout)["workdays"]
    unknown = runner.invoke(app, ["calendar", "show", "2027", "--json"], env=env)
    assert json.loads(unknown.stdout)["official"] is False


def test_calendar_load_makes_a_year_official(env: dict[str, str], tmp_path: Path) -> None:
    notice = tmp_path / "2027.json"
    notice.write_text(json.dumps(NOTICE_2027), encoding="utf-8")
    loaded = runner.invoke(app, ["calendar", "load", str(notice)], env=env)
    assert loaded.exit_code == 0, loaded.output
    shown = json.loads(runner.invoke(app, ["calendar", "show", "2027", "--json"], env=env).stdout)
    assert shown["official"] is True and "2027-02-20" in shown["workdays"]


def test_calendar_load_refuses_a_broken_file(env: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["calendar", "load", str(broken)], env=env)
    assert result.exit_code == 1
    assert "calendar.bad_file" in result.output


def test_users_create_and_audit_verify_catches_tampering(env: dict[str, str]) -> None:
    created = runner.invoke(
        app,
        ["users", "create", "ops.admin", "--role", "admin", "--password", "a-long-password"],
        env=env,
    )
    assert created.exit_code == 0, created.output
    assert json.loads(created.stdout)["username"] == "ops.admin"
    duplicate = runner.invoke(
        app,
        ["users", "create", "ops.admin", "--role", "admin", "--password", "a-long-password"],
        env=env,
    )
    assert duplicate.exit_code == 1 and "identity.username_taken" in duplicate.output
    intact = runner.invoke(app, ["audit", "verify"], env=env)
    assert intact.exit_code == 0 and json.loads(intact.stdout)["intact"] is True
    engine = make_engine(env["CITYBRAIN_DATABASE_URL"])
    with engine.begin() as connection:
        row_id = connection.execute(text("SELECT min(id) FROM core_audit_entry")).scalar_one()
        connection.execute(
            text("UPDATE core_audit_entry SET actor_name = 'someone else' WHERE id = :id"),
            {"id": row_id},
        )
    engine.dispose()
    tampered = runner.invoke(app, ["audit", "verify"], env=env)
    assert tampered.exit_code == 2
    assert json.loads(tampered.stdout)["first_bad_id"] == row_id


def test_regions_load_takes_official_boundaries_in_gcj02(
    env: dict[str, str], tmp_path: Path
) -> None:
    from citybrain.config import Settings
    from citybrain.core import geo
    from citybrain.regions import service as regions_service
    from citybrain.runtime import session_factory

    settings = Settings(
        database_url=env["CITYBRAIN_DATABASE_URL"], data_dir=Path(env["CITYBRAIN_DATA_DIR"])
    )
    factory = session_factory(settings)
    with factory() as session:
        regions_service.load_reference(session)
        session.commit()
    # a small square around 二七广场, as a map provider (GCJ-02) would give it
    corners = [(113.66, 34.75), (113.68, 34.75), (113.68, 34.77), (113.66, 34.77), (113.66, 34.75)]
    ring = [list(geo.from_wgs84(lon, lat, "gcj02")) for lon, lat in corners]
    feature = {
        "type": "Feature",
        "properties": {"code": "410103"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    path = tmp_path / "erqi.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    result = runner.invoke(app, ["regions", "load", str(path), "--crs", "gcj02"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["divisions"] == 1
    with factory() as session:
        division = regions_service.get_division_or_raise(session, code="410103")
        assert not division.boundary_is_synthetic
        bounds = shapely.from_wkt(division.boundary_wkt).bounds
        assert bounds == pytest.approx((113.66, 34.75, 113.68, 34.77), abs=1e-6)
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature"}]}')
    refused = runner.invoke(app, ["regions", "load", str(bad)], env=env)
    assert refused.exit_code == 1 and "regions.invalid_geojson" in refused.output
