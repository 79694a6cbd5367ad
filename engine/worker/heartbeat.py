"""While a worker runs the jobs it acquired, a thread renews their locks, so they stay its own however
long they take, and come back to other workers soon after it dies (a crash stops the renewals)."""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from engine.jobs.queue import renew_job_locks

log = logging.getLogger("fuse.worker")
# Renewals per lock length: two can be missed (a slow database) before the lock runs out.
BEATS_PER_LOCK = 3


class Heartbeat:
    """`with Heartbeat(sessions, token, lock):` renews the locks of `token` every lock / 3 until the block ends."""

    def __init__(self, sessions: sessionmaker[Session], token: str, lock: timedelta):
        self.sessions, self.token, self.lock = sessions, token, lock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="fuse-worker-heartbeat", daemon=True)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.lock.total_seconds() / BEATS_PER_LOCK):
            try:
                with self.sessions() as session:
                    renew_job_locks(session, self.token, self.lock)
                    session.commit()
            except Exception:  # noqa: BLE001 - e.g. the database is briefly unavailable; the next beat retries
                log.exception("renewing job locks failed")
