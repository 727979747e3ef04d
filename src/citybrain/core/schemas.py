"""The one Pydantic base every schema derives from."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, field_validator


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        # PostgreSQL cannot store NUL in text; refuse it as bad input, not a 500.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("text must not contain NUL characters")
        return value


class ErrorOut(Schema):
    """Every 4xx body: a machine code and a message in Chinese and English."""

    code: str
    message: str
    message_en: str


MAX_DB_ID = 2_147_483_647
# A row id as it arrives in a body: positive and within a 32-bit integer column.
DbId = Annotated[int, Field(ge=1, le=MAX_DB_ID)]
# The same, as a path parameter.
IdPath = Annotated[int, Path(ge=1, le=MAX_DB_ID)]
