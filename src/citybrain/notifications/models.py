"""Tables of notifications, named notifications_*."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.core.db import Base, utcnow


class Message(Base):
    """One notice to one recipient: a person, an enterprise or an account."""

    __tablename__ = "notifications_message"
    __table_args__ = (
        Index("ix_notifications_message_person", "person_id", "id"),
        Index("ix_notifications_message_enterprise", "enterprise_id", "id"),
        Index("ix_notifications_message_account", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("identity_person.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("identity_enterprise.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"))
    topic: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()
