"""The durable job table: creating jobs for waiting tasks and acquiring due ones (a failed one: engine.jobs.failures).

Jobs are claimed with a lock that expires (a crashed worker's jobs come back) by one UPDATE that
re-checks the lock in its own WHERE clause, so two workers never hold the same job, on SQLite
(one writer at a time) and on PostgreSQL (the row lock makes the second UPDATE re-read the row).
The lock is short and a live worker renews it while it works (a heartbeat, renew_job_locks), so
a dead worker's jobs are taken over within about one lock's length, however long jobs take.
"""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta

from sqlalchemy import and_, bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from engine.runtime.async_boundaries import held_tasks, job_for
from engine.runtime.live import LiveInstance
from engine.store.claiming import claimable
from engine.store.models import Job, ProcessInstance, utcnow
from engine.runtime.observer import all_workflows
from engine.store.states import MESSAGE, InstanceState
from engine.runtime.timers import TIMER, timer_due, waiting_timers

DEFAULT_LOCK = timedelta(seconds=30)
# Set when a job is created in this process, so an idle embedded worker polls at once.
JOBS_CREATED = threading.Event()


# Built once: an instance that ends in a job (a timer's run, say) sends it, and the ORM costs more than the DELETE.
_DELETE_INSTANCE_JOBS = delete(Job.__table__).where(Job.__table__.c.instance_id == bindparam("ended_id"))


def sync_jobs(session: Session, live: LiveInstance) -> None:
    """A job for every task that waits for one (async boundary, retry, timer); none once ended.

    Called on every save, so it touches the table only when there is something to do: jobs to
    add, or tasks that stopped waiting (a timer fired during a command, a task cancelled by an
    interrupting event or a terminate end event) whose jobs must go.
    """
    if live.state.is_ended:
        if live.observer.waits_ended or live.state == InstanceState.TERMINATED:
            session.connection().execute(_DELETE_INSTANCE_JOBS, {"ended_id": live.row.id})
        return
    wanted = [(task, *job_for(task)) for task in held_tasks(all_workflows(live.workflow))]
    wanted += [(task, TIMER, due) for task in waiting_timers(live.workflow) if (due := timer_due(task))]
    if not wanted and not live.observer.waits_ended:
        return
    rows = session.execute(select(Job.id, Job.task_id, Job.kind).where(Job.instance_id == live.row.id)).all()
    wanted_ids = {str(task.id) for task, _, _ in wanted}
    # A MESSAGE job hands a buffered message to a task that waits for no job of its own.
    if stale := [row.id for row in rows if row.task_id not in wanted_ids and row.kind != MESSAGE]:
        session.execute(delete(Job).where(Job.id.in_(stale)))
    existing = {row.task_id for row in rows}
    for task, kind, due in wanted:
        if str(task.id) not in existing:
            JOBS_CREATED.set()  # wakes an embedded worker early (it re-checks after the commit anyway)
            session.add(Job(id=str(uuid.uuid4()), instance_id=live.row.id, kind=kind, task_id=str(task.id),
                            activity_id=task.task_spec.bpmn_id, due_at=due, attempts=0, created_at=utcnow()))


def _unlocked(now):
    return or_(Job.locked_until.is_(None), Job.locked_until < now)


def runnable(query, now):
    """`query` (over jobs) narrowed to the jobs a worker may take now: due, unlocked, and of an active
    instance, or timer start jobs (they belong to a definition, not an instance)."""
    return (query.outerjoin(ProcessInstance, ProcessInstance.id == Job.instance_id)
            .where(Job.due_at <= now, _unlocked(now),
                   or_(ProcessInstance.state == InstanceState.ACTIVE.value, Job.instance_id.is_(None))))


def claim_token(worker_id: str) -> str:
    """What one acquisition's jobs are locked by: the worker, and a random part of its own."""
    return f"{worker_id}:{uuid.uuid4().hex[:8]}"


def acquire_jobs(session: Session, worker_id: str, limit: int = 10, lock: timedelta = DEFAULT_LOCK,
                 token: str | None = None) -> list[str]:
    """Lock up to `limit` due jobs (of active instances, or timer starts) for this worker, by `token`
    (see claim_token; renew_job_locks extends them by it); returns their ids (committed)."""
    now = utcnow()
    free = _unlocked(now)
    due = runnable(select(Job.id), now).order_by(Job.due_at).limit(limit)
    token = token or claim_token(worker_id)
    chosen = claimable(session, due, Job)
    session.execute(update(Job).where(and_(Job.id.in_(chosen), free))
                    .values(locked_by=token, locked_until=now + lock).execution_options(synchronize_session=False))
    session.commit()
    return list(session.scalars(select(Job.id).where(Job.locked_by == token)))


def renew_job_locks(session: Session, token: str, lock: timedelta = DEFAULT_LOCK) -> int:
    """A heartbeat: the jobs still locked by `token` stay locked for `lock` from now (a job another
    worker took meanwhile has another token and is left alone); returns how many."""
    result = session.execute(update(Job).where(Job.locked_by == token).values(locked_until=utcnow() + lock)
                             .execution_options(synchronize_session=False))
    return result.rowcount
