"""Running one job: release the task it holds and run the instance on (see engine.jobs.queue)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from SpiffWorkflow.util.task import TaskState

from bpmn.event_gateway import awaited_events
from engine.errors import Conflict, NotFound
from engine.events.messages import deliver_to_task
from engine.events.subscriptions import buffered_match, correlation_value
from engine.events.timer_starts import TIMER_START, fire_timer_start
from engine.runtime.async_boundaries import release
from engine.runtime.live import LiveInstance, claim_unchanged, open_live_instance
from engine.runtime.observer import find_task
from engine.runtime.saving import save_live_instance
from engine.runtime.timers import TIMER
from engine.store.models import Job, ProcessInstance
from engine.store.states import MESSAGE, InstanceState
from engine.telemetry.log_context import log_context


# Built once: every job runs it, and the ORM's bulk-delete layer costs more than the DELETE.
_DELETE_JOB = delete(Job.__table__).where(Job.__table__.c.id == bindparam("job_id"))


# Jobs with their instances (none for a timer start) in one statement: each instance is then in the session when
# its job opens it. One job, or a batch (engine.worker.job_batch).
JOBS_AND_INSTANCES = (select(Job, ProcessInstance).outerjoin(ProcessInstance, ProcessInstance.id == Job.instance_id)
                      .where(Job.id.in_(bindparam("job_ids", expanding=True))))


@dataclass
class JobOutcome:
    job_id: str
    instance_id: str | None
    ran: bool


def run_job(session: Session, job_id: str) -> JobOutcome:
    """Run one job in the caller's transaction: release its task and run the instance on.

    The instance is read and run WITHOUT its lock, so a slow handler does not block other writers
    (on SQLite, the whole database); the result is written only if nobody changed the instance
    meanwhile, otherwise the job is tried again (Conflict).
    """
    found = session.execute(JOBS_AND_INSTANCES, {"job_ids": [job_id]}).first()
    if found is None:
        raise NotFound(f"job {job_id} does not exist")
    job = found[0]
    with log_context(job_id=job_id, instance_id=job.instance_id):
        return _run(session, job)


@dataclass
class RanJob:
    """A job run on its instance in memory, nothing written yet: `waiting` when the task still waited for it
    (the instance then ran on and must be saved), else the job is stale and only goes."""

    job: Job
    live: LiveInstance
    waiting: bool


def run_in_memory(session: Session, job: Job) -> RanJob:
    """Release the job's task and run its instance on, read WITHOUT its lock; nothing is written."""
    live = open_live_instance(session, job.instance_id, lock=False)
    task = find_task(live.workflow, job.task_id)
    waiting = task is not None and live.state == InstanceState.ACTIVE and not (
        job.kind == TIMER and task.state != TaskState.WAITING)
    if waiting:
        if job.kind == MESSAGE:
            waiting = _hand_over_buffered_message(session, job, live, task)
        else:
            release(task)
            live.history.record("job_executed", activity_id=job.activity_id, actor="worker",
                                data={"kind": job.kind, "attempt": job.attempts + 1})
            live.run(actor="worker")
    return RanJob(job, live, waiting)


def claim_for(session: Session, ran: RanJob) -> bool:
    """The first write of a job: claim its instance if unchanged since read (False if not), and delete the job
    with it, before the save steps make the instance's jobs again."""
    if not claim_unchanged(session, ran.live.row):
        return False
    session.connection().execute(_DELETE_JOB, {"job_id": ran.job.id})
    return True


def _run(session: Session, job: Job) -> JobOutcome:
    if job.kind == TIMER_START:
        return JobOutcome(job.id, fire_timer_start(session, job), True)
    ran = run_in_memory(session, job)
    claim = partial(claim_for, session, ran)
    if not (save_live_instance(session, ran.live, claim) if ran.waiting else claim()):
        raise Conflict(f"instance {job.instance_id} changed while job {job.id} ran; it will run again")
    return JobOutcome(job.id, job.instance_id, ran.waiting)


def _hand_over_buffered_message(session: Session, job: Job, live: LiveInstance, task) -> bool:
    """Give a waiting task the buffered message it subscribed to (if it has not expired meanwhile)."""
    # The job names the element that subscribed: the task, or a catch event after an event-based gateway.
    name = next((d.name for d, activity_id in awaited_events(task) if activity_id == job.activity_id),
                getattr(task.task_spec.event_definition, "name", None))
    message = buffered_match(session, name, live.row.business_key, correlation_value(live, task, name))
    if message is None:
        return False
    session.delete(message)
    live.history.record("message_received", activity_id=job.activity_id, actor="worker",
                        data={"name": name, "variables": message.variables, "buffered_since": message.created_at.isoformat()})
    live.run(lambda: deliver_to_task(task, name, message.variables), actor="worker")
    return True
