"""Every setting and every command is documented."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from citybrain.config import Settings

DOCS = Path(__file__).resolve().parent.parent / "docs"


def setting_names(model: type[BaseModel], prefix: str = "") -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names += setting_names(annotation, f"{prefix}{name.upper()}__")
        else:
            assert field.description, f"{prefix}{name} has no description"
            names.append(f"CITYBRAIN_{prefix}{name.upper()}")
    return names


def test_every_setting_is_in_the_settings_page() -> None:
    page = (DOCS / "settings.md").read_text(encoding="utf-8")
    missing = [name for name in setting_names(Settings) if f"`{name}`" not in page]
    assert not missing


def test_every_command_is_in_the_cli_page() -> None:
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    for command in (
        "serve",
        "migrate",
        "demo load",
        "users create",
        "calendar load",
        "calendar show",
        "audit verify",
    ):
        assert f"citybrain {command}" in page, command
