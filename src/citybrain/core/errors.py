"""One error type for every rule that says no; the app turns it into a 4xx once."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal a person can understand: machine code, Chinese and English message."""

    def __init__(
        self,
        code: str,
        message: str,
        message_en: str,
        *,
        status: int = 400,
        **detail: Any,
    ) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message = message
        self.message_en = message_en
        self.status = status
        self.detail = detail

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "message_en": self.message_en,
        }
        if self.detail:
            body["detail"] = self.detail
        return body


def not_found(code: str, what_zh: str, what_en: str) -> DomainError:
    return DomainError(code, f"{what_zh}不存在", f"{what_en} not found", status=404)


def forbidden(code: str = "auth.forbidden") -> DomainError:
    return DomainError(code, "无权进行此操作", "You are not allowed to do this", status=403)
