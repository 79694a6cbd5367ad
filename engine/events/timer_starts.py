"""Timer start events: a durable job per timer start event of the newest version of each process.

The job belongs to the definition (there is no instance yet). Each firing starts one instance; a
repeating timer (R/…, cron) then moves its job to the next firing, so one job row is one schedule.
Deploying a new version of a process replaces the old version's schedules, as Camunda does.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bpmn.errors import ElementProblem
from bpmn.timer_schedules import following, is_cron, schedule_for
from engine.definitions.files import deployment_files
from engine.jobs.queue import JOBS_CREATED
from engine.runtime.live import new_live_instance
from engine.runtime.saving import save_live_instance
from engine.runtime.start_events import fire_start_timers
from engine.scripting.script_engine import evaluate
from engine.store.models import Job, ProcessDefinition, utcnow

TIMER_START = "timer-start"
TIMER_ACTOR = "timer"


def _first_firing(entry: dict, now: datetime):
    # A timer may be an expression, evaluated without variables.
    expression = entry["expression"]
    value = expression if entry["kind"] == "cycle" and is_cron(expression) else evaluate(expression, {})
    return schedule_for(entry["kind"], value, now)


def timer_start_problems(events: dict | None, file: str) -> list[ElementProblem]:
    """Timer start events (of a process's events catalogue) whose expression gives no schedule."""
    problems = []
    for entry in (events or {}).get("timer_starts", []):
        try:
            _first_firing(entry, utcnow())
        except Exception as err:  # noqa: BLE001 - any expression failure is a model problem here
            problems.append(ElementProblem(entry["activity_id"], None, f"timer start event: {err}", file))
    return problems


def schedule_timer_starts(session: Session, definition: ProcessDefinition) -> None:
    """Make `definition` (the newest version of its key) own the timer start schedules of its key."""
    older = select(ProcessDefinition.id).where(ProcessDefinition.key == definition.key,
                                               ProcessDefinition.id != definition.id)
    session.execute(delete(Job).where(Job.kind == TIMER_START, Job.definition_id.in_(older))
                    .execution_options(synchronize_session=False))
    if not definition.executable or not definition.spec_json:
        return  # a version that cannot run ends the old schedules too (it is the newest version)
    now = utcnow()
    for entry in (definition.events or {}).get("timer_starts", []):
        schedule = _first_firing(entry, now)
        job_id = str(uuid.uuid4())
        session.add(Job(id=job_id, instance_id=None, definition_id=definition.id, kind=TIMER_START,
                        task_id=job_id, activity_id=entry["activity_id"], due_at=schedule.first,
                        schedule=schedule.as_json(), attempts=0, created_at=now))
        JOBS_CREATED.set()


def fire_timer_start(session: Session, job: Job) -> str | None:
    """Start an instance for a due timer start job and move the job to its next firing (or drop it
    when used up). Returns the new instance's id (None when the definition cannot run any more)."""
    definition = session.get(ProcessDefinition, job.definition_id)
    now = utcnow()
    instance_id = None
    if definition is not None and definition.spec_json:
        live = new_live_instance(session, definition, {}, None, TIMER_ACTOR)
        live.resources = deployment_files(session, definition.deployment_id)
        live.history.record("timer_fired", activity_id=job.activity_id, actor=TIMER_ACTOR,
                            data={"due_at": job.due_at.isoformat(), "schedule": job.schedule})
        live.run(actor=TIMER_ACTOR)  # to the start events, which wait to be fired
        live.run(lambda: fire_start_timers(live.workflow, job.activity_id), actor=TIMER_ACTOR)
        save_live_instance(session, live)
        instance_id = live.row.id
    following_due = following(job.schedule or {}, job.due_at, now) if instance_id else None
    if following_due is None:
        session.delete(job)
    else:
        remaining = job.schedule.get("remaining", 1)
        job.schedule = {**job.schedule, "remaining": remaining - 1 if remaining > 0 else remaining}
        job.due_at, job.locked_by, job.locked_until, job.attempts = following_due, None, None, 0
    return instance_id

