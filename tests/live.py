"""A real ``citybrain serve`` on a free loopback port, over a freshly loaded demo city."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

CITYBRAIN = [sys.executable, "-m", "citybrain"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveCity:
    base_url: str
    folder: Path
    env: dict[str, str]
    load_seconds: float
    process: subprocess.Popen[bytes]

    @property
    def database_file(self) -> Path:
        return self.folder / "citybrain.db"


def city_env(folder: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CITYBRAIN_")}
    env.update(
        {
            "CITYBRAIN_DATABASE_URL": f"sqlite:///{folder / 'citybrain.db'}",
            "CITYBRAIN_DATA_DIR": str(folder),
            **extra,
        }
    )
    return env


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CITYBRAIN, *args], env=env, check=True, capture_output=True, text=True, timeout=600
    )


def start_city(folder: Path, **extra: str) -> LiveCity:
    env = city_env(folder, **extra)
    run_cli(env, "migrate")
    started = time.perf_counter()
    run_cli(env, "demo", "load")
    load_seconds = time.perf_counter() - started
    port = free_port()
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [*CITYBRAIN, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return LiveCity(base_url, folder, env, load_seconds, process)
        except httpx.TransportError:
            time.sleep(0.2)
        if process.poll() is not None:
            break
    process.kill()
    raise RuntimeError(f"server did not start: {(folder / 'server.log').read_text()[-2000:]}")


def stop_city(city: LiveCity) -> None:
    city.process.terminate()
    try:
        city.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        city.process.kill()
