"""Every GET of the API answers a NUL or other control character in a text parameter with
a 4xx, never a 500 (PostgreSQL cannot store NUL; responses refuse to echo it)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.core.security import Role
from tests.factories.identity import auth_headers, make_staff

ODD_TEXT = ("\x00", "a\x07b")


def _text_query_params(operation: dict[str, Any]) -> list[str]:
    names = []
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        kinds = {schema.get("type")} | {part.get("type") for part in schema.get("anyOf", [])}
        if parameter.get("in") == "query" and "string" in kinds and "enum" not in schema:
            names.append(parameter["name"])
    return names


def test_no_get_answers_a_control_character_with_a_server_error(
    client: TestClient, session: Session
) -> None:
    headers = auth_headers(client, make_staff(session, Role.admin))
    checked = 0
    for path, item in client.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        operation = item.get("get")
        if operation is None or "stream" in path:
            continue
        url = path.replace("{", "").replace("}", "")  # path parameters: their own names
        for name in _text_query_params(operation):
            for text in ODD_TEXT:
                answer = client.get(url, params={name: text}, headers=headers)
                assert answer.status_code < 500, f"GET {path}?{name}={text!r}: {answer.text}"
                checked += 1
    assert checked > 20


def test_a_nul_in_a_login_form_is_a_clear_refusal(client: TestClient) -> None:
    for url in ("/api/v1/auth/token", "/login"):
        answer = client.post(url, data={"username": "ad\x00min", "password": "x\x00y"})
        assert 400 <= answer.status_code < 500, f"POST {url}: {answer.text}"
