"""The NGSI-LD query language (``q``, GS CIM 009 §4.9), parsed once, evaluated per entity.

``temperature>30;status=="open"|(level>=2..5)`` — ``;`` is AND and binds tighter than
``|`` (OR); parentheses group. Attribute paths: ``a`` (its value or object), ``a.b``
(sub-attribute ``b`` of ``a``, or ``observedAt``/``unitCode``), ``a[k][j]`` (inside a
structured value). Values: numbers, quoted strings, ``true``/``false``, date-times,
lists ``"a","b"``, ranges ``1..5``, URIs. ``~=`` / ``!~=`` match a regular expression.
An attribute alone tests that it exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from citybrain.brain.ngsi.context import Context
from citybrain.brain.ngsi.problems import bad_data

MAX_QUERY = 2_000
MAX_TERMS = 100
MAX_NESTING = 32
OPERATORS = ("!~=", "~=", "==", "!=", ">=", "<=", ">", "<")
_ATTR = re.compile(
    r"[A-Za-z_@][A-Za-z0-9_\-:#/@~]*(\.[A-Za-z_@][A-Za-z0-9_\-:#/@~]*)*(\[[^\]\[]+\])*"
)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
ATTRIBUTE_META = ("observedAt", "unitCode", "createdAt", "modifiedAt")

Matcher = Callable[[dict[str, dict[str, Any]]], bool]


@dataclass(frozen=True)
class Path:
    name: str  # expanded attribute IRI
    sub: str | None  # sub-attribute IRI or a meta key
    keys: tuple[str, ...]


def _split_top(text: str, separator: str) -> list[str]:
    """Split on ``separator`` outside quotes and parentheses."""
    parts, depth, quoted, start = [], 0, False, 0
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise bad_data("Unbalanced parentheses in q")
        elif char == separator and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    if quoted:
        raise bad_data("Unterminated string in q")
    if depth != 0:
        raise bad_data("Unbalanced parentheses in q")
    parts.append(text[start:])
    return parts


def _literal(token: str) -> Any:
    token = token.strip()
    if not token:
        raise bad_data("Missing value in q")
    if len(token) >= 2 and token[0] == '"' and token[-1] == '"':
        return token[1:-1]
    if token == "true":
        return True
    if token == "false":
        return False
    if _NUMBER.match(token):
        number = float(token)
        return (
            int(number)
            if number.is_integer() and "." not in token and "e" not in token.lower()
            else number
        )
    if any(char in token for char in '"()|;<>=!~'):
        raise bad_data(f"Malformed value {token[:40]!r} in q")
    return token  # a URI, date-time or bare word compares as text


def _path(text: str, ctx: Context) -> Path:
    if not _ATTR.fullmatch(text):
        raise bad_data(f"Malformed attribute path {text[:60]!r} in q")
    bracket = text.find("[")
    head, keys_text = (text, "") if bracket < 0 else (text[:bracket], text[bracket:])
    keys = tuple(re.findall(r"\[([^\]\[]+)\]", keys_text))
    name, dot, sub = head.partition(".")
    sub_iri = None
    if dot:
        sub_iri = sub if sub in ATTRIBUTE_META else ctx.expand(sub)
    return Path(ctx.expand(name), sub_iri, keys)


def _resolve(path: Path, attrs: dict[str, dict[str, Any]]) -> tuple[bool, Any]:
    body = attrs.get(path.name)
    if body is None:
        return False, None
    if path.sub is not None:
        node = body.get(path.sub)
        if node is None:
            return False, None
        body = node if isinstance(node, dict) else {"type": "Property", "value": node}
    if body.get("type") == "Relationship":
        value = body.get("object")
    elif body.get("type") == "LanguageProperty":
        value = body.get("languageMap")
    else:
        value = body.get("value")
    for key in path.keys:
        if not isinstance(value, dict) or key not in value:
            return False, None
        value = value[key]
    return True, value


def _comparable(left: Any, right: Any) -> bool:
    numbers = (int, float)
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool)
    if isinstance(left, numbers) and isinstance(right, numbers):
        return True
    return isinstance(left, str) and isinstance(right, str)


def _equal(value: Any, expected: Any) -> bool:
    if isinstance(value, list):
        return any(_equal(item, expected) for item in value)
    if not _comparable(value, expected):
        return False
    return bool(value == expected)


def _compare(op: str, value: Any, bound: Any) -> bool:
    if isinstance(value, list):
        return any(_compare(op, item, bound) for item in value)
    if not _comparable(value, bound):
        return False
    if op == ">":
        return bool(value > bound)
    if op == "<":
        return bool(value < bound)
    if op == ">=":
        return bool(value >= bound)
    return bool(value <= bound)


def _term(text: str, ctx: Context) -> Matcher:
    text = text.strip()
    if not text:
        raise bad_data("Empty term in q")
    if text.startswith("(") and text.endswith(")"):
        return _expression(text[1:-1], ctx)
    position, op = -1, ""
    quoted = False
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        if quoted:
            continue
        for candidate in OPERATORS:
            if text.startswith(candidate, index):
                position, op = index, candidate
                break
        if op:
            break
    if not op:
        path = _path(text, ctx)
        return lambda attrs: _resolve(path, attrs)[0]
    path = _path(text[:position].strip(), ctx)
    raw_value = text[position + len(op) :].strip()
    if op in ("~=", "!~="):
        pattern_text = raw_value[1:-1] if raw_value.startswith('"') else raw_value
        if len(pattern_text) > 256:
            raise bad_data("Pattern in q is too long")
        try:
            pattern = re.compile(pattern_text)
        except re.error as error:
            raise bad_data(f"Bad regular expression in q: {error}") from None
        negate = op == "!~="

        def match_pattern(attrs: dict[str, dict[str, Any]]) -> bool:
            found, value = _resolve(path, attrs)
            hit = found and isinstance(value, str) and pattern.search(value) is not None
            return hit != negate if found else negate

        return match_pattern
    if op in ("==", "!=") and ".." in raw_value and not raw_value.startswith('"'):
        low_text, _, high_text = raw_value.partition("..")
        low, high = _literal(low_text), _literal(high_text)
        negate = op == "!="

        def match_range(attrs: dict[str, dict[str, Any]]) -> bool:
            found, value = _resolve(path, attrs)
            if not found:
                return False
            inside = _compare(">=", value, low) and _compare("<=", value, high)
            return inside != negate

        return match_range
    if op in ("==", "!="):
        options = [_literal(part) for part in _split_top(raw_value, ",")]
        negate = op == "!="

        def match_equal(attrs: dict[str, dict[str, Any]]) -> bool:
            found, value = _resolve(path, attrs)
            if not found:
                return False
            hit = any(_equal(value, option) for option in options)
            return hit != negate

        return match_equal
    bound = _literal(raw_value)
    if isinstance(bound, bool):
        raise bad_data(f"Cannot order by a boolean in q ({op})")

    def match_order(attrs: dict[str, dict[str, Any]]) -> bool:
        found, value = _resolve(path, attrs)
        return found and _compare(op, value, bound)

    return match_order


def _expression(text: str, ctx: Context) -> Matcher:
    alternatives = []
    for alternative in _split_top(text, "|"):
        terms = [_term(part, ctx) for part in _split_top(alternative, ";")]
        alternatives.append(terms)
    if sum(len(terms) for terms in alternatives) > MAX_TERMS:
        raise bad_data(f"q has more than {MAX_TERMS} terms")

    def evaluate(attrs: dict[str, dict[str, Any]]) -> bool:
        return any(all(term(attrs) for term in terms) for terms in alternatives)

    return evaluate


def compile_q(text: str, ctx: Context) -> Matcher:
    """A predicate over an entity's attributes (expanded name → normalized body)."""
    if not text or not text.strip():
        raise bad_data("q is empty")
    if len(text) > MAX_QUERY:
        raise bad_data(f"q is longer than {MAX_QUERY} characters")
    if text.count("(") > MAX_NESTING:
        raise bad_data(f"q has more than {MAX_NESTING} parentheses")
    return _expression(text, ctx)


def attributes_of(text: str, ctx: Context) -> frozenset[str]:
    """The attribute IRIs a (valid) ``q`` expression reads."""
    names: set[str] = set()
    for alternative in _split_top(text, "|"):
        for term in _split_top(alternative, ";"):
            term = term.strip()
            if term.startswith("(") and term.endswith(")"):
                names |= attributes_of(term[1:-1], ctx)
                continue
            cut = min((term.find(op) for op in OPERATORS if op in term), default=len(term))
            names.add(_path(term[:cut].strip(), ctx).name)
    return frozenset(names)
