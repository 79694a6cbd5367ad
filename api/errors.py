"""Every error leaves as application/problem+json with a stable `type`; never a stack trace."""
from __future__ import annotations

import logging
from typing import Callable

from flask import Flask, has_request_context, jsonify, request
from marshmallow import ValidationError
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from api.extensions import db
from api.step_up import reauthenticate_url
from engine.errors import FuseError, StepUpRequired

log = logging.getLogger("fuse.api")
PROBLEM_JSON = "application/problem+json"
STRING_TOO_LONG = "22001"  # SQLSTATE string_data_right_truncation: a value longer than its varchar column


def problem_type(slug: str) -> str:
    return f"urn:fuse:problem:{slug}"


# Path prefixes whose clients expect another error body (e.g. /engine-rest: Camunda 7's), with what writes it:
# render(status, slug, detail, extra) -> response. Every error below goes through problem(), so one entry
# covers the views, authentication, rate limits and unknown routes under the prefix alike.
ERROR_DIALECTS: dict[str, Callable] = {}


def problem(status: int, slug: str, title: str, detail: str, **extra):
    if has_request_context():
        for prefix, render in ERROR_DIALECTS.items():
            if request.path == prefix or request.path.startswith(prefix + "/"):
                return render(status, slug, detail, extra)
    body = {"type": problem_type(slug), "title": title, "status": status, "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.content_type = PROBLEM_JSON
    return response


def _fuse_error(err: FuseError):
    db.session.rollback()
    extra = dict(err.extra)
    if isinstance(err, StepUpRequired):
        extra["reauthenticate"] = reauthenticate_url(err)
    response = problem(err.status, err.problem, err.title, err.detail, **extra)
    if (retry_after := err.extra.get("retry_after")) is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _invalid_request(err: ValidationError):
    db.session.rollback()
    messages = err.normalized_messages()
    named = ", ".join(sorted(str(name) for name in messages)) if isinstance(messages, dict) else ""
    detail = "the request does not match the expected shape" + (f" (see {named})" if named else "")
    return problem(400, "bad-request", "Bad request", detail, errors=messages)


def _http_error(err: HTTPException):
    db.session.rollback()
    slug = {404: "not-found", 405: "method-not-allowed", 413: "too-large"}.get(err.code, "http-error")
    response = problem(err.code or 500, slug, err.name, err.description or err.name)
    # What werkzeug would have sent besides its HTML body: Allow on a 405 (RFC 9110 requires it), and so on.
    for name, value in err.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _database_busy(err: OperationalError):
    db.session.rollback()
    if "locked" in str(err).lower() or "deadlock" in str(err).lower():
        return problem(409, "conflict", "Conflict", "the instance is busy with another change; retry")
    return _unexpected(err)


def _data_refused(err: DataError):
    db.session.rollback()
    if "NUL (0x00)" in str(err):
        # psycopg refuses it before sending anything: a text field of the request held a NUL character.
        return problem(422, "invalid-value", "Invalid value", "a text value must not contain a NUL character (\\u0000)")
    if getattr(err.orig, "sqlstate", None) == STRING_TOO_LONG:
        # The schemas bound what they know goes into a text column; this is the net under what they miss.
        return problem(422, "invalid-value", "Invalid value", "a text value is longer than Fuse can store")
    return _unexpected(err)


def _unexpected(err: Exception):
    log.exception("unexpected error")
    db.session.rollback()
    return problem(500, "internal-error", "Internal error",
                   f"an unexpected {type(err).__name__} occurred; it has been logged")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(FuseError, _fuse_error)
    app.register_error_handler(ValidationError, _invalid_request)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_busy)
    app.register_error_handler(DataError, _data_refused)
    app.register_error_handler(Exception, _unexpected)
