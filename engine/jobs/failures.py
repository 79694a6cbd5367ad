"""A job that could not run: tried again by its task's retry policy, then an incident - never forever.

Any exception while running a job counts as an attempt (a Conflict does not: the instance changed
meanwhile, and the job simply runs again on the new state). Tries and delays come from the task's
retry policy (camunda:failedJobRetryTimeCycle, else 3 tries 2 s and 4 s apart). After the last try
an incident opens on the job's task, as for a handler that ran out of tries, so that an admin can
retry or resolve it. Should the instance not even load, the incident is written alone and the job
is parked: locked by the incident (PARKED_BY) until someone retries it.

A timer start job belongs to a definition, not to an instance: it follows the retry policy of its
start event the same way, and after the last try it is parked at an incident of the definition
(instance_id None, definition_id set). Retrying it runs the firing again now; resolving it skips the
failed firing, and the schedule goes on with the next one.
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from SpiffWorkflow.util.task import TaskState

from bpmn.timer_schedules import following
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from engine.errors import Conflict
from engine.runtime.live import open_live_instance
from engine.runtime.observer import find_task
from engine.runtime.retry_policy import (
    DEFAULT_FIRST_DELAY,
    DEFAULT_TRIES,
    RetryPolicy,
    retry_policy,
)
from engine.runtime.saving import save_live_instance
from engine.runtime.service_calls import open_incident
from engine.store.models import Incident, Job, ProcessDefinition, utcnow
from engine.store.serialization import SPECS

log = logging.getLogger("fuse.worker")
DEFAULT_POLICY = RetryPolicy(DEFAULT_TRIES, DEFAULT_FIRST_DELAY, 2.0)
CONFLICT_DELAY = timedelta(seconds=1)
PARKED_BY = "incident:"  # + the incident id, in Job.locked_by
PARKED_UNTIL = datetime(9999, 1, 1)


def record_job_failure(session: Session, job_id: str, err: Exception) -> None:
    """Count the failed attempt and schedule the next one, or open an incident after the last;
    the caller rolled back the job's own work and commits this."""
    job = session.get(Job, job_id)
    if job is None:
        return
    error = f"{type(err).__name__}: {err}"[:2000]
    if isinstance(err, Conflict):
        _unlock(session, job, error, job.attempts, CONFLICT_DELAY)
        return
    attempts = job.attempts + 1
    policy = _policy(session, job)
    if attempts < policy.tries:
        log.warning("job failed on attempt %d of %d; it will run again: %s", attempts, policy.tries, error,
                    extra={"instance_id": job.instance_id, "definition_id": job.definition_id,
                           "activity_id": job.activity_id})
        _unlock(session, job, error, attempts, policy.delay_after(attempts))
    elif job.instance_id is None:
        message = f"the {job.kind} job failed {attempts} times: {error}"
        log.error("job failed %d times; an incident of its definition opens: %s", attempts, message,
                  extra={"definition_id": job.definition_id, "activity_id": job.activity_id})
        _park(session, job, message, attempts)
    else:
        _open_incident(session, job, f"the {job.kind} job failed {attempts} times: {error}", attempts)


def _unlock(session: Session, job: Job, error: str, attempts: int, delay: timedelta) -> None:
    session.execute(update(Job).where(Job.id == job.id).values(
        attempts=attempts, last_error=error, locked_by=None, locked_until=None, due_at=utcnow() + delay))


def _policy(session: Session, job: Job) -> RetryPolicy:
    """The retry policy of the job's task (the default when the task or its instance cannot be read)."""
    if job.instance_id is None:
        return _start_event_policy(session, job)
    try:
        task = find_task(open_live_instance(session, job.instance_id, lock=False).workflow, job.task_id)
        return retry_policy(task.task_spec.extensions) if task is not None else DEFAULT_POLICY
    except Exception:  # noqa: BLE001 - an unreadable instance is one more reason for the incident
        return DEFAULT_POLICY


def _start_event_policy(session: Session, job: Job) -> RetryPolicy:
    """The retry policy of a timer start job's start event (the default when its spec cannot be read)."""
    try:
        definition = session.get(ProcessDefinition, job.definition_id)
        spec, _ = SPECS.specs(definition.id, lambda: definition.spec_json)
        event = next(s for s in spec.task_specs.values() if getattr(s, "bpmn_id", None) == job.activity_id)
        return retry_policy(getattr(event, "extensions", None) or {})
    except Exception:  # noqa: BLE001 - an unreadable definition is one more reason for the incident
        return DEFAULT_POLICY


def _open_incident(session: Session, job: Job, error: str, attempts: int) -> None:
    """An incident on the job's task: marked in the instance where possible, else parked (see module)."""
    log.error("job failed %d times; an incident opens: %s", attempts, error,
              extra={"instance_id": job.instance_id, "activity_id": job.activity_id})
    try:
        with session.begin_nested():
            live = open_live_instance(session, job.instance_id)
            task = find_task(live.workflow, job.task_id)
            if task is not None and task.state == TaskState.READY:
                open_incident(task, error, live.history, live.row.id)
                save_live_instance(session, live)
                # The task now waits at the incident, for no job (a retry of the incident runs it).
                session.execute(delete(Job).where(Job.id == job.id))
                return
    except Exception:
        log.exception("the failed job's instance could not be marked; the job is parked at its incident")
    _park(session, job, error, attempts)


def _park(session: Session, job: Job, error: str, attempts: int) -> None:
    """An incident row of the job's instance (or, for a timer start, of its definition) that holds the job."""
    incident_id = str(uuid.uuid4())
    session.add(Incident(id=incident_id, instance_id=job.instance_id, task_id=job.task_id,
                         definition_id=job.definition_id if job.instance_id is None else None,
                         activity_id=job.activity_id, state="open", created_at=utcnow(), error=error))
    session.execute(update(Job).where(Job.id == job.id).values(
        attempts=attempts, last_error=error[:2000], locked_by=PARKED_BY + incident_id, locked_until=PARKED_UNTIL))


def unpark_job(session: Session, incident_id: str) -> bool:
    """Let the job parked at this incident run again now, with fresh tries; False if none is parked."""
    result = session.execute(update(Job).where(Job.locked_by == PARKED_BY + incident_id).values(
        attempts=0, locked_by=None, locked_until=None, due_at=utcnow()))
    return result.rowcount > 0


def skip_parked_firing(session: Session, incident_id: str) -> bool:
    """Resolve a timer start job's incident: its failed firing is skipped and the job waits for the next
    one of its schedule (or goes, when the schedule is used up); False if no such job is parked here."""
    job = session.scalars(select(Job).where(Job.locked_by == PARKED_BY + incident_id,
                                            Job.instance_id.is_(None))).one_or_none()
    if job is None:
        return False
    due = following(job.schedule or {}, job.due_at, utcnow())
    if due is None:
        session.delete(job)
        return True
    remaining = (job.schedule or {}).get("remaining", 1)
    job.schedule = {**(job.schedule or {}), "remaining": remaining - 1 if remaining > 0 else remaining}
    job.due_at, job.locked_by, job.locked_until, job.attempts = due, None, None, 0
    return True
