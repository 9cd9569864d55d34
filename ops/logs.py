"""JSON-lines logs with the request id, and a filter that keeps residents' numbers and codes out of them.

Every record leaves as one JSON object: time, level, logger, message, request_id (the web request, or
the request that enqueued the task), task_id and task_name inside Celery tasks.

`RedactFilter` is the last line of defence, not the first: code must not log personal data at all. It
masks mainland mobile numbers anywhere in a line, and every run of 4–8 digits in lines that talk about a
code or an SMS (the sign-in and verification codes).
"""

from __future__ import annotations

import logging
import re

from pythonjsonlogger.json import JsonFormatter

from .context import current_request_id

_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
_CODE_CONTEXT = re.compile(r"code|sms|验证码|短信|otp|token", re.IGNORECASE)
_CODE = re.compile(r"(?<!\d)\d{4,8}(?!\d)")


def redact(text: str) -> str:
    text = _PHONE.sub("[phone]", text)
    if _CODE_CONTEXT.search(text):
        text = _CODE.sub("[digits]", text)
    return text


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the caller's bug; leave it for the handler to show
            return True
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_text is None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class ContextFilter(logging.Filter):
    """Adds request_id (and, in a task, task_id / task_name) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        try:
            from celery import current_task

            task = current_task._get_current_object() if current_task else None
        except Exception:
            task = None
        if task is not None and getattr(task, "request", None) is not None and task.request.id:
            record.task_id = task.request.id
            record.task_name = task.name
        return True


class JsonLines(JsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", False)
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", *args, **kwargs)

    def formatException(self, ei):  # noqa: N802  (logging's name)
        return redact(super().formatException(ei))


def logging_config(level: str, json_lines: bool) -> dict:
    """The LOGGING dict: one console handler, JSON lines in production, redaction always."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "ops.logs.ContextFilter"},
            "redact": {"()": "ops.logs.RedactFilter"},
        },
        "formatters": {
            "json": {"()": "ops.logs.JsonLines"},
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["context", "redact"],
                "formatter": "json" if json_lines else "plain",
            }
        },
        "root": {"handlers": ["console"], "level": level},
    }
