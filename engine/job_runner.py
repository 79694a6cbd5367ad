"""Running one job: release the task it holds and run the instance on (see engine.jobs)."""
from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import delete
from sqlalchemy.orm import Session

from engine.async_boundaries import release
from engine.errors import NotFound
from engine.live import LiveInstance, open_live_instance, save_live_instance
from engine.models import Job
from engine.observer import all_workflows
from engine.states import InstanceState
from engine.subscriptions import MESSAGE
from engine.timers import TIMER
from SpiffWorkflow.util.task import TaskState


@dataclass
class JobOutcome:
    job_id: str
    instance_id: str | None
    ran: bool


def run_job(session: Session, job_id: str) -> JobOutcome:
    """Run one job in the caller's transaction: release its task and run the instance on."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"job {job_id} does not exist")
    live = open_live_instance(session, job.instance_id)
    task = live.workflow.tasks.get(UUID(job.task_id)) or _in_subprocesses(live, job.task_id)
    session.execute(delete(Job).where(Job.id == job_id))
    if task is None or live.state != InstanceState.ACTIVE or (job.kind == TIMER and task.state != TaskState.WAITING):
        return JobOutcome(job_id, job.instance_id, False)  # nothing waits for this job any more
    if job.kind == MESSAGE:
        return _hand_over_buffered_message(session, job, live, task)
    release(task)
    live.history.record("job_executed", activity_id=job.activity_id, actor="worker",
                        data={"kind": job.kind, "attempt": job.attempts + 1})
    live.run(actor="worker")
    save_live_instance(session, live)
    return JobOutcome(job_id, job.instance_id, True)


def _in_subprocesses(live: LiveInstance, task_id: str):
    for workflow in all_workflows(live.workflow):
        if (task := workflow.tasks.get(UUID(task_id))) is not None:
            return task
    return None




def _hand_over_buffered_message(session: Session, job: Job, live: LiveInstance, task) -> JobOutcome:
    """Give a waiting task the buffered message it subscribed to (if it has not expired meanwhile)."""
    from engine.messages import deliver_to_task
    from engine.subscriptions import buffered_match, correlation_value

    name = task.task_spec.event_definition.name
    message = buffered_match(session, name, live.row.business_key, correlation_value(live, task, name))
    if message is None:
        return JobOutcome(job.id, job.instance_id, False)
    session.delete(message)
    live.history.record("message_received", activity_id=job.activity_id, actor="worker",
                        data={"name": name, "variables": message.variables, "buffered_since": message.created_at.isoformat()})
    live.run(lambda: deliver_to_task(task, name, message.variables), actor="worker")
    save_live_instance(session, live)
    return JobOutcome(job.id, job.instance_id, True)
