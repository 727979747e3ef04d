"""Settings of the city code (``CITYBRAIN_CITYCODE__*`` once mounted on ``Settings``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

MAX_RETENTION_DAYS = 28


class CitycodeSettings(BaseModel):
    """一码通城."""

    code_ttl_seconds: int = Field(
        86_400, ge=60, le=86_400, description="Lifetime of a personal code (exp − iat)."
    )
    refresh_seconds: int = Field(
        60, ge=5, le=60, description="How often the phone page fetches a fresh code."
    )
    venue_code_window_seconds: int = Field(
        300, ge=30, le=300, description="Rotation window of a venue code (at most 5 minutes)."
    )
    trust_list_validity_hours: int = Field(
        96, ge=72, le=720, description="Validity of a published trust list (offline grace)."
    )
    retention_days: int = Field(
        14, ge=1, le=MAX_RETENTION_DAYS, description="Days scans are kept before deletion."
    )
    correction_workdays: int = Field(
        3, ge=1, le=20, description="Working days the owner has to answer a correction request."
    )
    profile: str = Field("es256", description="Signature profile of new keys: es256, ed25519, sm2.")


def settings_of(session: Session) -> CitycodeSettings:
    """The city-code section of the session's settings, or the defaults."""
    settings: Any = session.info.get("settings")
    section = getattr(settings, "citycode", None)
    return section if isinstance(section, CitycodeSettings) else CitycodeSettings()
