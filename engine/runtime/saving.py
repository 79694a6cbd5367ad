"""Writing an instance back at the end of a command: its own row, then the save steps.

The instance's row (state, variables, active activities) belongs here. Everything else a save keeps
in step with the workflow - user-task rows, jobs, external tasks, incidents, subscriptions, messages
thrown to other instances - belongs to the package that owns that table, which contributes one
step. `engine/__init__.py` lists the steps in the order they run, so this module knows none of them.
"""
from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy.orm import Session

from engine.runtime.live import LiveInstance
from engine.store.models import utcnow
from engine.store.serialization import dump_state
from engine.store.states import InstanceState

log = logging.getLogger("fuse.instance")

SaveStep = Callable[[Session, LiveInstance], None]
# Run in order after the row is written; filled once by the engine package (engine/__init__.py).
SAVE_STEPS: list[SaveStep] = []


def flush_history(session: Session, live: LiveInstance) -> None:
    """Write the events recorded so far (a step, so that later steps see them in the database)."""
    live.history.flush(session, live.row)


def save_live_instance(session: Session, live: LiveInstance) -> None:
    """Write state, variables and activities, then run every save step; the caller commits."""
    row = live.row
    if row.state == InstanceState.ACTIVE.value and live.workflow.is_completed():
        row.state = InstanceState.COMPLETED.value
        row.ended_at = utcnow()
        live.history.record("instance_completed")
        log.info("instance completed", extra=live.log_fields())
    try:
        row.workflow_state = dump_state(live.workflow)
    except Exception as err:  # noqa: BLE001 - keep the last good state rather than lose the instance
        if row.state != InstanceState.FAILED.value:
            live.fail(err, None)
        if not row.workflow_state:
            raise
    if row.state != InstanceState.TERMINATED.value:
        # A cancelled workflow has no live task left to read variables from: keep the last ones.
        row.variables = live.variables()
    row.active_activities = [
        {"activity_id": t.task_spec.bpmn_id, "name": t.task_spec.bpmn_name,
         "type": live.definition.activities.get(t.task_spec.bpmn_id, {}).get("type")}
        for t in live.live_tasks()]
    if not live.stored:
        session.add(row)
    for step in SAVE_STEPS:
        step(session, live)
    live.stored = True
