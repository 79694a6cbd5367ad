"""`fuse serve --workers N` as gunicorn runs it: N processes, each with `--threads` threads and a job worker.

`fuse serve` checks the database, binds the socket and then becomes gunicorn (api.serve_processes), handing over
what it decided through the environment: the socket's descriptor, the counts, the job lock, and a session secret
shared by every process (each process would otherwise sign cookies with its own). Gunicorn reads this module's
names that are its settings, and calls the hooks below.
"""
from __future__ import annotations

import logging
import os
import shutil
from datetime import timedelta

from gunicorn import glogging
from prometheus_client import multiprocess

from api.logs import configure_logging
from engine.store.db import open_database
from engine.worker.worker import Worker

# The names gunicorn reads (its settings), from what `fuse serve` put in the environment.
bind = [f"fd://{os.environ.get('FUSE_SERVE_FD', '3')}"]
workers = int(os.environ.get("FUSE_SERVE_WORKERS", "2"))
threads = int(os.environ.get("FUSE_SERVE_THREADS", "8"))
worker_class = "gthread"
proc_name = "fuse"
# Long polls hold a request up to FUSE_LONG_POLL_MAX_S; gthread's timeout is the worker's heartbeat, not a request's.
timeout = 30
graceful_timeout = 10
keepalive = 5
wsgi_app = "api.wsgi:app"

log = logging.getLogger("fuse.cli")


class FuseLogger(glogging.Logger):
    """Gunicorn's own lines go through Fuse's log handler (FUSE_LOG_FORMAT, FUSE_LOG_LEVEL) like every other line,
    so that a JSON log stays JSON. Requests are not logged one by one (Fuse logs what they change)."""

    def setup(self, cfg) -> None:
        for logger in (self.error_log, self.access_log):
            logger.handlers.clear()
            logger.propagate = True
        # Booting and reaping workers is routine: warnings and errors only.
        self.error_log.setLevel(logging.WARNING)
        self.access_log.disabled = True


logger_class = FuseLogger


def on_starting(server) -> None:
    configure_logging()


def when_ready(server) -> None:
    url = os.environ.get("FUSE_SERVE_URL", "")
    log.info(f"Fuse listening on {url}/ (API docs: {url}/api/docs, metrics: {url}/metrics) with {workers} "
             f"processes of {threads} threads" + ("" if _runs_jobs() else "; no embedded worker"))


def post_worker_init(worker) -> None:
    """Each process runs due jobs too (job claims are safe between processes), unless --no-worker."""
    if _runs_jobs():
        lock = timedelta(seconds=float(os.environ.get("FUSE_JOB_LOCK_SECONDS", "30")))
        worker.fuse_jobs = Worker(open_database(), lock=lock).start()


def worker_exit(server, worker) -> None:
    jobs = getattr(worker, "fuse_jobs", None)
    if jobs is not None:
        jobs.stop()


def child_exit(server, worker) -> None:
    # A process that is gone no longer reports its gauges; its counters and histograms stay in the sums.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    owned = os.environ.get("FUSE_SERVE_METRICS_DIR")
    if owned:
        shutil.rmtree(owned, ignore_errors=True)


def _runs_jobs() -> bool:
    return os.environ.get("FUSE_SERVE_JOBS", "1") == "1"
