"""What a log line is about: the instance, activity, job and request being worked on, if any.

Set with `log_context(...)` where the work happens (running an instance, running a job, calling a
handler, an HTTP request); every log record made inside carries the values (see api.logs), without
passing them to each logger call.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

FIELDS = ("instance_id", "activity_id", "job_id", "request_id")
_current: ContextVar[dict] = ContextVar("fuse_log_context", default={})


def current_log_context() -> dict:
    """The fields set around the code running now (never mutate it)."""
    return _current.get()


def bind_log_context(**fields):
    """Add fields (None values are left out) until `unbind_log_context(token)`: for hooks that
    cannot wrap a block (Flask's)."""
    return _current.set({**_current.get(), **{k: v for k, v in fields.items() if v is not None}})


@contextmanager
def log_context(**fields):
    """Add fields (None values are left out) for the code run inside the block."""
    token = bind_log_context(**fields)
    try:
        yield
    finally:
        _current.reset(token)


def unbind_log_context(token) -> None:
    _current.reset(token)
