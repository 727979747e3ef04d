"""A real ``citybrain serve`` over a small demo city whose schema comes from the models.

The shared ``demo_city`` fixture builds its database with ``citybrain migrate``; until
the governance tables have a migration, governance's live tests build the schema
with ``Base.metadata.create_all`` instead and load a small demo city in-process.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from citybrain.config import DemoSettings, Settings
from citybrain.core.db import make_engine
from citybrain.demo import loader
from citybrain.models import Base
from citybrain.runtime import session_factory
from tests.live import CITYBRAIN, LiveCity, city_env, free_port


def start_small_city(folder: Path) -> LiveCity:
    env = city_env(folder, CITYBRAIN_DEMO__RESIDENTS="60", CITYBRAIN_DEMO__ENTERPRISES="10")
    settings = Settings(
        database_url=env["CITYBRAIN_DATABASE_URL"],
        data_dir=folder,
        demo=DemoSettings(residents=60, enterprises=10),
    )
    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)
    started = time.perf_counter()
    loader.load(session_factory(settings, engine), settings)
    load_seconds = time.perf_counter() - started
    engine.dispose()
    port = free_port()
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [*CITYBRAIN, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return LiveCity(base_url, folder, env, load_seconds, process)
        except httpx.TransportError:
            time.sleep(0.2)
        if process.poll() is not None:
            break
    process.kill()
    raise RuntimeError(f"server did not start: {(folder / 'server.log').read_text()[-2000:]}")


def a_point(city: LiveCity, division_code: str = "410105") -> tuple[float, float]:
    """A point inside a district of the (synthetic) demo geometry, checked with the server."""
    feature = httpx.get(
        f"{city.base_url}/api/v1/regions/divisions/{division_code}/geojson", timeout=10
    ).json()
    ring = feature["geometry"]["coordinates"][0]
    if isinstance(ring[0][0], list):  # a MultiPolygon: its first polygon's outer ring
        ring = ring[0]
    lon = sum(p[0] for p in ring) / len(ring)
    lat = sum(p[1] for p in ring) / len(ring)
    located = httpx.get(
        f"{city.base_url}/api/v1/regions/locate", params={"lon": lon, "lat": lat}, timeout=10
    )
    if located.status_code != 200:
        raise RuntimeError(f"no point found in {division_code}: {located.text}")
    return lon, lat
