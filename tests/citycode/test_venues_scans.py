"""Door outcomes, the forwarded venue code, batch ingest, tracing and retention."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.citycode import rules, scans, status, venues
from citybrain.citycode.models import Scan
from citybrain.core import audit
from citybrain.core.db import utcnow
from citybrain.core.errors import DomainError
from tests.factories.citycode import (
    CENTRE,
    health_actor,
    make_venue,
    resident_actor,
    set_up_keys,
)


@pytest.fixture
def official(city_session: Session):  # type: ignore[no-untyped-def]
    actor = health_actor(city_session)
    set_up_keys(city_session, actor)
    status.publish_rule_set(city_session, actor=actor, body=rules.demo_rule_set())
    return actor


def _emergency(s: Session, official, level: int = 2) -> None:  # type: ignore[no-untyped-def]
    status.set_emergency_level(
        s, actor=official, division_code="410100", level=level, legal_basis="通告"
    )


def test_door_outcomes_are_distinct_and_audited(city_session: Session, official) -> None:  # type: ignore[no-untyped-def]
    s = city_session
    _emergency(s, official)
    compound = make_venue(s, official, kind="residential_compound")
    resident = resident_actor(s)
    # No negative test yet: test overdue.
    code, _, _ = status.issue_code(s, actor=resident)
    assert (
        venues.check_at_door(s, actor=official, venue_id=compound.id, code=code).outcome
        == "test_overdue"
    )
    status.add_record(
        s,
        actor=official,
        person_id=resident.person_id,
        kind="test",
        value="negative",
        observed_at=utcnow() - timedelta(hours=5),
        source="检测机构",
    )
    code, _, _ = status.issue_code(s, actor=resident)
    assert (
        venues.check_at_door(s, actor=official, venue_id=compound.id, code=code).outcome
        == "not_registered"
    )
    venues.add_member(s, actor=official, venue_id=compound.id, person_id=resident.person_id)
    assert (
        venues.check_at_door(s, actor=official, venue_id=compound.id, code=code).outcome == "pass"
    )
    status.add_record(
        s,
        actor=official,
        person_id=resident.person_id,
        kind="declaration",
        value="fever",
        observed_at=utcnow() - timedelta(hours=1),
        source="健康申报",
    )
    code, _, _ = status.issue_code(s, actor=resident)
    assert (
        venues.check_at_door(s, actor=official, venue_id=compound.id, code=code).outcome
        == "status_abnormal"
    )
    result = venues.check_at_door(s, actor=official, venue_id=compound.id, code=code[:-8])
    assert (result.outcome, result.stage) == (
        "no_valid_code",
        "base45",
    ) or result.outcome == "no_valid_code"
    actions = [
        e.action for e in audit.entries_for(s, entity_type="citycode_venue", entity_id=compound.id)
    ]
    for outcome in ("test_overdue", "not_registered", "pass", "status_abnormal", "no_valid_code"):
        assert f"citycode.door_{outcome}" in actions


def test_forwarded_venue_code_is_refused(city_session: Session, official) -> None:  # type: ignore[no-untyped-def]
    s = city_session
    venue = make_venue(s, official)
    shown_at = utcnow()
    code, valid_until = venues.venue_code(s, actor=official, venue_id=venue.id, at=shown_at)
    assert valid_until - shown_at <= timedelta(minutes=5)
    present = resident_actor(s)
    result = venues.check_in_with_venue_code(
        s, actor=present, code=code, lon=CENTRE[0], lat=CENTRE[1], at=shown_at
    )
    assert result.outcome == "pass" and result.scan.method == "venue_code"
    # The same picture used again while still valid: a replay. (Windows are aligned to the
    # clock, so the code may have only seconds left; stay inside it.)
    with pytest.raises(DomainError) as replay:
        venues.check_in_with_venue_code(
            s, actor=present, code=code, at=shown_at + (valid_until - shown_at) / 2
        )
    assert replay.value.code == "citycode.venue_code_replayed"
    # Forwarded to someone elsewhere who scans it later: stale.
    far_away = resident_actor(s)
    with pytest.raises(DomainError) as stale:
        venues.check_in_with_venue_code(
            s, actor=far_away, code=code, at=valid_until + timedelta(seconds=1)
        )
    assert stale.value.code == "citycode.venue_code_expired"
    # ... or scans it at once but from another city: refused by position.
    with pytest.raises(DomainError) as elsewhere:
        venues.check_in_with_venue_code(
            s, actor=far_away, code=code, lon=114.30, lat=30.59, at=shown_at
        )
    assert elsewhere.value.code == "citycode.not_at_venue"
    # A personal code is no venue code.
    personal, _, _ = status.issue_code(s, actor=far_away)
    with pytest.raises(DomainError) as wrong:
        venues.check_in_with_venue_code(s, actor=far_away, code=personal, at=shown_at)
    assert wrong.value.code == "citycode.venue_code_invalid"
    stored = s.scalar(select(func.count()).select_from(Scan).where(Scan.venue_id == venue.id))
    assert stored == 1
    refusals = [
        e.detail["refusal"]
        for e in audit.entries_for(s, entity_type="citycode_venue", entity_id=venue.id)
        if e.action == "citycode.check_in_refused"
    ]
    assert refusals == ["citycode.venue_code_replayed", "citycode.not_at_venue"]
    unknown = audit.entries_for(s, entity_type="citycode_venue", entity_id="unknown")
    assert [e.detail["refusal"] for e in unknown] == [
        "citycode.venue_code_expired",
        "citycode.venue_code_invalid",
    ]


def _device(s: Session, official, venue_id: int):  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization

    key = ed25519.Ed25519PrivateKey.generate()
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, venues.register_device(
        s, actor=official, venue_id=venue_id, name="闸机1", public_key_der=der
    )


def _token(s: Session, actor) -> str:  # type: ignore[no-untyped-def]
    return status.status_row(s, actor.person_id).token


def _upload(s, official, key, device, items):  # type: ignore[no-untyped-def]
    batch_id = str(uuid.uuid4())
    signature = key.sign(scans.batch_signing_bytes(device.id, batch_id, items))
    return scans.ingest_batch(
        s, actor=official, device_id=device.id, batch_id=batch_id, scans=items, signature=signature
    )


def test_batch_ingest_is_idempotent_and_signed(city_session: Session, official) -> None:  # type: ignore[no-untyped-def]
    s = city_session
    venue = make_venue(s, official)
    key, device = _device(s, official, venue.id)
    token = _token(s, resident_actor(s))
    now = utcnow()
    items = [
        scans.ScanIn(str(uuid.uuid4()), token, "pass", now - timedelta(minutes=i))
        for i in range(20)
    ]
    first = _upload(s, official, key, device, items)
    assert (first.stored, first.duplicates) == (20, 0)
    retried = _upload(s, official, key, device, items + items[:3])
    assert (retried.stored, retried.duplicates) == (0, 23)
    assert s.scalar(select(func.count()).select_from(Scan)) == 20
    # A batch signed by another key stores nothing.
    other = ed25519.Ed25519PrivateKey.generate()
    fresh = [scans.ScanIn(str(uuid.uuid4()), token, "pass", now)]
    with pytest.raises(DomainError) as forged:
        _upload(s, official, other, device, fresh)
    assert forged.value.code == "citycode.batch_signature"
    bad = [
        scans.ScanIn(str(uuid.uuid4()), token, "pass", now),
        scans.ScanIn(str(uuid.uuid4()), token, "maybe", now),
    ]
    with pytest.raises(DomainError) as malformed:
        _upload(s, official, key, device, bad)
    assert malformed.value.code == "citycode.bad_outcome"
    assert s.scalar(select(func.count()).select_from(Scan)) == 20


def test_tracing_finds_contacts_and_second_hop(city_session: Session, official) -> None:  # type: ignore[no-untyped-def]
    s = city_session
    cafe = make_venue(s, official, kind="public_place", name="咖啡馆")  # dwell 60, overlap 15
    office = make_venue(s, official, kind="work_unit", name="公司")  # dwell 480, overlap 60
    key, cafe_gate = _device(s, official, cafe.id)
    key2, office_gate = _device(s, official, office.id)
    case_person, contact, second, stranger = (resident_actor(s) for _ in range(4))
    t0 = utcnow() - timedelta(days=3)
    scan = lambda actor, at: scans.ScanIn(str(uuid.uuid4()), _token(s, actor), "pass", at)  # noqa: E731
    _upload(
        s,
        official,
        key,
        cafe_gate,
        [
            scan(case_person, t0),
            scan(contact, t0 + timedelta(minutes=30)),  # overlap 30 min ≥ 15
            scan(stranger, t0 + timedelta(minutes=80)),  # overlaps nobody by 15 min
        ],
    )
    _upload(
        s,
        official,
        key2,
        office_gate,
        [
            scan(contact, t0 + timedelta(days=1)),
            scan(second, t0 + timedelta(days=1, hours=2)),
        ],
    )
    with pytest.raises(DomainError) as no_case:
        scans.trace(s, actor=official, case_id="  ", person_id=case_person.person_id)
    assert no_case.value.code == "citycode.case_required"
    one = scans.trace(s, actor=official, case_id="ZZ-2026-001", person_id=case_person.person_id)
    assert [c["person_id"] for c in one.contacts] == [contact.person_id]
    both = scans.trace(
        s, actor=official, case_id="ZZ-2026-001", person_id=case_person.person_id, second_hop=True
    )
    hops = {c["person_id"]: c["hop"] for c in both.contacts}
    assert hops == {contact.person_id: 1, second.person_id: 2}
    csv_text = scans.trace_csv(s, actor=official, trace_id=both.id)
    assert csv_text.splitlines()[0].startswith("case_id,hop,person_id,name,id_number")
    assert "ZZ-2026-001" in csv_text and "*" in csv_text
    entries = audit.entries_for(s, entity_type="citycode_trace_query", entity_id=both.id)
    assert [e.action for e in entries] == ["citycode.contacts_traced", "citycode.trace_exported"]
    assert all("ZZ-2026-001" in e.reason for e in entries)
    # Flagging the contacts makes the rules turn them red once an emergency is on.
    _emergency(s, official)
    assert scans.flag_close_contacts(s, actor=official, trace_id=one.id) == 1
    assert status.status_row(s, contact.person_id).colour == "red"


def test_retention_deletes_old_scans(city_session: Session, official) -> None:  # type: ignore[no-untyped-def]
    s = city_session
    venue = make_venue(s, official)
    key, device = _device(s, official, venue.id)
    token = _token(s, resident_actor(s))
    now = utcnow()
    old = [
        scans.ScanIn(str(uuid.uuid4()), token, "pass", now - timedelta(days=15, minutes=i))
        for i in range(5)
    ]
    recent = [
        scans.ScanIn(str(uuid.uuid4()), token, "pass", now - timedelta(days=13)) for _ in range(3)
    ]
    _upload(s, official, key, device, old + recent)
    assert scans.purge_scans(s, actor=official, at=now) == 5
    left = set(s.scalars(select(Scan.scan_id)))
    assert left == {r.scan_id for r in recent}
    assert not left & {o.scan_id for o in old}
    with pytest.raises(DomainError) as too_long:
        scans.purge_scans(s, actor=official, retention_days=29)
    assert too_long.value.code == "citycode.bad_retention"
    assert scans.purge_scans(s, actor=official, retention_days=12, at=now) == 3


def test_a_device_key_scans_only_at_its_own_venue(city_session: Session, official) -> None:  # type: ignore[no-untyped-def]
    from citybrain.core.errors import DomainError
    from citybrain.core.security import Actor, ActorKind

    s = city_session
    gate = make_venue(s, official, kind="public_place")
    other = make_venue(s, official, kind="public_place")
    code, _, _ = status.issue_code(s, actor=resident_actor(s))
    device = Actor(
        kind=ActorKind.api_key, id="1", name="闸机", scopes=frozenset({f"citycode:scan:{gate.id}"})
    )
    assert venues.check_at_door(s, actor=device, venue_id=gate.id, code=code).outcome == "pass"
    with pytest.raises(DomainError) as caught:
        venues.check_at_door(s, actor=device, venue_id=other.id, code=code)
    assert (caught.value.status, caught.value.code) == (403, "citycode.key_not_for_venue")
