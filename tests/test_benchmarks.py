"""Each benchmark script runs end to end with a tiny ``--n`` and prints its figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).resolve().parent.parent / "benchmarks").glob("bench_*.py"))
SMOKE_N = {"default": 200}
# Time-bounded phases get a short bound in the smoke run.
SMOKE_ARGS = {"bench_brain_updates": ["--seconds", "2"]}


@pytest.mark.slow
@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda p: p.stem)
def test_benchmark_runs(script: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(script),
            "--n",
            str(SMOKE_N.get(script.stem, SMOKE_N["default"])),
            "--db",
            f"sqlite:///{tmp_path / 'bench.db'}",
            "--json",
            *SMOKE_ARGS.get(script.stem, []),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["figures"]
    assert any("raw" in name for name in report["figures"])
