"""驾驶舱: the summary's figures, the map's drill-down sums, who may look, the live feed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import mapping
from sqlalchemy.orm import Session

from citybrain.brain import demo as brain_demo
from citybrain.brain import pillar_kpis
from citybrain.citycode.models import PersonStatus, Scan
from citybrain.cockpit import figures, tiles
from citybrain.cockpit.schemas import Threshold
from citybrain.core.db import make_engine, make_sessionmaker, utcnow
from citybrain.core.security import Role
from citybrain.governance.models import Case
from citybrain.identity.models import Account
from citybrain.models import Base
from citybrain.runtime import get_read_session
from citybrain.servicehub.models import Application, ApplicationTask, ServiceItem
from tests.factories.citycode import health_actor, make_venue, set_up_keys
from tests.factories.governance import city_points, make_case, make_departments
from tests.factories.identity import auth_headers, make_department, make_resident, make_staff

HTML = {"Accept": "text/html"}


@pytest.fixture
def city(city_session: Session) -> Session:
    """Districts, streets and grid cells with the departments the case categories name."""
    make_departments(city_session)
    return city_session


@pytest.fixture
def operator(city: Session) -> Account:
    return make_staff(city, Role.command_centre_operator)


def _application(session: Session, n: int, days_ago: int) -> Application:
    application = Application(
        number=f"CB-TEST-{n:04d}",
        title="测试办件",
        applicant_kind="person",
        form_ciphertext=b"",
        submitted_at=utcnow() - timedelta(days=days_ago),
    )
    session.add(application)
    session.flush()
    return application


def _decided_task(session: Session, application: Application, used_days: int) -> None:
    department = make_department(session)
    item = ServiceItem(
        catalog_code="TEST",
        task_code=f"TEST-{application.id}",
        name="测试事项",
        item_type="许可",
        department_id=department.id,
        promised_days=5,
        handling_kind="承诺件",
        online_level=4,
        result_type="出证办结",
    )
    session.add(item)
    session.flush()
    accepted = date.today() - timedelta(days=20)
    session.add(
        ApplicationTask(
            application_id=application.id,
            item_id=item.id,
            department_id=department.id,
            status="granted",
            limit_days=5,
            accepted_on=accepted,
            decided_at=utcnow() - timedelta(days=20 - used_days),
        )
    )
    session.flush()


def test_summary_counts_what_the_pillars_hold(
    client: TestClient, city: Session, operator: Account
) -> None:
    points = city_points(city, 3)
    cases = [make_case(city, lon=lon, lat=lat) for lon, lat in points]
    late = cases[0]
    late.status = "claimed"
    late.due_at = utcnow() - timedelta(hours=1)
    for n, days_ago in enumerate((0, 0, 3)):
        _application(city, n, days_ago)
    on_time, overdue = _application(city, 10, 25), _application(city, 11, 25)
    _decided_task(city, on_time, used_days=2)
    _decided_task(city, overdue, used_days=19)
    for n, colour in enumerate(("green", "green", "red")):
        resident = make_resident(city)
        assert resident.person_id is not None
        city.add(PersonStatus(person_id=resident.person_id, token=f"tok{n:029d}", colour=colour))
    official = health_actor(city)
    set_up_keys(city, official)
    venue = make_venue(city, official)
    for n in range(4):
        city.add(
            Scan(
                scan_id=f"00000000-0000-0000-0000-{n:012d}",
                venue_id=venue.id,
                outcome="green",
                method="person_code",
                scanned_at=utcnow() - timedelta(days=n // 3),
            )
        )
    city.flush()

    response = client.get("/api/v1/cockpit/summary", headers=auth_headers(client, operator))
    assert response.status_code == 200, response.text
    body = response.json()
    shown = {f["key"]: f["value"] for pillar in body["pillars"] for f in pillar["figures"]}
    assert shown["cases_open"] == 3
    assert shown["cases_overdue"] == 1
    assert shown["applications_today"] == figures_today(city)
    assert shown["on_time_rate"] == 50.0
    assert shown["status_green"] == 2 and shown["status_red"] == 1
    assert shown["scans_today"] == scans_today(city)
    assert [t["code"] for t in body["tiles"]][:3] == [
        "government-services",
        "city-management",
        "traffic",
    ]
    assert len(body["tiles"]) == 14
    for tile in body["tiles"]:
        assert tile["status"] in ("alert", "watch", "normal", "no_data")
        assert tile["status_label"] and tile["status_label_en"]  # words, not colour alone
    opened = next(s for s in body["trends"]["series"] if s["key"] == "cases_opened")
    assert len(body["trends"]["days"]) == 14 and opened["values"][-1] == 3
    applications = next(s for s in body["trends"]["series"] if s["key"] == "applications")
    assert sum(applications["values"]) == 3


def figures_today(session: Session) -> int:
    """Applications submitted since the city's local midnight (the test may run near it)."""
    since = figures.local_midnight(utcnow())
    return sum(
        1
        for a in session.query(Application).filter(Application.number.like("CB-TEST-%"))
        if a.submitted_at >= since
    )


def scans_today(session: Session) -> int:
    since = figures.local_midnight(utcnow())
    return sum(1 for s in session.query(Scan) if s.scanned_at >= since)


def test_the_map_drills_down_and_the_parts_add_up(
    client: TestClient, city: Session, operator: Account
) -> None:
    brain_demo.load(city, seed=11)
    for lon, lat in city_points(city, 40)[::4]:
        make_case(city, lon=lon, lat=lat)
    headers = auth_headers(client, operator)
    for metric in ("cases", "parking-01.1"):
        city_layer = client.get(
            "/api/v1/cockpit/map", params={"metric": metric}, headers=headers
        ).json()
        assert city_layer["level"] == "division" and len(city_layer["values"]) == 12
        assert city_layer["boundary_is_synthetic"] is True
        assert len(city_layer["geojson"]["features"]) == 12
        assert sum(v["value"] or 0 for v in city_layer["values"]) == city_layer["total"] > 0
        district = max(city_layer["values"], key=lambda v: v["value"] or 0)
        streets = client.get(
            "/api/v1/cockpit/map",
            params={"metric": metric, "level": "street", "parent": district["code"]},
            headers=headers,
        ).json()
        assert streets["total"] == district["value"]
        assert sum(v["value"] or 0 for v in streets["values"]) == district["value"]
        assert [p["name"] for p in streets["path"]] == ["郑州市", district["name"]]
        street = max(streets["values"], key=lambda v: v["value"] or 0)
        cells = client.get(
            "/api/v1/cockpit/map",
            params={"metric": metric, "level": "grid_cell", "parent": street["code"]},
            headers=headers,
        ).json()
        assert cells["total"] == street["value"]
        # the demo's grid cells cover a patch of each street: the rest is "outside"
        placed = sum(v["value"] or 0 for v in cells["values"])
        assert placed + (cells["outside"] or 0) == street["value"]
        if metric == "cases":  # the cases stand on grid-cell centroids
            assert placed == street["value"] and cells["outside"] is None
        assert len(cells["geojson"]["features"]) == len(cells["values"]) > 1
    bad = client.get("/api/v1/cockpit/map", params={"level": "street"}, headers=headers).json()
    assert bad["code"] == "cockpit.parent_required"
    unknown = client.get("/api/v1/cockpit/map", params={"metric": "nope"}, headers=headers)
    assert unknown.status_code == 404 and unknown.json()["code"] == "cockpit.unknown_metric"


def test_thresholds_come_from_the_scenarios_own_rules() -> None:
    from citybrain.brain import scenarios

    emergency = scenarios.get_scenario_or_raise("emergency-01")
    threshold = tiles.threshold_for(emergency, emergency["indicators"][0])
    assert threshold is not None and threshold.label == "> 0"
    assert tiles.judge(2, threshold) == "alert" and tiles.judge(0, threshold) == "normal"
    speed = Threshold(op="<", value=10, rule_id="traffic-10.alert-1", severity="low", label="< 10")
    assert tiles.judge(9.5, speed) == "alert"
    assert tiles.judge(11.5, speed) == "watch"
    assert tiles.judge(30, speed) == "normal"
    assert tiles.judge(None, speed) == "no_data"
    assert tiles.display(0.4833, "ratio") == "48.3%" and tiles.display(None, "avg") == "—"
    assert tiles.display(0.857, "avg", fraction=True) == "85.7%"
    assert "city-management-01.3" in pillar_kpis.RATE_CODES  # 结案率 is a fraction
    assert "city-management-01.1" not in pillar_kpis.RATE_CODES  # 立案数 is a count


def test_a_flooded_underpass_turns_its_tile_to_alert_and_reaches_the_feed(
    client: TestClient, city: Session, operator: Account
) -> None:
    headers = auth_headers(client, operator)
    lon, lat = city_points(city, 1)[0]
    entity = {
        "id": "urn:ngsi-ld:FloodMonitoring:cockpit-001",
        "type": "FloodMonitoring",
        "currentLevel": {"type": "Property", "value": 0.4},
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}},
    }
    created = client.post("/ngsi-ld/v1/entities", json=entity, headers=headers)
    assert created.status_code == 201, created.text
    summary = client.get("/api/v1/cockpit/summary", headers=headers).json()
    emergency = next(t for t in summary["tiles"] if t["code"] == "emergency")
    assert emergency["status"] == "alert" and emergency["status_label"] == "告警"
    assert emergency["active_alerts"] >= 1
    flooded = next(i for i in emergency["headline"] if i["id"] == "emergency-01.1")
    assert flooded["value"] == 1 and flooded["status"] == "alert"
    feed = client.get("/api/v1/cockpit/feed", headers=headers).json()
    assert feed[0]["kind"] == "alert" and feed[0]["severity"] == "high"
    assert feed[0]["title"] and feed[0]["place"]


def test_the_stream_yields_a_new_case_and_resumes_after_the_last_event_id(
    client: TestClient, city: Session, operator: Account
) -> None:
    headers = auth_headers(client, operator)
    lon, lat = city_points(city, 1)[0]
    first = make_case(city, lon=lon, lat=lat)
    with client.stream(
        "GET",
        "/api/v1/cockpit/stream",
        params={"after_id": 0, "max_seconds": 0.3},
        headers=headers,
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    events = [json.loads(line[6:]) for line in text.splitlines() if line.startswith('data: {"id"')]
    assert [e["kind"] for e in events] == ["case"]
    assert events[0]["title"].startswith(f"#{first.id} ") and events[0]["place"]
    assert events[0]["link"] == f"/governance/cases/{first.id}"
    last_id = events[0]["id"]
    assert f"id: {last_id}" in text

    lon2, lat2 = city_points(city, 2)[1]
    second = make_case(city, lon=lon2, lat=lat2, description="路灯不亮了，晚上很黑，请维修。")
    with client.stream(
        "GET",
        "/api/v1/cockpit/stream",
        params={"max_seconds": 0.3},
        headers={**headers, "Last-Event-ID": str(last_id)},
    ) as response:
        resumed = "".join(response.iter_text())
    titles = [
        json.loads(line[6:])["title"]
        for line in resumed.splitlines()
        if line.startswith('data: {"id"')
    ]
    assert len(titles) == 1 and titles[0].startswith(f"#{second.id} ")
    with client.stream(
        "GET", "/api/v1/cockpit/stream", params={"max_seconds": 0.2}, headers=headers
    ) as response:
        from_now = "".join(response.iter_text())
    assert 'data: {"id"' not in from_now  # no position given: only what happens next
    with client.stream(
        "GET",
        "/api/v1/cockpit/stream",
        params={"max_seconds": 0.2},
        headers={**headers, "Last-Event-ID": b"\xb9"},  # latin-1 ¹: a digit int() refuses
    ) as response:
        assert response.status_code == 200
        "".join(response.iter_text())


def test_the_page_is_for_the_command_centre_only(
    client: TestClient, city: Session, operator: Account
) -> None:
    make_case(city, lon=city_points(city, 1)[0][0], lat=city_points(city, 1)[0][1])
    page = client.get("/cockpit", headers={**HTML, **auth_headers(client, operator)})
    assert page.status_code == 200
    assert page.text.count('class="ck-tile ') == 14
    assert 'id="ck-map"' in page.text and "/static/js/cockpit.js" in page.text
    assert "echarts-6.1.0.min.js" in page.text and "<script>" not in page.text
    assert "示意边界" in page.text and 'href="/cockpit"' in page.text
    assert 'lang="en"' in page.text and "http://" not in page.text and "https://" not in page.text
    panels = client.get("/cockpit/panels", headers={**HTML, **auth_headers(client, operator)})
    assert panels.status_code == 200 and 'id="cockpit-tiles"' in panels.text
    resident = auth_headers(client, make_resident(city))
    refused = client.get("/cockpit", headers={**HTML, **resident})
    assert refused.status_code == 403 and "无权" in refused.text
    api = client.get("/api/v1/cockpit/summary", headers=resident)
    assert api.status_code == 403 and api.json()["code"] == "auth.role_required"
    stream = client.get("/api/v1/cockpit/stream", headers=resident)
    assert stream.status_code == 403
    clerk = auth_headers(client, make_staff(city, Role.department_clerk))
    assert client.get("/api/v1/cockpit/map", headers=clerk).status_code == 403
    anonymous = client.get("/cockpit", headers=HTML, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    admin = auth_headers(client, make_staff(city, Role.admin))
    assert client.get("/api/v1/cockpit/summary", headers=admin).status_code == 200


def test_cases_open_counts_only_open_statuses(city: Session) -> None:
    lon, lat = city_points(city, 1)[0]
    case = make_case(city, lon=lon, lat=lat)
    assert isinstance(case, Case)
    pillar = figures.governance_figures(city, now=utcnow())
    assert pillar.figures[0].value == 1
    case.status = "closed"
    city.flush()
    assert figures.governance_figures(city, now=utcnow()).figures[0].value == 0


def test_official_boundaries_replace_the_demo_label(
    client: TestClient, city: Session, operator: Account, tmp_path: Path
) -> None:
    """``citybrain regions load --crs gcj02``: the districts are official, streets still not."""
    from citybrain.core import geo
    from citybrain.regions import service as regions_service
    from citybrain.regions.models import COUNTY_LEVELS

    features = []
    for division in regions_service.list_divisions(city):
        if division.level not in COUNTY_LEVELS or division.boundary_wkt is None:
            continue
        shape = shapely.from_wkt(division.boundary_wkt)
        gcj = shapely.transform(
            shape, lambda xy: [list(geo.from_wgs84(x, y, "gcj02")) for x, y in xy]
        )
        features.append(
            {"type": "Feature", "properties": {"code": division.code}, "geometry": mapping(gcj)}
        )
    path = tmp_path / "official.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    regions_service.load_boundaries_geojson(city, path=path, crs="gcj02")
    headers = auth_headers(client, operator)
    districts = client.get("/api/v1/cockpit/map", headers=headers).json()
    assert districts["boundary_is_synthetic"] is False
    page = client.get("/cockpit", headers={**HTML, **headers})
    assert 'id="ck-map-note" hidden' in page.text
    streets = client.get(
        "/api/v1/cockpit/map", params={"level": "street", "parent": "410105"}, headers=headers
    ).json()
    assert streets["boundary_is_synthetic"] is True  # the note comes back one level down


def test_the_cockpit_reads_the_replica_when_one_is_set(
    app, client: TestClient, city: Session, operator: Account, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    lon, lat = city_points(city, 1)[0]
    make_case(city, lon=lon, lat=lat)
    headers = auth_headers(client, operator)

    def open_cases() -> int:
        body = client.get("/api/v1/cockpit/summary", headers=headers).json()
        return next(
            f["value"] for p in body["pillars"] for f in p["figures"] if f["key"] == "cases_open"
        )

    assert open_cases() == 1
    replica_engine = make_engine(f"sqlite:///{tmp_path / 'replica.db'}")
    Base.metadata.create_all(replica_engine)  # a replica that has not caught up at all

    def replica() -> Iterator[Session]:
        with make_sessionmaker(replica_engine)() as lagging:
            yield lagging

    app.dependency_overrides[get_read_session] = replica
    try:
        assert open_cases() == 0
        page = client.get("/cockpit", headers={**headers, "Accept": "text/html"})
        assert page.status_code == 200
    finally:
        del app.dependency_overrides[get_read_session]
        replica_engine.dispose()
