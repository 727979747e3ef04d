"""The temporal API: timerel, lastN, aggregation per period, bad intervals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.factories.brain import air_quality

BASE = "/ngsi-ld/v1"
ENTITY = "urn:ngsi-ld:AirQualityObserved:zz-0001"
START = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)


def _stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def history(client: TestClient, writer: dict[str, str]) -> list[float]:
    """PM2.5 every 20 minutes for 3 hours: values 10, 11, ..., 18."""
    client.post(
        f"{BASE}/entities",
        json=air_quality(1, pm25=10.0, observed_at=_stamp(START)),
        headers=writer,
    )
    values = [10.0]
    for step in range(1, 9):
        value = 10.0 + step
        response = client.patch(
            f"{BASE}/entities/{ENTITY}/attrs/pm25",
            json={"value": value, "observedAt": _stamp(START + timedelta(minutes=20 * step))},
            headers=writer,
        )
        assert response.status_code == 204
        values.append(value)
    return values


def _temporal(client: TestClient, headers: dict[str, str], **params: object):  # type: ignore[no-untyped-def]
    return client.get(
        f"{BASE}/temporal/entities/{ENTITY}", params={"attrs": "pm25", **params}, headers=headers
    )


def test_timerel_before_after_between(
    client: TestClient, writer: dict[str, str], history: list[float]
) -> None:
    everything = _temporal(client, writer).json()["pm25"]
    assert [i["value"] for i in everything] == history
    assert all(i["instanceId"].startswith("urn:ngsi-ld:attribute:instance:") for i in everything)
    one_hour = _stamp(START + timedelta(hours=1))
    before = _temporal(client, writer, timerel="before", timeAt=one_hour).json()["pm25"]
    assert [i["value"] for i in before] == [10.0, 11.0, 12.0]
    after = _temporal(client, writer, timerel="after", timeAt=one_hour).json()["pm25"]
    assert [i["value"] for i in after] == [13.0, 14.0, 15.0, 16.0, 17.0, 18.0]
    between = _temporal(
        client,
        writer,
        timerel="between",
        timeAt=one_hour,
        endTimeAt=_stamp(START + timedelta(hours=2)),
    ).json()["pm25"]
    assert [i["value"] for i in between] == [13.0, 14.0, 15.0]
    assert between[0]["observedAt"] == "2026-11-27T01:00:00.000Z"


def test_last_n_and_temporal_values(
    client: TestClient, writer: dict[str, str], history: list[float]
) -> None:
    last = _temporal(client, writer, lastN=3).json()["pm25"]
    assert [i["value"] for i in last] == [16.0, 17.0, 18.0]
    simplified = _temporal(client, writer, options="temporalValues", lastN=2).json()["pm25"]
    assert simplified == {
        "type": "Property",
        "values": [[17.0, "2026-11-27T02:20:00.000Z"], [18.0, "2026-11-27T02:40:00.000Z"]],
    }


def test_aggregation_per_hour(
    client: TestClient, writer: dict[str, str], history: list[float]
) -> None:
    response = _temporal(
        client,
        writer,
        aggrMethods="avg,min,max,sum,totalCount",
        aggrPeriodDuration="PT1H",
        timerel="between",
        timeAt=_stamp(START),
        endTimeAt=_stamp(START + timedelta(hours=3)),
    )
    assert response.status_code == 200, response.text
    pm25 = response.json()["pm25"]
    assert [row[0] for row in pm25["avg"]] == [11.0, 14.0, 17.0]
    assert [row[0] for row in pm25["min"]] == [10.0, 13.0, 16.0]
    assert [row[0] for row in pm25["max"]] == [12.0, 15.0, 18.0]
    assert [row[0] for row in pm25["sum"]] == [33.0, 42.0, 51.0]
    assert [row[0] for row in pm25["totalCount"]] == [3, 3, 3]
    assert pm25["avg"][1][1:] == ["2026-11-27T01:00:00.000Z", "2026-11-27T02:00:00.000Z"]
    whole = _temporal(client, writer, aggrMethods="max,totalCount").json()["pm25"]
    assert whole["max"][0][0] == 18.0 and whole["totalCount"][0][0] == 9


def test_temporal_query_over_entities(
    client: TestClient, writer: dict[str, str], history: list[float]
) -> None:
    client.post(f"{BASE}/entities", json=air_quality(2, pm25=50.0), headers=writer)
    response = client.get(
        f"{BASE}/temporal/entities",
        params={"type": "AirQualityObserved", "attrs": "pm25", "lastN": 1},
        headers=writer,
    )
    assert response.status_code == 200
    assert [e["pm25"][0]["value"] for e in response.json()] == [18.0, 50.0]


@pytest.mark.parametrize(
    "params",
    [
        {
            "timerel": "between",
            "timeAt": "2026-11-27T02:00:00Z",
            "endTimeAt": "2026-11-27T01:00:00Z",
        },
        {"timerel": "between", "timeAt": "2026-11-27T02:00:00Z"},
        {"timerel": "sometime", "timeAt": "2026-11-27T02:00:00Z"},
        {"timerel": "before"},
        {"timeAt": "2026-11-27T02:00:00Z"},
        {"timerel": "after", "timeAt": "2026-11-27T02:00:00"},
        {"aggrMethods": "median"},
        {"aggrMethods": "avg", "aggrPeriodDuration": "P1M"},
        {"aggrMethods": "avg", "aggrPeriodDuration": "PT"},
        {"aggrPeriodDuration": "PT1H"},
    ],
)
def test_bad_temporal_queries(
    client: TestClient, writer: dict[str, str], history: list[float], params: dict
) -> None:
    response = _temporal(client, writer, **params)
    assert response.status_code == 400, response.text
    assert response.json()["type"].endswith("BadRequestData")
