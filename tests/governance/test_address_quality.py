"""How well the gazetteer reads free-text addresses: accuracy on a labelled set, printed.

``data/addresses.csv`` (see ``data/make_addresses.py`` for how it is built and what a
right answer is): rows generated from the real division, street and road names with the
variations hotline agents type, plus hand-written hard cases. An empty label means the
text does not settle a district (or names no street); there "don't know" is the right
answer and a guess is wrong.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from citybrain.governance.gazetteer import AddressMatch, parse_address

DATA = Path(__file__).parent / "data" / "addresses.csv"


@dataclass(frozen=True)
class Score:
    """Share of rows answered right, wrongly, or with "don't know" where an answer exists."""

    rows: int
    right: int
    wrong: int
    unknown: int
    failures: tuple[str, ...]

    @property
    def accuracy(self) -> float:
        return self.right / self.rows

    @property
    def wrong_rate(self) -> float:
        return self.wrong / self.rows

    @property
    def unknown_rate(self) -> float:
        return self.unknown / self.rows

    def line(self, what: str) -> str:
        return (
            f"{what}: {self.accuracy:.1%} right, {self.wrong_rate:.1%} wrong, "
            f"{self.unknown_rate:.1%} don't know ({self.rows} rows)"
        )


def read_set() -> list[dict[str, str]]:
    with DATA.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _score(pairs: list[tuple[str, str | None, str]]) -> Score:
    right = wrong = unknown = 0
    failures = []
    for text, got, expected in pairs:
        if (got or "") == expected:
            right += 1
            continue
        if got is None:
            unknown += 1
        else:
            wrong += 1
        failures.append(f"{text}: got {got or '-'}, expected {expected or '-'}")
    return Score(len(pairs), right, wrong, unknown, tuple(failures))


def evaluate(
    rows: list[dict[str, str]], parse: Callable[[str], AddressMatch] = parse_address
) -> tuple[Score, Score]:
    """District score on every row; street score on the rows whose text names a street."""
    matches = [(row, parse(row["text"])) for row in rows]
    district = _score([(r["text"], m.division_code, r["district"]) for r, m in matches])
    street = _score([(r["text"], m.street_code, r["street"]) for r, m in matches if r["street"]])
    return district, street


def test_address_parsing_accuracy_on_the_labelled_set() -> None:
    rows = read_set()
    district, street = evaluate(rows)
    invented = sum(
        1 for row in rows if not row["street"] and parse_address(row["text"]).street_code
    )
    print(
        f"\naddress set: {len(rows)} rows, {sum(1 for r in rows if r['kind'].startswith('hard'))}"
        f" hand-written\n{district.line('district')}\n{street.line('street')}\n"
        f"street given where the text names none: {invented}"
    )
    for failure in district.failures + street.failures:
        print("  ", failure)
    assert len(rows) >= 400
    assert district.accuracy >= 0.97
    assert district.wrong_rate <= 0.01
    assert street.accuracy >= 0.97
    assert street.wrong_rate <= 0.01
    assert invented == 0


def test_hand_written_hard_cases() -> None:
    rows = [row for row in read_set() if row["kind"].startswith("hard")]
    district, street = evaluate(rows)
    print(f"\nhard cases: {district.line('district')}; {street.line('street')}")
    assert len(rows) >= 50
    assert district.accuracy >= 0.90
    assert district.wrong_rate <= 0.03
