"""Settings from the environment (prefix ``CITYBRAIN_``), read once by whoever starts the work."""

from __future__ import annotations

from datetime import time
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from citybrain.citycode.settings import CitycodeSettings


class AuthSettings(BaseModel):
    """Identity and access."""

    token_ttl_minutes: int = Field(60, description="Lifetime of a bearer token, in minutes.")
    max_failed_logins: int = Field(
        5, description="Failed logins in a row after which an account is locked."
    )
    lockout_minutes: int = Field(15, description="How long a locked account stays locked.")


class CalendarSettings(BaseModel):
    """Working-day calendar."""

    working_periods: list[tuple[time, time]] = Field(
        default=[(time(9, 0), time(12, 0)), (time(13, 30), time(17, 30))],
        description="Working periods of a working day, for time limits counted in hours.",
    )
    timezone: str = Field("Asia/Shanghai", description="The city's local time zone.")


class DemoSettings(BaseModel):
    """The demo city."""

    seed: int = Field(20201220, description="Seed for every random choice of the demo city.")
    residents: int = Field(10_000, description="Demo residents to generate.")
    enterprises: int = Field(2_000, description="Demo enterprises to generate.")
    password: SecretStr = Field(
        SecretStr("citybrain-demo"), description="Password of every demo staff account."
    )


class BrainSettings(BaseModel):
    """The brain's data hub (城市大脑)."""

    notification_allowed_hosts: list[str] = Field(
        default=[],
        description="Hosts, addresses or networks (CIDR) subscription notifications may "
        "reach although they are loopback, private or link-local; empty refuses them all "
        '(JSON list, e.g. ["127.0.0.1", "10.20.0.0/16", "hooks.internal"]).',
    )
    history_keep_months: int = Field(
        0,
        ge=0,
        description="Whole months of history kept before the current one; older months are "
        "dropped hourly by the worker (0 keeps everything).",
    )
    history_partitions_ahead_months: int = Field(
        3,
        ge=0,
        le=24,
        description="Monthly history partitions created ahead of time (PostgreSQL only).",
    )


class Settings(BaseSettings):
    """Everything an operator can set; defaults run the demo city on a laptop."""

    model_config = SettingsConfigDict(
        env_prefix="CITYBRAIN_", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str = Field(
        "sqlite:///var/citybrain.db",
        description="SQLAlchemy URL of the database (SQLite by default, PostgreSQL for a city).",
    )
    read_database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of a read replica for read-only queries (the brain's "
        "GET endpoints and the cockpit); unset reads from database_url.",
    )
    data_dir: Path = Field(Path("var"), description="Folder for keys and the SQLite file.")
    secret_key: SecretStr | None = Field(
        None,
        description="Key that signs bearer tokens; generated into data_dir/secret.key if unset.",
    )
    pii_key: SecretStr | None = Field(
        None,
        description="Base64 32-byte key that encrypts personal data; "
        "read from data_dir/pii.key (generated once) if unset. Never stored in the database.",
    )
    pii_key_file: Path | None = Field(
        None, description="File holding the personal-data key (overrides data_dir/pii.key)."
    )
    log_level: str = Field("INFO", description="Log level.")
    background_workers: bool = Field(
        True,
        description="Run the in-process workers (the brain's notification delivery and "
        "alert-to-case rounds) in the web server.",
    )
    auth: AuthSettings = Field(default_factory=AuthSettings)
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    demo: DemoSettings = Field(default_factory=DemoSettings)
    citycode: CitycodeSettings = Field(default_factory=CitycodeSettings)
    brain: BrainSettings = Field(default_factory=BrainSettings)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
