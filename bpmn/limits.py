"""How much work one upload may ask of the compiler: its bytes, its elements and its seconds.

Compiling is linear in the model (tests/bpmn/test_compile_scaling.py), so these bound the time of every
validation and deployment. The deadline is cooperative: the compiler's loops call check_deadline(), which
raises CompileTimeout once the deadline of the compilation running on this thread has passed.
"""
from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager

from bpmn.errors import CompileTimeout

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# A 50,000-task chain (each task with its script) is about 150,000 elements and compiles in seconds.
DEFAULT_MAX_ELEMENTS = 200_000
DEFAULT_COMPILE_SECONDS = 60.0

_current = threading.local()  # the deadline (time.monotonic) of the compilation running on this thread


def max_model_bytes() -> int:
    return int(os.environ.get("FUSE_MAX_MODEL_BYTES", DEFAULT_MAX_BYTES))


def max_model_elements() -> int:
    return int(os.environ.get("FUSE_MAX_MODEL_ELEMENTS", DEFAULT_MAX_ELEMENTS))


def compile_seconds() -> float:
    return float(os.environ.get("FUSE_COMPILE_TIMEOUT_S", DEFAULT_COMPILE_SECONDS))


@contextmanager
def compile_deadline(seconds: float | None = None):
    """Compilations on this thread inside the block stop with CompileTimeout after `seconds`
    (FUSE_COMPILE_TIMEOUT_S by default); a nested block keeps the earlier deadline."""
    seconds = compile_seconds() if seconds is None else seconds
    outer = getattr(_current, "deadline", None)
    _current.deadline, _current.seconds = time.monotonic() + seconds, seconds
    if outer is not None:
        _current.deadline = min(outer, _current.deadline)
    try:
        yield
    finally:
        _current.deadline = outer


def check_deadline() -> None:
    """Raise CompileTimeout if the compilation running on this thread is past its deadline."""
    deadline = getattr(_current, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        raise CompileTimeout(_current.seconds)
