"""Operational logs: one line per message (latency, outcome), JSON on request, personal data masked.

`NONGBOT_LOG_FORMAT=json` prints one JSON object per line; openids and phone numbers are masked in every
record, and no message text is ever logged (errors name the message by its masked key).
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any

MESSAGE_LOG = logging.getLogger("nongbot.messages")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
# WeChat openids: 'o' and 27 letters, digits, '-' or '_' (test ones are shorter): an o-word of 10+ characters
# with a capital, digit, '-' or '_' in it (so English words like 'overloaded' stay).
_OPENID = re.compile(r"\bo(?=[A-Za-z0-9_-]*[A-Z0-9_-])[A-Za-z0-9_-]{9,}")


def mask(text: str) -> str:
    """Phone numbers as 138****8000, openids as their first 4 characters and ****."""
    text = _PHONE.sub(r"\1****\2", text)
    return _OPENID.sub(lambda m: m.group(0)[:4] + "****", text)


class MaskingFilter(logging.Filter):
    """Masks personal data in every record's rendered message (and drops its arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            rendered = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logged as it is
            return True
        record.msg, record.args = mask(rendered), None
        return True


def error_fields(exc_info: Any) -> dict[str, str]:
    """An exception as its type and where it was raised — never its message, which may quote the farmer."""
    kind, _, tb = exc_info
    where = ""
    while tb is not None:
        frame = tb.tb_frame
        where = f"{frame.f_code.co_filename.rsplit('/', 2)[-2:][-1]}:{tb.tb_lineno} in {frame.f_code.co_name}"
        tb = tb.tb_next
    return {"error": kind.__name__ if kind else "error", "at": where}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
                                "logger": record.name, "message": record.getMessage()}
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line.update(error_fields(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = f"{record.levelname}: {record.name}: {record.getMessage()}"
        fields = getattr(record, "fields", None)
        if fields:
            base += " " + " ".join(f"{key}={value}" for key, value in fields.items())
        if record.exc_info and record.exc_info[0]:
            base += " " + " ".join(f"{key}={value}" for key, value in error_fields(record.exc_info).items())
        return base


def configure(fmt: str = "text", level: int = logging.INFO) -> None:
    """Root logging for serve/worker: masked, one line per record, JSON when asked."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    MESSAGE_LOG.setLevel(level)


def message_line(kind: str, outcome: str, latency_s: float, openid: str, intent: str | None = None) -> None:
    """The per-message line: kind, outcome, latency; the openid masked, never the text."""
    if MESSAGE_LOG.isEnabledFor(logging.INFO):
        MESSAGE_LOG.info("message", extra={"fields": {"kind": kind, "outcome": outcome, "intent": intent,
                                                     "latency_ms": round(latency_s * 1000, 1),
                                                     "openid": mask(openid)}})
