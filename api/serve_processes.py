"""Serving from several processes: `fuse serve --workers N` binds the socket and then becomes gunicorn.

One Python process runs Python code on one core at a time, so a server that is to use every core needs a process
per core. The socket is bound here, before anything else happens, so that a taken port is the same one-line error
as with one process; gunicorn takes it over by its descriptor. The process is replaced (exec) rather than run
in-process because Prometheus's multi-process mode must be chosen before its metrics are created, which importing
Fuse already did here.
"""
from __future__ import annotations

import os
import secrets
import socket
import sys
import tempfile
from typing import NoReturn


def usable_cores() -> int:
    """The cores this process may run on (a container's or taskset's limit, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def serving_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket listening on host:port that a child process can inherit; OSError if it cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.create_server((host, port), family=family, backlog=2048)
    listening.set_inheritable(True)
    return listening


def become_gunicorn(listening: socket.socket, url: str, *, workers: int, threads: int, jobs: bool,
                    job_lock_s: float) -> NoReturn:
    """Replace this process by gunicorn serving api.wsgi from `workers` processes (api.gunicorn_config)."""
    env = {**os.environ,
           "FUSE_SERVE_FD": str(listening.fileno()), "FUSE_SERVE_URL": url,
           "FUSE_SERVE_WORKERS": str(workers), "FUSE_SERVE_THREADS": str(threads),
           "FUSE_SERVE_JOBS": "1" if jobs else "0", "FUSE_JOB_LOCK_SECONDS": str(job_lock_s)}
    # Every process signs and reads the same session cookies; without FUSE_SECRET_KEY sessions still end with
    # the server, as with one process.
    env.setdefault("FUSE_SECRET_KEY", secrets.token_hex(32))
    if not env.get("PROMETHEUS_MULTIPROC_DIR"):
        # GET /metrics sums what every process counted (api.metrics); the folder goes when gunicorn exits.
        env["PROMETHEUS_MULTIPROC_DIR"] = env["FUSE_SERVE_METRICS_DIR"] = tempfile.mkdtemp(prefix="fuse-metrics-")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "gunicorn", "--config", "python:api.gunicorn_config"], env)
