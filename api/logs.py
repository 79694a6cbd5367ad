"""Log lines of `fuse serve` and `fuse worker`: one JSON object per line (or plain text), naming the
instance, activity, job and request they are about (engine.telemetry.log_context), and request ids.

FUSE_LOG_FORMAT=json (default) or text; FUSE_LOG_LEVEL=INFO (default), DEBUG, WARNING, ERROR.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import uuid
from datetime import datetime, timezone

from flask import Flask, g, request

from engine.telemetry.log_context import FIELDS, bind_log_context, current_log_context, unbind_log_context

REQUEST_ID_HEADER = "X-Request-ID"
FORMATS = ("json", "text")
# Attributes every LogRecord has: anything else on a record came from `extra=` and is logged too.
STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def context_fields(record: logging.LogRecord) -> dict:
    """The record's `extra` fields, with the log context filling in what they leave out."""
    fields = {k: v for k, v in vars(record).items() if k not in STANDARD_ATTRIBUTES and v is not None}
    for name, value in current_log_context().items():
        fields.setdefault(name, value)
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, then the context fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage(),
                 **context_fields(record)}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """Plain text for people at a terminal, with the context as key=value pairs after the message."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        fields = context_fields(record)
        ordered = [*(n for n in FIELDS if n in fields), *sorted(n for n in fields if n not in FIELDS)]
        return " ".join([super().formatMessage(record), *(f"{n}={fields[n]}" for n in ordered)])


def configure_logging(log_format: str | None = None, level: str | None = None, stream=None) -> logging.Handler:
    """Send every log record (Fuse's, handlers', waitress's) to stderr in the chosen format."""
    log_format = (log_format or os.environ.get("FUSE_LOG_FORMAT") or "json").lower()
    if log_format not in FORMATS:
        raise ValueError(f"FUSE_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    level_name = (level or os.environ.get("FUSE_LOG_LEVEL") or "INFO").upper()
    if not isinstance(logging.getLevelName(level_name), int):
        raise ValueError(f"FUSE_LOG_LEVEL {level_name!r} is not a log level (DEBUG, INFO, WARNING, ERROR)")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level_name)
    logging.captureWarnings(True)  # Python's warnings become log lines too, not bare stderr text
    # SpiffWorkflow logs every task state change at INFO: per-step noise, kept for DEBUG.
    logging.getLogger("spiff").setLevel(logging.DEBUG if level_name == "DEBUG" else logging.WARNING)
    return handler


def _begin_request() -> None:
    # A caller's id (a proxy's, a client's) is kept, so one id follows a request across services.
    g.request_id = (request.headers.get(REQUEST_ID_HEADER) or "")[:200] or uuid.uuid4().hex
    g.log_context_token = bind_log_context(request_id=g.request_id)


def _answer_with_request_id(response):
    if "request_id" in g:
        response.headers[REQUEST_ID_HEADER] = g.request_id
    return response


def _end_request(_error=None) -> None:
    token = g.pop("log_context_token", None)
    if token is not None:
        unbind_log_context(token)


def init_request_ids(app: Flask) -> None:
    """Give every request an id (X-Request-ID, kept if the caller sent one) for its log lines and response."""
    app.before_request(_begin_request)
    app.after_request(_answer_with_request_id)
    app.teardown_request(_end_request)
