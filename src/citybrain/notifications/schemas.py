"""Notifications out."""

from __future__ import annotations

from datetime import datetime

from citybrain.core.schemas import Schema


class MessageOut(Schema):
    id: int
    topic: str
    title: str
    title_en: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None


class MessagePage(Schema):
    unread: int
    items: list[MessageOut]
