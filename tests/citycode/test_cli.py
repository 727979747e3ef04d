"""``citybrain code verify`` and friends, through typer's runner."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from citybrain.citycode import codes, cose
from citybrain.cli import app
from citybrain.core.db import make_engine
from citybrain.models import Base
from tests.factories.citycode import EKU_VACCINATION, dcc_signer, make_dsc, make_hc1

runner = CliRunner()


@pytest.fixture
def dcc(tmp_path: Path) -> tuple[str, Path]:
    key, cert = make_dsc("ps256", eku=[EKU_VACCINATION])
    signers = tmp_path / "signers.pem"
    signers.write_text(cert.public_bytes(serialization.Encoding.PEM).decode())
    return make_hc1(dcc_signer(key, cert)), signers


def test_verify_dcc_from_argument(dcc: tuple[str, Path]) -> None:
    code, signers = dcc
    result = runner.invoke(app, ["code", "verify", code, "--signers", str(signers)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["valid"] is True and body["stage"] is None
    assert body["claims"]["type"] == "v" and body["alg"] == "PS256"


def test_verify_reads_stdin_and_honours_at(dcc: tuple[str, Path]) -> None:
    code, signers = dcc
    later = (datetime.now(UTC) + timedelta(days=60)).isoformat()
    result = runner.invoke(
        app, ["code", "verify", "--signers", str(signers), "--at", later], input=code + "\n"
    )
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert (body["valid"], body["stage"]) == (False, "expiry")


def test_verify_city_code_with_base64_public_key(tmp_path: Path) -> None:
    key = cose.generate_private_key("ed25519")
    signers = tmp_path / "keys.txt"
    signers.write_text(base64.b64encode(cose.public_key_der("ed25519", key)).decode() + "\n")
    now = datetime.now(UTC)
    claims = codes.person_claims(
        token=bytes(16), status="green", rule_version=1, issued_at=now, ttl=timedelta(hours=1)
    )
    code = cose.encode(cose.Signer.from_key("ed25519", key), claims)
    ok = runner.invoke(app, ["code", "verify", code, "--signers", str(signers)])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["claims"]["status"] == "green"
    bad = runner.invoke(app, ["code", "verify", "HC2:" + code[4:], "--signers", str(signers)])
    assert bad.exit_code == 1 and json.loads(bad.stdout)["stage"] == "prefix"


def test_keys_trust_list_verify_and_purge_on_a_database(tmp_path: Path) -> None:
    env = {
        "CITYBRAIN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "CITYBRAIN_DATA_DIR": str(tmp_path),
    }
    Base.metadata.create_all(make_engine(env["CITYBRAIN_DATABASE_URL"]))
    for usage in ("person", "trust_list"):
        created = runner.invoke(
            app, ["code", "keys-create", usage, "--profile", "ed25519"], env=env
        )
        assert created.exit_code == 0, created.output
    listed = runner.invoke(
        app, ["code", "trust-list", "--output", str(tmp_path / "tl.bin")], env=env
    )
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout)["keys"] == 1 and (tmp_path / "tl.bin").stat().st_size > 0
    no_key = runner.invoke(app, ["code", "verify", "CB1:XYZ"], env=env)
    assert no_key.exit_code == 1
    purged = runner.invoke(app, ["code", "purge", "--days", "14"], env=env)
    assert purged.exit_code == 0 and json.loads(purged.stdout) == {"deleted": 0}
    refused = runner.invoke(app, ["code", "purge", "--days", "40"], env=env)
    assert refused.exit_code == 1
