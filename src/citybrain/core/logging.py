"""Structured logs with personal data masked before any line is written."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from citybrain.core.ids import mask_id_number, mask_phone

ID_NUMBER_IN_TEXT = re.compile(r"(?<!\d)(\d{17}[\dXx])(?!\d)")
PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    """Mask every 身份证号 and mobile number found in ``text``."""
    text = ID_NUMBER_IN_TEXT.sub(lambda m: mask_id_number(m.group(1)), text)
    return PHONE_IN_TEXT.sub(lambda m: mask_phone("".join(m.groups())), text)


def _mask_event(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> Mapping[str, Any]:
    return {
        key: mask_text(value) if isinstance(value, str) else value for key, value in event.items()
    }


class MaskingFilter(logging.Filter):
    """Masks personal data in stdlib log records (uvicorn's access log included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(str(record.msg))
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(mask_text(a) if isinstance(a, str) else a for a in args)
        return True


def configure(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(message)s")
    for name in ("", "uvicorn", "uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskingFilter) for f in logger.filters):
            logger.addFilter(MaskingFilter())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _mask_event,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=True,
    )
