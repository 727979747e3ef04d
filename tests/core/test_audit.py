"""The audit chain notices an altered row, and the outbox delivers in order."""

from __future__ import annotations

from sqlalchemy import text, update
from sqlalchemy.orm import Session

from citybrain.core import audit, outbox
from citybrain.core.models import AuditEntry
from citybrain.core.security import SYSTEM


def _record_three(session: Session) -> list[AuditEntry]:
    return [
        audit.record(
            session, SYSTEM, f"test.step_{n}", entity_type="thing", entity_id=n, detail={"n": n}
        )
        for n in range(3)
    ]


def test_an_untouched_chain_verifies(session: Session) -> None:
    _record_three(session)
    report = audit.verify(session)
    assert report.intact
    assert report.rows_checked >= 3


def test_the_first_altered_row_is_named(session: Session) -> None:
    rows = _record_three(session)
    session.execute(
        update(AuditEntry).where(AuditEntry.id == rows[1].id).values(reason="quietly edited")
    )
    session.expire_all()
    report = audit.verify(session)
    assert report.first_bad_id == rows[1].id
    assert report.problem == "row content does not match its hash"


def test_a_deleted_row_breaks_the_link(session: Session) -> None:
    rows = _record_three(session)
    session.execute(text("DELETE FROM core_audit_entry WHERE id = :id"), {"id": rows[1].id})
    session.expire_all()
    report = audit.verify(session)
    assert report.first_bad_id == rows[2].id
    assert report.problem == "link to the previous row is broken"


def test_rows_link_to_their_predecessor(session: Session) -> None:
    rows = _record_three(session)
    assert rows[1].prev_hash == rows[0].row_hash
    assert rows[2].prev_hash == rows[1].row_hash


def test_outbox_cursor_reads_in_order_and_resumes(session: Session) -> None:
    first = outbox.emit_raw(session, "test.happened", {"n": 1})
    second = outbox.emit_raw(session, "test.happened", {"n": 2})
    outbox.emit_raw(session, "test.other", {"n": 3})
    batch = outbox.read(session, "test-consumer", names=["test.happened"])
    assert [e.id for e in batch][-2:] == [first.id, second.id]
    outbox.advance(session, "test-consumer", first.id)
    again = outbox.read(session, "test-consumer", names=["test.happened"])
    assert [e.payload["n"] for e in again] == [2]
    assert outbox.position(session, "test-consumer") == first.id
