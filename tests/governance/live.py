"""A small demo city served for governance's live tests, and a point inside a district."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.live import LiveCity, start_city


def start_small_city(folder: Path) -> LiveCity:
    """``citybrain migrate``, ``demo load`` and ``serve``, with few people to load."""
    return start_city(folder, CITYBRAIN_DEMO__RESIDENTS="60", CITYBRAIN_DEMO__ENTERPRISES="10")


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
