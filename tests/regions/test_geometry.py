"""Synthetic demo geometry: a partition that nests, deterministic per seed (pure)."""

from __future__ import annotations

import itertools
import re
import statistics
import time

import pytest
import shapely

from citybrain.regions import geometry, reference
from citybrain.regions.geometry import SyntheticGeometry

STREETS = reference.read_streets(reference.read_divisions())
EPS = 1e-12  # square degrees, about 0.01 m²


def test_counties_partition_the_city(synthetic: SyntheticGeometry) -> None:
    counties = synthetic.counties
    assert set(counties) == set(geometry.COUNTY_CENTROIDS)
    for (_, a), (_, b) in itertools.combinations(counties.items(), 2):
        assert a.intersection(b).area < EPS
    assert shapely.union_all(list(counties.values())).area == pytest.approx(synthetic.city.area)


def test_each_county_holds_its_centroid(synthetic: SyntheticGeometry) -> None:
    for code, (lon, lat) in geometry.COUNTY_CENTROIDS.items():
        assert synthetic.counties[code].contains(shapely.Point(lon, lat))


def test_city_outline_covers_the_brief_extent() -> None:
    min_lon, min_lat, max_lon, max_lat = geometry.city_outline().bounds
    assert min_lon == pytest.approx(112.72)
    assert max_lon == pytest.approx(114.18)
    assert (min_lat, max_lat) == (pytest.approx(34.2), pytest.approx(35.0))


def test_every_street_lies_inside_its_county(synthetic: SyntheticGeometry) -> None:
    assert len(synthetic.streets) == 208
    for street in STREETS:
        county = synthetic.counties[street.division_code]
        assert county.buffer(1e-9).covers(synthetic.streets[street.code])


def test_streets_partition_each_county(synthetic: SyntheticGeometry) -> None:
    for county_code, county in synthetic.counties.items():
        polys = [synthetic.streets[s.code] for s in STREETS if s.division_code == county_code]
        assert sum(p.area for p in polys) == pytest.approx(county.area, rel=1e-9)
        for a, b in itertools.combinations(polys, 2):
            assert a.intersection(b).area < EPS


def test_zones_are_unions_of_their_streets(synthetic: SyntheticGeometry) -> None:
    assert set(synthetic.zones) == {"410170", "410171", "410172", "410173"}
    members = [synthetic.streets[s.code] for s in STREETS if s.zone_code == "410172"]
    assert synthetic.zones["410172"].area == pytest.approx(sum(p.area for p in members))


def test_grid_cells_are_about_a_hectare(synthetic: SyntheticGeometry) -> None:
    areas = [geometry.area_m2(poly) for _, _, poly in synthetic.cells]
    assert 18_000 <= len(areas) <= 21_000
    assert statistics.median(areas) == pytest.approx(10_000, rel=0.01)
    assert max(areas) < 10_100


def test_grid_cells_stay_inside_their_street(synthetic: SyntheticGeometry) -> None:
    streets = [synthetic.streets[street_code] for _, street_code, _ in synthetic.cells]
    cells = [poly for _, _, poly in synthetic.cells]
    assert shapely.covers(streets, cells).all()


def test_grid_cells_do_not_overlap(synthetic: SyntheticGeometry) -> None:
    polys = [poly for _, _, poly in synthetic.cells]
    tree = shapely.STRtree(polys)
    pairs = tree.query(polys, predicate="overlaps")
    assert pairs.shape[1] == 0


def test_grid_cell_codes(synthetic: SyntheticGeometry) -> None:
    codes = [code for code, _, _ in synthetic.cells]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"\d{12}-\d{4}", code) for code in codes)
    assert all(code.startswith(street) for code, street, _ in synthetic.cells)
    assert codes[0] == "410102001000-0001"


def test_same_seed_same_geometry_and_fast() -> None:
    args = {
        "county_of": {s.code: s.division_code for s in STREETS},
        "zone_of": {s.code: s.zone_code for s in STREETS},
    }
    started = time.perf_counter()
    first = geometry.generate(seed=7, **args)
    assert time.perf_counter() - started < 10
    second = geometry.generate(seed=7, **args)
    other = geometry.generate(seed=8, **args)
    code = "410105001000"
    assert first.streets[code].equals_exact(second.streets[code], 0)
    assert first.cells[:5] == second.cells[:5]
    assert not first.streets[code].equals(other.streets[code])
