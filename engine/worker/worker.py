"""The worker: runs due jobs, in its own thread inside `fuse serve` or alone as `fuse worker`."""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from engine.worker.heartbeat import Heartbeat
from engine.worker.job_batch import run_batch
from engine.worker.job_runner import run_job
from engine.jobs.failures import record_job_failure
from engine.jobs.queue import DEFAULT_LOCK, JOBS_CREATED, acquire_jobs, claim_token
from engine.telemetry.log_context import log_context

log = logging.getLogger("fuse.worker")
DEFAULT_POLL_S = 0.5
# Jobs acquired (and run in one transaction, where they fit) at a time.
BATCH = 50


class Worker:
    """Polls for due jobs and runs them, as many as fit in one transaction (engine.worker.job_batch), the
    others each in a transaction of its own.

    Jobs are locked for `lock` and the locks renewed while the worker works on them (engine.worker.heartbeat):
    if the worker dies, its jobs run elsewhere about `lock` later.
    """

    def __init__(self, sessions: sessionmaker[Session], poll_interval: float = DEFAULT_POLL_S,
                 worker_id: str | None = None, batch: int = BATCH, lock: timedelta = DEFAULT_LOCK):
        self.sessions, self.poll_interval, self.batch, self.lock = sessions, poll_interval, batch, lock
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """Acquire and run what is due now; returns how many jobs ran."""
        token = claim_token(self.worker_id)
        with self.sessions() as session:
            job_ids = acquire_jobs(session, self.worker_id, self.batch, self.lock, token)
        if job_ids:
            with Heartbeat(self.sessions, token, self.lock):
                for job_id in self._run_batch(job_ids) if len(job_ids) > 1 else job_ids:
                    self._run(job_id)
        return len(job_ids)

    def _run_batch(self, job_ids: list[str]) -> list[str]:
        """Run what fits in one transaction (engine.worker.job_batch); the ids left to run one by one."""
        began = time.perf_counter()
        with self.sessions() as session:
            try:
                outcomes, left = run_batch(session, job_ids)
                session.commit()
            except Exception:  # noqa: BLE001 - nothing of the batch is written: each job runs alone and fails alone
                session.rollback()
                log.warning("a batch of jobs failed; running them one by one", exc_info=True)
                return job_ids
        duration_ms = round((time.perf_counter() - began) * 1000 / max(len(outcomes), 1), 3)
        for outcome in outcomes:
            with log_context(job_id=outcome.job_id):
                log.info("job ran", extra={"instance_id": outcome.instance_id, "duration_ms": duration_ms,
                                           "batch": len(outcomes)})
        return left

    def _run(self, job_id: str) -> None:
        began = time.perf_counter()
        with self.sessions() as session, log_context(job_id=job_id):
            try:
                outcome = run_job(session, job_id)
                session.commit()
            except Exception as err:  # noqa: BLE001 - a job's failure must not stop the worker
                session.rollback()
                log.exception("job failed")
                record_job_failure(session, job_id, err)
                session.commit()
                return
            log.info("job ran", extra={"instance_id": outcome.instance_id,
                                       "duration_ms": round((time.perf_counter() - began) * 1000, 3)})

    def run_forever(self) -> None:
        """Run jobs until stop() is called, sleeping between polls when there was nothing to do."""
        while not self._stop.is_set():
            try:
                ran = self.run_once()
            except Exception:  # noqa: BLE001 - e.g. the database is briefly unavailable
                log.exception("worker poll failed")
                ran = 0
            if not ran and not self._stop.is_set():
                # Sleep until the next poll, or until this process creates a job; the short second
                # wait lets the creating transaction commit first.
                if JOBS_CREATED.wait(self.poll_interval):
                    JOBS_CREATED.clear()
                    self._stop.wait(0.05)

    def start(self) -> "Worker":
        """Run in a daemon thread (the embedded worker of `fuse serve`)."""
        self._thread = threading.Thread(target=self.run_forever, name="fuse-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
