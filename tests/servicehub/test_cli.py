"""``citybrain services import/export`` against a database in a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from citybrain.cli import app
from citybrain.config import Settings
from citybrain.core.db import transaction
from citybrain.models import Base
from citybrain.runtime import session_factory
from tests.conftest import TEST_PII_KEY
from tests.factories.identity import ensure_city


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        "CITYBRAIN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "CITYBRAIN_DATA_DIR": str(tmp_path),
        "CITYBRAIN_PII_KEY": TEST_PII_KEY,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    factory = session_factory(Settings())
    engine = factory.kw["bind"]
    Base.metadata.create_all(engine)
    from citybrain.demo.loader import _load_departments

    session: Session
    with factory() as session, transaction(session):
        ensure_city(session)
        _load_departments(session)
    engine.dispose()
    return env


def test_import_reports_rejected_rows_and_export_round_trips(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    rows = [
        {
            "catalog_code": "410199990001",
            "task_code": "CLI-1",
            "name": "命令行导入事项",
            "item_type": "行政确认",
            "department": "市教育局",
            "promised_days": 5,
            "legal_days": 10,
            "handling_kind": "承诺件",
            "online_level": 4,
            "result_type": "出文办结",
        },
        {
            "catalog_code": "410199990002",
            "task_code": "CLI-2",
            "name": "坏事项",
            "item_type": "行政确认",
            "department": "市教育局",
            "promised_days": 0,
            "handling_kind": "承诺件",
            "online_level": 4,
            "result_type": "出文办结",
        },
    ]
    source = tmp_path / "items.json"
    source.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["services", "import", str(source)])
    assert result.exit_code == 2, result.output
    report = json.loads(result.output)
    assert report["imported"] == 1
    assert report["rejected"][0]["row"] == 2 and report["rejected"][0]["rule"] == "instant_zero"
    exported = runner.invoke(app, ["services", "export", "--format", "json"])
    assert exported.exit_code == 0
    assert [r["task_code"] for r in json.loads(exported.output)] == ["CLI-1"]
