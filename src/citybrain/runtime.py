"""Wiring shared by the web app, the CLI and the tests: engine and session factory, and the
read-replica session for read-only routes (``ReadSession``)."""

from __future__ import annotations

import threading
from collections.abc import Generator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from citybrain.config import Settings
from citybrain.core.crypto import PiiCipher, load_master_key
from citybrain.core.db import DbSession, make_engine, make_sessionmaker


def session_factory(settings: Settings, engine: Engine | None = None) -> sessionmaker[Session]:
    """Sessions carrying the settings and the personal-data cipher to the services."""
    engine = engine or make_engine(settings.database_url)
    return make_sessionmaker(engine, settings=settings, pii=PiiCipher(load_master_key(settings)))


_read_lock = threading.Lock()


def read_sessionmaker(app: Any) -> sessionmaker[Session] | None:
    """Sessions on the read replica (``read_database_url``), made on first use; or None."""
    factory: sessionmaker[Session] | None = getattr(app.state, "read_sessionmaker", None)
    if factory is not None:
        return factory
    settings: Settings = app.state.settings
    if not settings.read_database_url:
        return None
    with _read_lock:
        factory = getattr(app.state, "read_sessionmaker", None)
        if factory is None:
            factory = session_factory(settings, make_engine(settings.read_database_url))
            app.state.read_sessionmaker = factory
    return factory


def get_read_session(request: Request, session: DbSession) -> Generator[Session, None, None]:
    """A session for read-only work: on the replica when one is set, else the request's own.

    Read-only routes take ``ReadSession``; anything that writes keeps ``DbSession``
    (the replica may lag, and writes to it would fail or be lost).
    """
    factory = read_sessionmaker(request.app)
    if factory is None:
        yield session
        return
    replica = factory()
    try:
        yield replica
    finally:
        replica.close()


ReadSession = Annotated[Session, Depends(get_read_session)]
