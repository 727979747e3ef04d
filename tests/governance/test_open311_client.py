"""An independent Open311 client against a running server, in JSON and XML.

``georeport`` (PyPI, Apache-2.0, not written for this project) reads services,
service definitions and requests. It has no call for discovery or POST, so those go
through ``requests`` and ``xmltodict`` as any client would, following the spec.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import xmltodict
from georeport import GeoReport

from citybrain.config import Settings
from citybrain.core.db import make_engine, transaction
from citybrain.core.security import OPERATOR
from citybrain.identity import service as identity_service
from citybrain.runtime import session_factory
from tests.governance.live import a_point
from tests.live import LiveCity

pytestmark = pytest.mark.slow
PASSWORD = Settings().demo.password.get_secret_value()


def _issue_key(city: LiveCity) -> str:
    settings = Settings(database_url=city.env["CITYBRAIN_DATABASE_URL"], data_dir=city.folder)
    engine = make_engine(settings.database_url)
    factory = session_factory(settings, engine)
    with factory() as session, transaction(session):
        key = identity_service.create_api_key(
            session, actor=OPERATOR, name="Open311 client", scopes=["open311"]
        ).key
    engine.dispose()
    return key


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_independent_client_reads_and_posts(small_city: LiveCity) -> None:
    root = f"{small_city.base_url}/open311/v2"
    for fmt in ("json", "xml"):
        raw = requests.get(f"{small_city.base_url}/open311/discovery.{fmt}", timeout=10)
        assert raw.status_code == 200
        if fmt == "json":
            endpoint = raw.json()["endpoints"][0]
        else:
            endpoint = xmltodict.parse(raw.content)["discovery"]["endpoints"]["endpoint"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"].rstrip("/") == root

        client = GeoReport(root, output_format=fmt)
        services = client.get_service_list()
        assert len(services) == 140
        assert any(s["service_code"] == "C0305" for s in services)
        definition = client.get_service_definition("C0305")
        attribute = _as_list(
            definition["attributes"]["attribute"] if fmt == "xml" else definition["attributes"]
        )[0]
        assert attribute["code"] == "condition"
        demo_requests = _as_list(client.get_service_requests())
        assert demo_requests and all(r["status"] in ("open", "closed") for r in demo_requests)

    lon, lat = a_point(small_city)
    key = _issue_key(small_city)
    refused = requests.post(
        f"{root}/requests.json", data={"service_code": "C0305", "lat": lat, "long": lon}, timeout=10
    )
    assert refused.status_code == 403
    posted = requests.post(
        f"{root}/requests.xml",
        data={
            "api_key": key,
            "service_code": "C0305",
            "lat": lat,
            "long": lon,
            "attribute[condition]": "damaged",
            "description": "垃圾箱被撞坏了，垃圾撒了一地",
        },
        timeout=10,
    )
    assert posted.status_code == 200, posted.text
    request_id = xmltodict.parse(posted.content)["service_requests"]["request"][
        "service_request_id"
    ]
    for fmt in ("json", "xml"):
        one = GeoReport(root, output_format=fmt).get_service_request(request_id)
        assert one["service_code"] == "C0305" and one["status"] == "open"
        assert one["agency_responsible"] == "郑州市城市管理局"

    token = requests.post(
        f"{small_city.base_url}/api/v1/auth/token",
        data={"username": "clerk.urban-management", "password": PASSWORD},
        timeout=10,
    ).json()["access_token"]
    inbox = requests.get(
        f"{small_city.base_url}/api/v1/governance/cases",
        params={"limit": 200},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    assert int(request_id) in [c["id"] for c in inbox["items"]]
