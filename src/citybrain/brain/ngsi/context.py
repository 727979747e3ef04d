"""JSON-LD ``@context`` handling: expand short names to IRIs and compact them back.

Only what NGSI-LD needs of JSON-LD: term definitions, prefixes and ``@vocab``. The core
context is bundled; a remote context other than a core-context URL is never fetched
(the hub makes no outbound request to resolve names) and answers
``LdContextNotAvailable`` (504).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from citybrain.brain.ngsi.problems import NgsiError, ProblemType, bad_data

CORE_CONTEXT_URL = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
CORE_CONTEXT_URLS = frozenset(
    [
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
        *(
            f"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.{minor}.jsonld"
            for minor in range(0, 9)
        ),
    ]
)
DEFAULT_VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/"
LINK_REL = "http://www.w3.org/ns/json-ld#context"
MAX_TERMS = 2_000
_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def _definitions(raw: dict[str, Any]) -> tuple[dict[str, str], str | None]:
    """Term → IRI (prefixes not yet resolved) and ``@vocab`` of one context object."""
    terms: dict[str, str] = {}
    vocab: str | None = None
    if len(raw) > MAX_TERMS:
        raise bad_data(f"@context has more than {MAX_TERMS} terms")
    for term, definition in raw.items():
        if not isinstance(term, str):
            raise bad_data("@context terms must be strings")
        if term == "@vocab":
            if not isinstance(definition, str):
                raise bad_data("@vocab must be a string")
            vocab = definition
            continue
        if term.startswith("@"):
            continue
        if isinstance(definition, str):
            iri = definition
        elif isinstance(definition, dict) and isinstance(definition.get("@id"), str):
            iri = definition["@id"]
        elif definition is None:
            continue
        else:
            raise bad_data(f"@context term {term!r} has an unusable definition")
        terms[term] = iri
    return terms, vocab


@lru_cache(maxsize=1)
def _core() -> tuple[dict[str, str], str]:
    source = resources.files("citybrain.brain").joinpath("data/ngsi-ld-core-context-v1.8.jsonld")
    raw = json.loads(source.read_text(encoding="utf-8"))["@context"]
    terms, vocab = _definitions(raw)
    resolved = {term: _resolve_prefix(iri, terms) for term, iri in terms.items()}
    return resolved, vocab or DEFAULT_VOCAB


def _resolve_prefix(iri: str, terms: dict[str, str]) -> str:
    if iri.startswith("@") or "://" in iri:
        return iri
    prefix, colon, suffix = iri.partition(":")
    if colon and prefix in terms and not suffix.startswith("//"):
        return terms[prefix] + suffix
    return iri


@dataclass(frozen=True)
class Context:
    """A resolved context: user terms over the core terms, and a vocabulary."""

    terms: dict[str, str]
    vocab: str
    sources: tuple[Any, ...] = ()
    _reverse: dict[str, str] = field(default_factory=dict, compare=False)

    def expand(self, name: str) -> str:
        """The IRI of a term (attribute name, entity type) under this context."""
        iri = self.terms.get(name)
        if iri is not None:
            return iri
        if ":" in name:
            prefix, _, suffix = name.partition(":")
            if prefix in self.terms and not suffix.startswith("//"):
                return self.terms[prefix] + suffix
            if _ABSOLUTE.match(name):
                return name
        return self.vocab + name

    def compact(self, iri: str) -> str:
        """The shortest name of ``iri`` under this context (the IRI itself if none)."""
        term = self._reverse.get(iri)
        if term is not None:
            return term
        if iri.startswith(self.vocab) and len(iri) > len(self.vocab):
            return iri[len(self.vocab) :]
        return iri

    @property
    def is_core(self) -> bool:
        return not self.sources

    def as_jsonld(self) -> list[Any] | str:
        """The ``@context`` member to put in an ``application/ld+json`` body."""
        if not self.sources:
            return CORE_CONTEXT_URL
        return [*self.sources, CORE_CONTEXT_URL]


def _build(sources: tuple[Any, ...]) -> Context:
    core_terms, vocab = _core()
    user: dict[str, str] = {}
    kept: list[Any] = []  # the sources beyond the core context
    for source in sources:
        if isinstance(source, str):
            if source in CORE_CONTEXT_URLS:
                continue
            raise NgsiError(
                ProblemType.LdContextNotAvailable,
                f"The @context {source[:200]!r} cannot be retrieved: this hub fetches no "
                "remote context (only the bundled NGSI-LD core context is available); "
                "send the term definitions inline instead",
            )
        if isinstance(source, dict):
            terms, own_vocab = _definitions(source)
            kept.append(source)
            user.update(terms)
            if own_vocab:
                vocab = own_vocab
            continue
        raise bad_data("Each @context entry must be a URL or an object")
    merged = {**user}
    resolved = {
        term: _resolve_prefix(iri, {**core_terms, **merged}) for term, iri in merged.items()
    }
    terms = {**core_terms, **resolved}
    reverse: dict[str, str] = {}
    for term, iri in core_terms.items():
        if not iri.startswith("@"):
            reverse.setdefault(iri, term)
    for term, iri in resolved.items():
        reverse[iri] = term
    return Context(terms=terms, vocab=vocab, sources=tuple(kept), _reverse=reverse)


@lru_cache(maxsize=256)
def _cached(key: str) -> Context:
    return _build(tuple(json.loads(key)))


def resolve(raw: Any) -> Context:
    """The context for a ``@context`` value (URL, object or list of them), or the core."""
    if raw is None:
        return core_context()
    sources = raw if isinstance(raw, list) else [raw]
    if len(sources) > 50:
        raise bad_data("@context lists more than 50 entries")
    try:
        key = json.dumps(sources, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        raise bad_data("@context is not valid JSON") from None
    return _cached(key)


def core_context() -> Context:
    return _cached("[]")


def from_link_header(value: str | None) -> Context:
    """The context named by a ``Link: <url>; rel="http://www.w3.org/ns/json-ld#context"``."""
    if not value:
        return core_context()
    urls = []
    for match in _LINK.finditer(value):
        params = match.group(2).replace(" ", "")
        if f'rel="{LINK_REL}"' in params or f"rel={LINK_REL}" in params:
            urls.append(match.group(1))
    if not urls:
        return core_context()
    if len(urls) > 1:
        raise bad_data("More than one JSON-LD context Link header")
    return resolve(urls[0])


def link_header(context: Context) -> str:
    return f'<{CORE_CONTEXT_URL}>; rel="{LINK_REL}"; type="application/ld+json"'
