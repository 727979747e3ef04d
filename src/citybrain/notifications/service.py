"""Send, list and mark notifications. Plain functions over a session; callers commit."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from citybrain.core.db import utcnow
from citybrain.core.errors import DomainError, not_found
from citybrain.core.security import Actor, ActorKind
from citybrain.notifications.models import Message

MAX_PAGE = 200


def send(
    session: Session,
    *,
    topic: str,
    title: str,
    title_en: str = "",
    body: str = "",
    link: str = "",
    person_id: int | None = None,
    enterprise_id: int | None = None,
    account_id: int | None = None,
) -> Message:
    """Queue one notice for one recipient; it commits with the caller's change.

    ``body`` is shown to the recipient only; keep personal numbers out of it anyway.
    """
    if (person_id, enterprise_id, account_id).count(None) != 2:
        raise ValueError("a notice has exactly one recipient")
    message = Message(
        topic=topic,
        title=title[:200],
        title_en=title_en[:200],
        body=body,
        link=link[:300],
        person_id=person_id,
        enterprise_id=enterprise_id,
        account_id=account_id,
        created_at=utcnow(),
    )
    session.add(message)
    session.flush()
    return message


def _recipient(actor: Actor) -> ColumnElement[bool]:
    """Whose notices the actor reads: their person, their enterprise or their account."""
    if actor.kind is ActorKind.person and actor.person_id is not None:
        return (Message.person_id == actor.person_id) | (Message.account_id == int(actor.id))
    if actor.kind is ActorKind.enterprise and actor.enterprise_id is not None:
        return (Message.enterprise_id == actor.enterprise_id) | (
            Message.account_id == int(actor.id)
        )
    if actor.kind is ActorKind.staff:
        return Message.account_id == int(actor.id)
    raise DomainError(
        "notifications.no_inbox", "该身份没有消息", "This caller has no inbox", status=403
    )


def list_for(
    session: Session, *, actor: Actor, after_id: int = 0, limit: int = 50
) -> list[Message]:
    """The actor's notices, newest first (or, with ``after_id``, those newer than it)."""
    query = select(Message).where(_recipient(actor))
    if after_id:
        query = query.where(Message.id > after_id).order_by(Message.id)
    else:
        query = query.order_by(Message.id.desc())
    return list(session.scalars(query.limit(min(max(limit, 1), MAX_PAGE))))


def unread_count(session: Session, *, actor: Actor) -> int:
    query = select(func.count(Message.id)).where(_recipient(actor), Message.read_at.is_(None))
    return session.scalar(query) or 0


def mark_read(session: Session, *, actor: Actor, message_id: int) -> Message:
    message = session.scalar(select(Message).where(Message.id == message_id, _recipient(actor)))
    if message is None:
        raise not_found("notifications.unknown_message", "消息", "Notice")
    if message.read_at is None:
        message.read_at = utcnow()
        session.flush()
    return message


def mark_all_read(session: Session, *, actor: Actor) -> int:
    result = session.execute(
        update(Message).where(_recipient(actor), Message.read_at.is_(None)).values(read_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)
