"""Wiring shared by the web app, the CLI and the tests: engine and session factory."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from citybrain.config import Settings
from citybrain.core.crypto import PiiCipher, load_master_key
from citybrain.core.db import make_engine, make_sessionmaker


def session_factory(settings: Settings, engine: Engine | None = None) -> sessionmaker[Session]:
    """Sessions carrying the settings and the personal-data cipher to the services."""
    engine = engine or make_engine(settings.database_url)
    return make_sessionmaker(engine, settings=settings, pii=PiiCipher(load_master_key(settings)))
