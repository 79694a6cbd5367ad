"""Pre-forked evaluator processes, for scripts whose work no in-process guard can bound.

One C call (`math.lcm(*range(1, 200000))`, `'a'.ljust(10**9)`) holds the GIL for seconds or takes
gigabytes, freezing every thread of the server. Such code runs in a worker process instead: it has
an address-space limit (RLIMIT_AS) and a CPU-time limit (RLIMIT_CPU), and the server, which waits
on a pipe without holding the GIL, kills it when its deadline passes and starts a fresh one.
Workers are plain child processes (not multiprocessing's, which re-imports the server's main
module in each child) speaking length-prefixed messages over their stdin and stdout; one starts
in about 0.1 s and serves request after request. A request costs one round trip of the task
data: pickled there, and back through an unpickler that builds plain data types only, since the
worker runs untrusted code.
"""
from __future__ import annotations

import io
import os
import pickle
import subprocess
import threading
from multiprocessing.connection import Connection
from typing import Any

from engine.scripting.errors import ScriptError, ScriptTimeout

GRACE_S = 0.5                       # beyond the time limit, before a worker is killed
MAX_REPLY_BYTES = 64 * 1024 * 1024  # the largest result a worker may send back

# What a reply may be built of: builtins' containers and the value types task data holds.
_ALLOWED = {
    ("builtins", name) for name in ("set", "frozenset", "complex", "bytearray", "range", "slice")
} | {
    ("datetime", name) for name in ("datetime", "date", "time", "timedelta", "timezone")
} | {("decimal", "Decimal"), ("zoneinfo", "ZoneInfo._unpickle"), ("collections", "OrderedDict")}


class _PlainDataUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"a value of type {module}.{name} cannot be kept")
        return super().find_class(module, name)


def plain_loads(data: bytes) -> Any:
    """Unpickle what a worker sent: plain data only, never a reference to code."""
    return _PlainDataUnpickler(io.BytesIO(data)).load()



class _Worker:
    def __init__(self, command: list[str]):
        # stdin/stdout are the message pipes; stderr stays the server's, for a crash's traceback.
        # Our own pipes, so that the Connections alone own (and close) the server's ends.
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        try:
            self.process = subprocess.Popen(command, stdin=request_read, stdout=reply_write)
        finally:
            os.close(request_read)
            os.close(reply_write)
        self.requests = Connection(request_write, readable=False)
        self.replies = Connection(reply_read, writable=False)

    def ask(self, request: bytes, timeout: float) -> bytes:
        try:
            self.requests.send_bytes(request)
        except OSError:    # it died since its last request
            raise ScriptError("script evaluator stopped unexpectedly; try again") from None
        if not self.replies.poll(timeout):
            raise ScriptTimeout(f"script ran longer than {timeout - GRACE_S} s")
        try:
            return self.replies.recv_bytes(MAX_REPLY_BYTES)
        except EOFError:   # killed by its own CPU or memory limit
            raise ScriptError("script was stopped: it passed its memory or CPU-time limit") from None
        except OSError:    # the reply is longer than MAX_REPLY_BYTES
            raise ScriptError("script left more data than can be kept") from None

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=5)
        self.requests.close()
        self.replies.close()


class EvaluatorPool:
    """Up to `size` worker processes, each started with `command`, reading a pickled request
    from stdin and writing a pickled reply to stdout (multiprocessing.connection framing);
    requests beyond `size` at once wait for a worker."""

    def __init__(self, command: list[str], size: int):
        self._command, self._size = command, max(1, size)
        self._idle: list[_Worker] = []
        self._started = 0
        self._changed = threading.Condition()

    def ask(self, request: Any, time_limit: float) -> Any:
        """Send `request` to a worker; its reply, or ScriptTimeout/ScriptError if the worker had to
        be killed or died."""
        payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        worker = self._acquire()
        try:
            reply = worker.ask(payload, time_limit + GRACE_S)
        except BaseException:
            self._discard(worker)
            raise
        self._release(worker)
        try:
            return plain_loads(reply)
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as err:
            raise ScriptError(f"script left a value that cannot be kept ({err})") from None

    def close(self) -> None:
        with self._changed:
            for worker in self._idle:
                worker.stop()
            self._idle.clear()

    def _acquire(self) -> _Worker:
        with self._changed:
            while not self._idle and self._started >= self._size:
                self._changed.wait()
            if self._idle:
                return self._idle.pop()
            self._started += 1
        try:
            return _Worker(self._command)
        except BaseException:
            self._discard(None)
            raise

    def _release(self, worker: _Worker) -> None:
        with self._changed:
            self._idle.append(worker)
            self._changed.notify()

    def _discard(self, worker: _Worker | None) -> None:
        if worker is not None:
            worker.stop()
        with self._changed:
            self._started -= 1
            self._changed.notify()
