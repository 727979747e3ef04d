"""Search by pinyin: "kfd" or "kaifandian" finds 开饭店, as residents type on a phone.

Each searchable entry (a service, a bundle, a place) is indexed under its Chinese names
and aliases, their full pinyin without tones and their initials; a query matches when it
is contained in any of those keys, and ranks by how well it matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Generic, TypeVar

from pypinyin import Style, lazy_pinyin

T = TypeVar("T")
_NOT_KEY = re.compile(r"[\s\-_·・,，.。/、()（）]+")


def normalise(text: str) -> str:
    return _NOT_KEY.sub("", text).lower()


@lru_cache(maxsize=20_000)
def keys_for(text: str) -> tuple[str, str, str]:
    """(the text, its full pinyin, its initials), all normalised."""
    syllables = lazy_pinyin(text, errors="default")
    initials = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")
    return normalise(text), normalise("".join(syllables)), normalise("".join(initials))


def score(query: str, names: Sequence[str]) -> int:
    """0 when ``query`` matches none of ``names``; higher is better."""
    wanted = normalise(query)
    if not wanted:
        return 0
    best = 0
    for position, name in enumerate(names):
        penalty = 0 if position == 0 else 5  # the official name beats an alias
        for key in keys_for(name):
            if key == wanted:
                best = max(best, 100 - penalty)
            elif key.startswith(wanted):
                best = max(best, 80 - penalty)
            elif wanted in key:
                best = max(best, 60 - penalty)
    return best


@dataclass
class PinyinIndex(Generic[T]):
    """A small in-memory index of entries under their names and aliases."""

    entries: list[tuple[T, tuple[str, ...]]] = field(default_factory=list)

    def add(self, item: T, names: Iterable[str]) -> None:
        clean = tuple(name for name in names if name)
        for name in clean:
            keys_for(name)  # warm the cache so searches stay cheap
        self.entries.append((item, clean))

    def search(self, query: str, limit: int = 20) -> list[T]:
        scored = [
            (score(query, names), position, item)
            for position, (item, names) in enumerate(self.entries)
        ]
        ranked = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], s[1]))
        return [item for _score, _position, item in ranked[:limit]]
