"""Property-based run of schemathesis over the whole OpenAPI schema: no 5xx anywhere."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy import select

from citybrain.app import create_app
from citybrain.config import DemoSettings, Settings
from citybrain.core.db import make_engine
from citybrain.core.security import issue_token
from citybrain.demo import loader
from citybrain.identity.models import Account
from citybrain.models import Base
from citybrain.runtime import session_factory

pytestmark = pytest.mark.slow
SECRET = "schemathesis-secret-key-of-enough-length-32"


@pytest.fixture(scope="module")
def fuzz_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    return Settings(
        database_url=f"sqlite:///{folder / 'fuzz.db'}",
        data_dir=folder,
        pii_key=base64.b64encode(bytes(32)).decode(),
        secret_key=SECRET,
        demo=DemoSettings(residents=50, enterprises=10),
    )


@pytest.fixture(scope="module")
def fuzz_app(fuzz_settings: Settings) -> Iterator[object]:
    engine = make_engine(fuzz_settings.database_url)
    Base.metadata.create_all(engine)
    loader.load(session_factory(fuzz_settings, engine), fuzz_settings)
    engine.dispose()
    yield create_app(fuzz_settings)


@pytest.fixture(scope="module")
def admin_headers(fuzz_app: object, fuzz_settings: Settings) -> dict[str, str]:
    factory = session_factory(fuzz_settings)
    with factory() as session:
        admin = session.scalar(select(Account).where(Account.username == "admin"))
        assert admin is not None
        token = issue_token(SECRET, subject=str(admin.id), ttl=timedelta(hours=2), claims={})
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def api_schema(fuzz_app: object) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


def fuzz_settings_for(examples: int) -> settings:
    return settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )


def _fuzz_every_operation(
    api_schema: schemathesis.BaseSchema, headers: dict[str, str], examples: int
) -> list[str]:
    """Run each operation's generated cases; return the operations that were exercised."""
    exercised = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @fuzz_settings_for(examples)
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        run()
        exercised.append(f"{operation.method.upper()} {operation.path}")
    return exercised


def test_no_server_errors_as_admin(
    api_schema: schemathesis.BaseSchema, admin_headers: dict[str, str]
) -> None:
    exercised = _fuzz_every_operation(api_schema, admin_headers, examples=40)
    assert "POST /api/v1/auth/token" in exercised
    assert len(exercised) >= 10


def test_no_server_errors_anonymous(api_schema: schemathesis.BaseSchema) -> None:
    assert _fuzz_every_operation(api_schema, {}, examples=10)
