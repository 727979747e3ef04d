"""Independent Open311 clients against a running server, in JSON and XML.

Two clients from PyPI, neither written for this project:

- ``georeport`` (Apache-2.0) reads services, service definitions and requests in both
  formats;
- ``civicbot`` (MIT) posts a request the way it files one in a real city: it fetches
  the service list and the service definition first and checks its form against them,
  then POSTs, then reads the token and the request back.

No Python 3 client reads the discovery document (``three`` and ``open311`` do, but are
Python 2 code that no longer imports), so discovery is read with ``requests`` and
``xmltodict`` exactly as the spec describes it.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import xmltodict
from civicbot.open311 import Open311Client
from civicbot.registry import Endpoint
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
    endpoint = Endpoint(id="zhengzhou-demo", name="郑州 demo", base_url=root, write=True)
    filer = Open311Client(endpoint, fmt="json")
    filed = filer.create_request(
        "C0305",
        dry_run=False,
        confirm="SEND",
        api_key=key,
        validate_remote=True,
        lat=lat,
        lng=lon,
        attributes={"condition": "damaged"},
        description="垃圾箱被撞坏了，垃圾撒了一地",
    )
    receipt = filed.response[0]
    request_id = receipt.get("service_request_id")
    if request_id is None:
        request_id = filer.get_token(receipt["token"])[0]["service_request_id"]
    for fmt in ("json", "xml"):
        one = GeoReport(root, output_format=fmt).get_service_request(request_id)
        assert one["service_code"] == "C0305" and one["status"] == "open"
        assert one["agency_responsible"] == "郑州市城市管理局"
    assert filer.get_request(request_id)["description"].endswith("垃圾箱被撞坏了，垃圾撒了一地")
    if "token" in receipt:
        assert filer.get_token(receipt["token"])[0]["service_request_id"] == request_id

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
