"""Pure rules: status from health data under a rule set, outcomes at the door, dwell.

No session here. A rule set is data (published and versioned by the health authority);
``evaluate`` reads it and a person's records and says which colour and why.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from citybrain.core.schemas import Schema

COLOUR_RANK = {"none": 0, "green": 1, "yellow": 2, "red": 3}


class VenueKind(enum.StrEnum):
    """The four kinds of place of Zhengzhou's four-layer check."""

    traffic_checkpoint = "traffic_checkpoint"  # 交通卡口
    residential_compound = "residential_compound"  # 居民小区
    work_unit = "work_unit"  # 单位
    public_place = "public_place"  # 公共场所


VENUE_KIND_LABELS = {
    VenueKind.traffic_checkpoint: "交通卡口",
    VenueKind.residential_compound: "居民小区",
    VenueKind.work_unit: "单位",
    VenueKind.public_place: "公共场所",
}
# Default dwell and minimum overlap for tracing, in minutes (a scan records one instant).
DEFAULT_DWELL = {
    VenueKind.traffic_checkpoint: (5, 1),
    VenueKind.residential_compound: (720, 60),
    VenueKind.work_unit: (480, 60),
    VenueKind.public_place: (60, 15),
}


class DoorOutcome(enum.StrEnum):
    """Distinct, audited results at the door."""

    passed = "pass"
    status_abnormal = "status_abnormal"
    test_overdue = "test_overdue"
    no_valid_code = "no_valid_code"
    not_registered = "not_registered"


OUTCOME_LABELS = {
    DoorOutcome.passed: ("通行", "Pass"),
    DoorOutcome.status_abnormal: ("健康码异常", "Status abnormal"),
    DoorOutcome.test_overdue: ("核酸检测超时", "Test overdue"),
    DoorOutcome.no_valid_code: ("无有效码", "No valid code"),
    DoorOutcome.not_registered: ("非本场所登记人员", "Not registered here"),
}


class LevelPolicy(Schema):
    """What a venue asks at one emergency level."""

    passes: list[str] = Field(default_factory=lambda: ["none", "green"], max_length=4)
    test_within_hours: int | None = Field(None, ge=1, le=720)
    pre_registered: bool = False


class VenuePolicy(Schema):
    """A policy per emergency level "0" (normal) to "4"; missing levels use the nearest lower."""

    levels: dict[str, LevelPolicy] = Field(default_factory=lambda: {"0": LevelPolicy()})

    def at(self, level: int) -> LevelPolicy:
        for candidate in range(level, -1, -1):
            if str(candidate) in self.levels:
                return self.levels[str(candidate)]
        return LevelPolicy()


def default_policy(kind: VenueKind) -> VenuePolicy:
    """Sensible defaults: compounds and units admit only their own people from level 2."""
    restricted = kind in (VenueKind.residential_compound, VenueKind.work_unit)
    return VenuePolicy(
        levels={
            "0": LevelPolicy(passes=["none", "green", "yellow", "red"]),
            "1": LevelPolicy(passes=["green"]),
            "2": LevelPolicy(passes=["green"], test_within_hours=72, pre_registered=restricted),
            "3": LevelPolicy(passes=["green"], test_within_hours=48, pre_registered=restricted),
        }
    )


def door_outcome(
    policy: LevelPolicy,
    *,
    level: int,
    status: str | None,
    last_negative_test_at: datetime | None,
    registered: bool,
    now: datetime,
) -> DoorOutcome:
    """The outcome for a verified code (``status`` None when there was no valid code)."""
    if status is None:
        return DoorOutcome.no_valid_code
    if level > 0 and status == "none":
        return DoorOutcome.no_valid_code  # a code issued before the emergency has no colour
    if status not in policy.passes:
        return DoorOutcome.status_abnormal
    if policy.test_within_hours is not None and (
        last_negative_test_at is None
        or now - last_negative_test_at > timedelta(hours=policy.test_within_hours)
    ):
        return DoorOutcome.test_overdue
    if policy.pre_registered and not registered:
        return DoorOutcome.not_registered
    return DoorOutcome.passed


# Status rules


class Rule(Schema):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    source: str = Field(pattern=r"^(test|vaccination|trip|declaration|close_contact)$")
    value: str | None = Field(None, max_length=64)
    in_risk_area: bool = False
    within_hours: int = Field(336, ge=1, le=720)
    colour: str = Field(pattern=r"^(green|yellow|red)$")
    reason: str = Field(min_length=1, max_length=200)
    reason_en: str = Field(min_length=1, max_length=200)
    legal_basis: str = Field(min_length=1, max_length=200)


class RuleSetBody(Schema):
    rules: list[Rule] = Field(min_length=1, max_length=100)
    risk_areas: list[str] = Field(default_factory=list, max_length=1000)
    default_reason: str = Field("无异常记录", max_length=200)
    default_legal_basis: str = Field("《中华人民共和国传染病防治法》", max_length=200)


@dataclass(frozen=True)
class Record:
    kind: str
    value: str
    observed_at: datetime
    source: str


@dataclass(frozen=True)
class Verdict:
    colour: str
    rule_id: str
    reason: str
    reason_en: str
    source: str
    legal_basis: str


def evaluate(body: RuleSetBody, records: list[Record], *, now: datetime) -> Verdict:
    """The worst colour any rule gives; green with the default reason when none fires."""
    verdict = Verdict(
        "green",
        "default",
        body.default_reason,
        "No adverse record",
        "rules",
        body.default_legal_basis,
    )
    for rule in body.rules:
        for record in records:
            if record.kind != rule.source or now - record.observed_at > timedelta(
                hours=rule.within_hours
            ):
                continue
            if record.observed_at > now:
                continue
            if rule.value is not None and record.value != rule.value:
                continue
            if rule.in_risk_area and record.value not in body.risk_areas:
                continue
            if COLOUR_RANK[rule.colour] > COLOUR_RANK[verdict.colour]:
                verdict = Verdict(
                    rule.colour,
                    rule.id,
                    rule.reason,
                    rule.reason_en,
                    record.source,
                    rule.legal_basis,
                )
    return verdict


def demo_rule_set() -> dict[str, Any]:
    """The rule set the demo city publishes (modelled on Zhengzhou's 2021 red-code criteria)."""
    basis = "《中华人民共和国传染病防治法》第三十九条；郑州市疫情防控指挥部通告"
    return {
        "rules": [
            {
                "id": "positive_test",
                "source": "test",
                "value": "positive",
                "within_hours": 336,
                "colour": "red",
                "reason": "14天内核酸检测阳性",
                "reason_en": "Positive test within 14 days",
                "legal_basis": basis,
            },
            {
                "id": "close_contact",
                "source": "close_contact",
                "within_hours": 336,
                "colour": "red",
                "reason": "经流调认定为密切接触者",
                "reason_en": "Close contact of a case (tracing)",
                "legal_basis": basis,
            },
            {
                "id": "risk_area_trip",
                "source": "trip",
                "in_risk_area": True,
                "within_hours": 336,
                "colour": "yellow",
                "reason": "14天内有中高风险地区旅居史",
                "reason_en": "Stay in a designated risk area within 14 days",
                "legal_basis": basis,
            },
            {
                "id": "fever_declared",
                "source": "declaration",
                "value": "fever",
                "within_hours": 72,
                "colour": "yellow",
                "reason": "申报发热症状",
                "reason_en": "Fever declared",
                "legal_basis": basis,
            },
        ],
        "risk_areas": ["410102"],
    }
