"""The demo city as ``make run`` serves it: loaded once, every login works, no plain 身份证号."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from citybrain.config import Settings
from citybrain.core.db import make_engine
from citybrain.demo import loader, people
from tests.live import LiveCity, run_cli, start_city, stop_city

pytestmark = [pytest.mark.slow]


def demo_usernames() -> list[str]:
    names = [username for username, *_ in loader.CITY_STAFF]
    for row in loader.department_rows():
        names += [f"clerk.{row.slug}", f"head.{row.slug}"]
    names += [f"resident{n:02d}" for n in range(1, loader.RESIDENT_ACCOUNTS + 1)]
    names += [f"enterprise{n:02d}" for n in range(1, loader.ENTERPRISE_ACCOUNTS + 1)]
    return names


@pytest.fixture(scope="module")
def postgres_city(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveCity]:
    """The demo city migrated, loaded and served on PostgreSQL (the ``--db`` server)."""
    url = request.config.getoption("--db")
    if not url or not str(url).startswith("postgresql"):
        pytest.skip("needs --db postgresql://... (make test passes it on the second run)")
    name = f"citybrain_demo_{uuid.uuid4().hex[:8]}"
    admin = make_engine(str(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    city_url = make_url(str(url)).set(database=name).render_as_string(hide_password=False)
    city = start_city(tmp_path_factory.mktemp("pgcity"), CITYBRAIN_DATABASE_URL=city_url)
    yield city
    stop_city(city)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.db
def test_the_demo_city_serves_on_postgresql_and_every_login_works(postgres_city: LiveCity) -> None:
    assert httpx.get(f"{postgres_city.base_url}/healthz").json()["status"] == "ok"
    _every_login_works(postgres_city)
    located = httpx.get(
        f"{postgres_city.base_url}/api/v1/regions/locate", params={"lon": 113.62, "lat": 34.75}
    )
    assert located.status_code == 200 and located.json()["division_code"].startswith("4101")


def test_health_and_metrics(demo_city: LiveCity) -> None:
    assert httpx.get(f"{demo_city.base_url}/healthz").json()["status"] == "ok"
    metrics = httpx.get(f"{demo_city.base_url}/metrics")
    assert metrics.status_code == 200 and "citybrain_http_requests_total" in metrics.text
    assert httpx.get(f"{demo_city.base_url}/docs").status_code == 200


def test_every_demo_login_works(demo_city: LiveCity) -> None:
    _every_login_works(demo_city)


def _every_login_works(city: LiveCity) -> None:
    password = Settings().demo.password.get_secret_value()
    usernames = demo_usernames()
    assert len(usernames) >= 100
    with httpx.Client(base_url=city.base_url) as client:
        for username in usernames:
            token = client.post(
                "/api/v1/auth/token", data={"username": username, "password": password}
            )
            assert token.status_code == 200, (username, token.text)
            me = client.get(
                "/api/v1/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
            )
            assert me.json()["username"] == username


def test_no_id_number_or_phone_in_plaintext_in_the_database_file(demo_city: LiveCity) -> None:
    settings = Settings()
    residents = list(
        people.residents(settings.demo.seed, settings.demo.residents, list(loader.COUNTY_CODES))
    )
    assert len(residents) == 10_000
    raw = b"".join(path.read_bytes() for path in demo_city.folder.glob("citybrain.db*"))
    assert raw, "database file is empty"
    # Every digit run of an ID or phone number's shape, overlapping ones included.
    id_like = {m.decode() for m in re.findall(rb"(?=(\d{17}[\dX]))", raw)}
    phone_like = {m.decode() for m in re.findall(rb"(?=(1[3-9]\d{9}))", raw)}
    assert not id_like & {r.id_number for r in residents}
    assert not phone_like & {r.phone for r in residents}
    # the masked forms are there, so the search reads the right file
    assert residents[0].id_number[:4].encode() + b"**********" in raw


def test_loading_again_changes_nothing(demo_city: LiveCity) -> None:
    result = run_cli(demo_city.env, "demo", "load")
    assert "already loaded" in result.stderr
    print(
        f"\ndemo load took {demo_city.load_seconds:.1f} s; "
        f"database {demo_city.database_file.stat().st_size / 1e6:.1f} MB"
    )
