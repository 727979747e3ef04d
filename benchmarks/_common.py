"""Shared bits of the benchmark scripts: arguments, a timer, the machine line, the report.

Every script measures the raw limit of this machine for its hot path (e.g. a bare
STRtree query, a bare executemany) and our path in the same run, and prints both with
their ratio. ``--json`` prints one JSON object instead, for machines.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


def parser(description: str, *, n: int, seed: int = 20201220) -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(description=description)
    arguments.add_argument("--n", type=int, default=n, help="How many operations to time.")
    arguments.add_argument("--seed", type=int, default=seed, help="Seed for generated data.")
    arguments.add_argument("--db", default=None, help="Database URL (default: a temp SQLite).")
    arguments.add_argument("--json", action="store_true", help="Print one JSON object.")
    return arguments


def machine() -> str:
    return (
        f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


@contextmanager
def timer() -> Iterator[Callable[[], float]]:
    started = time.perf_counter()
    finished: list[float] = []
    yield lambda: (finished[0] if finished else time.perf_counter()) - started
    finished.append(time.perf_counter())


@dataclass
class Report:
    title: str
    figures: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, value: float | int | str, unit: str = "") -> None:
        self.figures[name] = {"value": value, "unit": unit}

    def ratio(self, name: str, ours: float, raw: float) -> None:
        self.add(name, round(ours / raw, 4) if raw else float("nan"), "x of raw")

    def print(self, as_json: bool) -> None:
        if as_json:
            json.dump(
                {"title": self.title, "machine": machine(), "figures": self.figures},
                sys.stdout,
                ensure_ascii=False,
            )
            print()
            return
        print(self.title)
        print(f"  machine: {machine()}")
        for name, figure in self.figures.items():
            value = figure["value"]
            shown = (
                f"{value:,.3f}"
                if isinstance(value, float)
                else f"{value:,}"
                if isinstance(value, int)
                else value
            )
            print(f"  {name}: {shown} {figure['unit']}".rstrip())
