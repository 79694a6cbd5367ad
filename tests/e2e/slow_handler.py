"""A slow service-task handler for the worker-crash tests, loaded into `fuse worker` processes with
FUSE_HANDLERS=slow=e2e.slow_handler:slow (and `tests/` on PYTHONPATH).

Each call first appends a line to the file named by FUSE_TEST_HANDLER_LOG (so a test sees that it
started, in whichever process), then sleeps FUSE_TEST_HANDLER_SLEEP seconds, then counts one charge.
"""
from __future__ import annotations

import os
import time

LOG = "FUSE_TEST_HANDLER_LOG"
SLEEP = "FUSE_TEST_HANDLER_SLEEP"


def slow(inputs: dict, context) -> dict:
    """Note the start, take its time, and return the charge count plus one."""
    with open(os.environ[LOG], "a", encoding="utf-8") as log:
        log.write(f"pid={os.getpid()} instance={context.instance_id} attempt={context.attempt}\n")
    time.sleep(float(os.environ.get(SLEEP, "0")))
    return {"charges": (inputs.get("charges") or 0) + 1}
