"""The q language and @context handling, without a database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citybrain.brain.ngsi import context as ld
from citybrain.brain.ngsi.problems import NgsiError, ProblemType
from citybrain.brain.ngsi.qlang import compile_q

CTX = ld.core_context()
V = "https://uri.etsi.org/ngsi-ld/default-context/"


def entity(**values: object) -> dict[str, dict[str, object]]:
    return {V + name: {"type": "Property", "value": value} for name, value in values.items()}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("a==1", True),
        ("a!=1", False),
        ('a>0;b=="x"', True),
        ('a>5|b=="x"', True),
        ('a>5;b=="x"|c', False),
        ('(a>5|b=="x");a<2', True),
        ("a==0..2", True),
        ("a==2..9", False),
        ("a!=2..9", True),
        ('b=="y","x"', True),
        ('b~="^x$"', True),
        ('b!~="^x$"', False),
        ("c", False),
        ("d[k][j]==3", True),
        ("d[k][z]==3", False),
        ("e==true", True),
        ('t>"2026-01-01T00:00:00Z"', True),
        ('a>"1"', False),  # a number is not ordered against text
    ],
)
def test_query_language(q: str, expected: bool) -> None:
    attrs = entity(a=1, b="x", d={"k": {"j": 3}}, e=True, t="2026-11-27T08:00:00Z")
    assert compile_q(q, CTX)(attrs) is expected


def test_sub_attributes_and_metadata() -> None:
    attrs = {
        V + "pm25": {
            "type": "Property",
            "value": 80,
            "unitCode": "GQ",
            V + "quality": {"type": "Property", "value": "checked"},
        }
    }
    assert compile_q('pm25.unitCode=="GQ"', CTX)(attrs)
    assert compile_q('pm25.quality=="checked"', CTX)(attrs)
    assert not compile_q("pm25.accuracy", CTX)(attrs)


@pytest.mark.parametrize(
    "q", ["", "a>>1", "(a==1", "a==1)", 'a=="x', "a==", "a>true", "a b", "(" * 40 + "a" + ")" * 40]
)
def test_malformed_queries_are_bad_request_data(q: str) -> None:
    with pytest.raises(NgsiError) as raised:
        compile_q(q, CTX)
    assert raised.value.problem is ProblemType.BadRequestData


@given(st.integers(-1000, 1000), st.integers(-1000, 1000))
def test_numeric_comparisons_agree_with_python(value: int, bound: int) -> None:
    attrs = entity(level=value)
    assert compile_q(f"level>{bound}", CTX)(attrs) is (value > bound)
    assert compile_q(f"level<={bound}", CTX)(attrs) is (value <= bound)
    assert compile_q(f"level=={bound}", CTX)(attrs) is (value == bound)


def test_context_expands_and_compacts() -> None:
    assert CTX.expand("location") == "https://uri.etsi.org/ngsi-ld/location"
    assert CTX.expand("pm25") == V + "pm25"
    assert CTX.compact(V + "pm25") == "pm25"
    assert CTX.expand("urn:x:y") == "urn:x:y"
    own = ld.resolve([{"sdm": "https://smartdatamodels.org/", "pm25": "sdm:pm25"}])
    assert own.expand("pm25") == "https://smartdatamodels.org/pm25"
    assert own.compact("https://smartdatamodels.org/pm25") == "pm25"
    assert own.expand("sdm:NO2") == "https://smartdatamodels.org/NO2"
    assert ld.resolve("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld").is_core


def test_remote_contexts_are_never_fetched() -> None:
    with pytest.raises(NgsiError) as raised:
        ld.resolve(["https://example.org/context.jsonld"])
    assert raised.value.status == 504
    assert raised.value.problem is ProblemType.LdContextNotAvailable
    with pytest.raises(NgsiError):
        ld.from_link_header(
            '<http://10.0.0.1/c.jsonld>; rel="http://www.w3.org/ns/json-ld#context"'
        )
