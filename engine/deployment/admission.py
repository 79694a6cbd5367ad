"""How many compilations (validations and deployments) run at once; the rest are turned away at once.

Compiling is CPU work: threads add no speed, and every request thread busy compiling is one that cannot
answer /healthz or an ordinary call. A request that finds every slot taken gets ServerBusy (503 with
Retry-After) instead of waiting for one.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager

from engine.errors import ServerBusy

DEFAULT_CONCURRENT_COMPILES = 2
RETRY_AFTER_S = 5

_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}  # by configured size, so a changed setting takes effect


def concurrent_compiles() -> int:
    return max(1, int(os.environ.get("FUSE_MAX_CONCURRENT_COMPILES", DEFAULT_CONCURRENT_COMPILES)))


def _semaphore() -> threading.BoundedSemaphore:
    size = concurrent_compiles()
    with _lock:
        return _slots.setdefault(size, threading.BoundedSemaphore(size))


@contextmanager
def compile_slot():
    """Hold one of the FUSE_MAX_CONCURRENT_COMPILES slots for the block, or raise ServerBusy."""
    slots = _semaphore()
    if not slots.acquire(blocking=False):
        raise ServerBusy(f"{concurrent_compiles()} model compilation(s) are already running, the limit "
                         f"(FUSE_MAX_CONCURRENT_COMPILES); retry in {RETRY_AFTER_S} s", retry_after=RETRY_AFTER_S)
    try:
        yield
    finally:
        slots.release()
