"""Pure rules: colours from records, door outcomes, policy fallback (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from citybrain.citycode import rules

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
BODY = rules.RuleSetBody.model_validate(rules.demo_rule_set())


def record(kind: str, value: str, hours_ago: float) -> rules.Record:
    return rules.Record(kind, value, NOW - timedelta(hours=hours_ago), "test")


def test_worst_colour_wins_and_names_its_rule() -> None:
    verdict = rules.evaluate(
        BODY, [record("trip", "410102", 24), record("test", "positive", 48)], now=NOW
    )
    assert (verdict.colour, verdict.rule_id) == ("red", "positive_test")
    assert verdict.legal_basis


def test_old_records_and_other_areas_do_not_count() -> None:
    records = [record("test", "positive", 24 * 15), record("trip", "410105", 2)]
    assert rules.evaluate(BODY, records, now=NOW).colour == "green"


@given(st.lists(st.sampled_from(["green", "yellow", "red", "none"]), min_size=1, max_size=4))
def test_status_outside_the_pass_list_is_abnormal(passes: list[str]) -> None:
    policy = rules.LevelPolicy(passes=passes)
    for colour in ("green", "yellow", "red"):
        outcome = rules.door_outcome(
            policy, level=1, status=colour, last_negative_test_at=NOW, registered=True, now=NOW
        )
        expected = (
            rules.DoorOutcome.passed if colour in passes else rules.DoorOutcome.status_abnormal
        )
        assert outcome is expected


def test_outcome_order_at_the_door() -> None:
    policy = rules.LevelPolicy(passes=["green"], test_within_hours=48, pre_registered=True)

    def outcome(**kw: object) -> rules.DoorOutcome:
        values: dict = {  # type: ignore[type-arg]
            "level": 2,
            "status": "green",
            "last_negative_test_at": NOW - timedelta(hours=3),
            "registered": True,
            "now": NOW,
        }
        values.update(kw)
        return rules.door_outcome(policy, **values)

    assert outcome() is rules.DoorOutcome.passed
    assert outcome(status=None) is rules.DoorOutcome.no_valid_code
    assert outcome(status="none") is rules.DoorOutcome.no_valid_code
    assert outcome(status="red") is rules.DoorOutcome.status_abnormal
    assert (
        outcome(last_negative_test_at=NOW - timedelta(hours=49)) is rules.DoorOutcome.test_overdue
    )
    assert outcome(last_negative_test_at=None) is rules.DoorOutcome.test_overdue
    assert outcome(registered=False) is rules.DoorOutcome.not_registered


def test_policy_falls_back_to_the_nearest_lower_level() -> None:
    policy = rules.default_policy(rules.VenueKind.residential_compound)
    assert policy.at(4) == policy.levels["3"]
    assert policy.at(0).passes == ["none", "green", "yellow", "red"]
    assert rules.default_policy(rules.VenueKind.public_place).at(2).pre_registered is False
