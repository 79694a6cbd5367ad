"""The errors the engine raises; `api/errors.py` maps each to one problem+json `type`."""
from __future__ import annotations

from bpmn.errors import ElementProblem


class FuseError(Exception):
    """Base of every error Fuse reports to a caller (never a stack trace)."""

    problem = "about:blank"
    title = "Error"
    status = 500

    def __init__(self, detail: str, **extra):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class BadRequest(FuseError):
    problem, title, status = "bad-request", "Bad request", 400


class MalformedXml(BadRequest):
    """The file is not well-formed (or hostile) XML; names the file, line and column."""

    problem, title = "malformed-xml", "Malformed XML"

    def __init__(self, detail: str, *, file: str, line: int | None, column: int | None):
        super().__init__(detail, file=file, line=line, column=column)


class Unauthorized(FuseError):
    problem, title, status = "unauthorized", "Unauthorized", 401


class Forbidden(FuseError):
    problem, title, status = "forbidden", "Forbidden", 403


class NotFound(FuseError):
    problem, title, status = "not-found", "Not found", 404


class Conflict(FuseError):
    problem, title, status = "conflict", "Conflict", 409


class TaskNotOpen(Conflict):
    """A user task that is no longer open (completed or cancelled) was to be worked on."""


class NotLockHolder(Conflict):
    """An external task is not locked by the worker that acts on it (another holds it, or the lock ran out)."""


class NoRecipient(NotFound):
    """A message nobody waits for and no process starts with."""


class SeveralRecipients(Conflict):
    """A message meant for one instance that several wait for; `count` says how many."""

    def __init__(self, detail: str, *, count: int):
        super().__init__(detail)
        self.count = count


class InvalidModel(FuseError):
    """The upload parsed as XML but cannot be run; lists every element at fault."""

    problem, title, status = "invalid-model", "Invalid model", 422

    def __init__(self, detail: str, errors: list[ElementProblem]):
        super().__init__(detail, errors=[e.as_dict() for e in errors])
        self.errors = errors


class ValidationFailed(FuseError):
    """Request data is well-formed but not acceptable (e.g. wrong variable types)."""

    problem, title, status = "validation-failed", "Validation failed", 422


class InvalidValue(ValidationFailed):
    """A value that cannot be stored: not JSON, NaN, self-referring, too deep, or NUL in a text field."""

    problem, title = "invalid-value", "Invalid value"


class VariableTooLarge(FuseError):
    """A variable, or all of an instance's variables, over the configured size limit."""

    problem, title, status = "variable-too-large", "Variable too large", 413


class UnsafeModelFile(FuseError):
    """A model file in a format that runs code when it is loaded (a pickle), sent where only data is accepted."""

    problem, title, status = "unsafe-model-file", "Unsafe model file", 422

    def __init__(self, detail: str, *, file: str):
        super().__init__(detail, file=file)


class ModelTooLarge(FuseError):
    """An uploaded model is over a size limit the operator sets; `limit` names the setting."""

    problem, title, status = "model-too-large", "Model too large", 413


class ModelTooComplex(FuseError):
    """Compiling an upload took longer than the operator allows (FUSE_COMPILE_TIMEOUT_S)."""

    problem, title, status = "compile-timeout", "Model takes too long to compile", 422


class ServerBusy(FuseError):
    """As many compilations as the server allows are running; the caller retries after `retry_after` s."""

    problem, title, status = "server-busy", "Server busy", 503

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail, retry_after=retry_after)
        self.retry_after = retry_after


class StepUpRequired(Forbidden):
    """The person may work on the task but has not shown enough (a fresh sign-in, a second factor, a group,
    a policy's allow); `missing` lists what, the API adds where to sign in again for it."""

    problem, title = "step-up-required", "Step-up required"

    def __init__(self, detail: str, *, task_id: str, missing: list[dict]):
        super().__init__(detail, missing=missing)
        self.task_id, self.missing = task_id, missing
