"""``citybrain cases escalate`` and ``citybrain cases indicators``."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from sqlalchemy import create_engine
from typer.testing import CliRunner

from citybrain.cli import app
from citybrain.models import Base

runner = CliRunner()


def test_escalate_and_indicators_on_an_empty_city(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    env = {
        "CITYBRAIN_DATABASE_URL": url,
        "CITYBRAIN_DATA_DIR": str(tmp_path),
        "CITYBRAIN_PII_KEY": base64.b64encode(bytes(32)).decode(),
    }
    escalated = runner.invoke(app, ["cases", "escalate"], env=env)
    assert escalated.exit_code == 0, escalated.output
    assert json.loads(escalated.output) == {"escalated": []}
    rates = runner.invoke(
        app,
        ["cases", "indicators", "--start", "2026-11-01T00:00:00+08:00", "--end", "2026-12-01"],
        env=env,
    )
    assert rates.exit_code == 0, rates.output
    assert json.loads(rates.output)["due"] == 0
    bad = runner.invoke(app, ["cases", "indicators", "--start", "soon", "--end", "later"], env=env)
    assert bad.exit_code != 0
