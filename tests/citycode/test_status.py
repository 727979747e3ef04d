"""Keys, trust list, status rules, four eyes and corrections, on a real session."""

from __future__ import annotations

import zlib
from datetime import timedelta

import base45
import pytest
from sqlalchemy.orm import Session

from citybrain.citycode import rules, signing, status, verifier
from citybrain.core import audit
from citybrain.core.db import utcnow
from citybrain.core.errors import DomainError
from citybrain.identity import service as identity_service
from tests.factories.citycode import health_actor, resident_actor, set_up_keys


@pytest.fixture
def official(reference_session: Session):  # type: ignore[no-untyped-def]
    actor = health_actor(reference_session)
    set_up_keys(reference_session, actor)
    return actor


def test_code_in_normal_times_carries_no_colour(reference_session: Session, official) -> None:  # type: ignore[no-untyped-def]
    resident = resident_actor(reference_session)
    code, row, expires = status.issue_code(reference_session, actor=resident)
    result = verifier.verify(code, signing.trust_store(reference_session))
    assert result.valid and result.claims is not None
    assert result.claims["status"] == "none"
    assert result.claims["token"] == row.token
    assert len(row.token) == 32
    person = identity_service.get_person_or_raise(reference_session, resident.person_id)
    id_number = identity_service.reveal_id_number(reference_session, person)
    inflated = zlib.decompress(base45.b45decode(code[4:]))
    assert id_number.encode() not in inflated and person.name.encode() not in inflated
    assert expires - utcnow() <= timedelta(hours=24)


def test_rules_turn_records_into_colours_with_reasons(reference_session: Session, official) -> None:  # type: ignore[no-untyped-def]
    s = reference_session
    resident = resident_actor(s)
    status.publish_rule_set(s, actor=official, body=rules.demo_rule_set())
    status.set_emergency_level(
        s, actor=official, division_code="410100", level=2, legal_basis="通告"
    )
    assert status.refresh_status(s, person_id=resident.person_id, actor=official).colour == "green"
    status.add_record(
        s,
        actor=official,
        person_id=resident.person_id,
        kind="trip",
        value="410102",
        observed_at=utcnow() - timedelta(days=2),
        source="行程申报",
    )
    row = status.status_row(s, resident.person_id)
    assert (row.colour, row.rule_id) == ("yellow", "risk_area_trip")
    assert row.legal_basis and row.source == "行程申报"
    changes = status.history(s, person_id=resident.person_id)
    assert [(c.from_colour, c.to_colour) for c in changes][-1] == ("green", "yellow")
    actions = [
        e.action for e in audit.entries_for(s, entity_type="person", entity_id=resident.person_id)
    ]
    assert "citycode.status_changed" in actions


def test_manual_change_needs_four_eyes(reference_session: Session, official) -> None:  # type: ignore[no-untyped-def]
    s = reference_session
    resident = resident_actor(s)
    status.status_row(s, resident.person_id)
    change = status.propose_manual_change(
        s,
        actor=official,
        person_id=resident.person_id,
        colour="red",
        reason="复核",
        legal_basis="通告",
    )
    assert status.status_row(s, resident.person_id).colour == "none"
    with pytest.raises(DomainError) as refused:
        status.decide_manual_change(s, actor=official, change_id=change.id, approve=True)
    assert refused.value.code == "citycode.four_eyes"
    assert status.status_row(s, resident.person_id).colour == "none"
    second = health_actor(s)
    status.decide_manual_change(s, actor=second, change_id=change.id, approve=True)
    row = status.status_row(s, resident.person_id)
    assert (row.colour, row.manual_change_id) == ("red", change.id)
    entries = audit.entries_for(s, entity_type="citycode_manual_change", entity_id=change.id)
    assert [e.actor_id for e in entries] == [official.id, second.id]
    with pytest.raises(DomainError) as again:
        status.decide_manual_change(s, actor=second, change_id=change.id, approve=False)
    assert again.value.code == "citycode.manual_change_decided"


def test_resident_cannot_act_as_official(reference_session: Session, official) -> None:  # type: ignore[no-untyped-def]
    resident = resident_actor(reference_session)
    with pytest.raises(DomainError) as refused:
        status.propose_manual_change(
            reference_session,
            actor=resident,
            person_id=resident.person_id,
            colour="green",
            reason="x",
            legal_basis="x",
        )
    assert refused.value.status == 403


def test_correction_has_deadline_and_owner_and_undoes_manual_red(
    reference_session: Session, official
) -> None:  # type: ignore[no-untyped-def]
    s = reference_session
    resident = resident_actor(s)
    change = status.propose_manual_change(
        s,
        actor=official,
        person_id=resident.person_id,
        colour="red",
        reason="储户",
        legal_basis="无",
    )
    status.decide_manual_change(s, actor=health_actor(s), change_id=change.id, approve=True)
    correction = status.file_correction(s, actor=resident, reason="我从未到过郑州")
    assert correction.owner_department_id == official.department_id
    assert correction.deadline_date > utcnow().date()
    assert correction.colour_disputed == "red"
    assert status.correction_reason(s, correction) == "我从未到过郑州"
    assert b"\xe9\x83\x91\xe5\xb7\x9e" not in correction.reason_ciphertext  # 郑州 not in clear
    status.resolve_correction(
        s, actor=official, correction_id=correction.id, accepted=True, resolution="撤销"
    )
    assert status.status_row(s, resident.person_id).colour == "none"
    with pytest.raises(DomainError) as closed:
        status.resolve_correction(
            s, actor=official, correction_id=correction.id, accepted=False, resolution=""
        )
    assert closed.value.code == "citycode.correction_closed"


def test_trust_list_rotation_revocation_and_72_hours_offline(
    reference_session: Session, official
) -> None:  # type: ignore[no-untyped-def]
    s = reference_session
    resident = resident_actor(s)
    old_code, _, _ = status.issue_code(s, actor=resident)
    old_key = signing.list_keys(s)[0]
    signing.create_key(s, actor=official, usage="person")  # rotation: the old key retires
    new_code, _, _ = status.issue_code(s, actor=resident)
    published = signing.publish_trust_list(s, actor=official)
    anchor = signing.trust_anchor(s)
    at = published.issued_at + timedelta(hours=1)
    version, store = signing.open_trust_list(published.document, anchor_der=anchor, at=at)
    assert version == published.version
    assert verifier.verify(old_code, store, at=at).valid  # retired keys verify until codes lapse
    assert verifier.verify(new_code, store, at=at).valid
    # 72 hours offline the cached list still works ...
    signing.open_trust_list(
        published.document, anchor_der=anchor, at=published.issued_at + timedelta(hours=72)
    )
    # ... and it stops when it expires.
    with pytest.raises(signing.TrustListRefused):
        signing.open_trust_list(published.document, anchor_der=anchor, at=published.expires_at)
    # A tampered list is refused.
    with pytest.raises(signing.TrustListRefused):
        signing.open_trust_list(published.document[:-1] + b"\x00", anchor_der=anchor, at=at)
    # Revocation: the next list leaves the key out and its codes fail at the signature.
    signing.revoke_key(s, actor=official, key_id=old_key.id, reason="泄露")
    republished = signing.publish_trust_list(s, actor=official)
    _, store = signing.open_trust_list(republished.document, anchor_der=anchor, at=at)
    result = verifier.verify(old_code, store, at=at)
    assert (result.valid, result.stage) == (False, "signature")
    assert verifier.verify(new_code, store, at=at).valid


@pytest.mark.parametrize("profile", ["ed25519", "sm2"])
def test_issue_and_verify_with_other_profiles(reference_session: Session, profile: str) -> None:
    s = reference_session
    official = health_actor(s)
    set_up_keys(s, official, profile=profile)
    code, _, _ = status.issue_code(s, actor=resident_actor(s))
    result = verifier.verify(code, signing.trust_store(s))
    assert result.valid, result
