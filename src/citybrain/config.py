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


class Settings(BaseSettings):
    """Everything an operator can set; defaults run the demo city on a laptop."""

    model_config = SettingsConfigDict(
        env_prefix="CITYBRAIN_", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str = Field(
        "sqlite:///var/citybrain.db",
        description="SQLAlchemy URL of the database (SQLite by default, PostgreSQL for a city).",
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

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
