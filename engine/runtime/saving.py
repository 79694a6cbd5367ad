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
from engine.runtime.unstorable_values import drop_unstorable_values
from engine.store.serialization import dump_state
from engine.store.variable_values import check_total, max_variables_bytes, variables_size
from engine.store.states import InstanceState

log = logging.getLogger("fuse.instance")

SaveStep = Callable[[Session, LiveInstance], None]
# Run in order after the row is written; filled once by the engine package (engine/__init__.py).
SAVE_STEPS: list[SaveStep] = []


def flush_history(session: Session, live: LiveInstance) -> None:
    """Write the events recorded so far (a step, so that later steps see them in the database)."""
    live.history.flush(session, live.row)


def _write_state(live: LiveInstance) -> None:
    """The workflow's state into the row. A value that cannot be stored is dropped and the instance
    fails naming it; if the state still cannot be written, the last good state is kept."""
    row = live.row
    try:
        row.workflow_state = dump_state(live.workflow)
        return
    except Exception as err:  # noqa: BLE001 - see below: the instance is kept whatever happened
        failure = err
    if (dropped := drop_unstorable_values(live.workflow)) is not None:
        failure = dropped
        try:
            row.workflow_state = dump_state(live.workflow)
        except Exception as err:  # noqa: BLE001
            failure = err
        else:
            if row.state != InstanceState.FAILED.value:
                live.fail(dropped, None)
            return
    if row.state != InstanceState.FAILED.value:
        live.fail(failure, None)
    if not row.workflow_state:
        raise failure


def _check_total_size(row, variables: dict) -> None:
    """Refuse a command that grows an instance's variables past FUSE_MAX_VARIABLES_BYTES; a failed
    instance is written anyway (its failure says what went wrong, and it must stay readable)."""
    if row.state == InstanceState.FAILED.value or (size := variables_size(variables)) <= max_variables_bytes():
        return
    if size > variables_size(row.variables or {}):
        check_total(size)


def save_live_instance(session: Session, live: LiveInstance, claim: Callable[[], bool] | None = None) -> bool:
    """Write state, variables and activities, then run every save step; the caller commits.

    `claim` (for an instance read without its lock: see engine.runtime.live.claim_unchanged) is the first write,
    made once everything that can be computed before writing was (the state, the history's chain and packing),
    so that the write lock - on SQLite the whole database's - is held for the writing alone; False from it (the
    instance changed meanwhile) stops the save, nothing written, and is returned."""
    prepare_save(live)
    if claim is not None and not claim():
        return False
    finish_save(session, live)
    return True


def prepare_save(live: LiveInstance) -> None:
    """What a save computes before writing: the row's state, variables and activities, the history packed."""
    row = live.row
    if row.state == InstanceState.ACTIVE.value and live.workflow.is_completed():
        row.state = InstanceState.COMPLETED.value
        row.ended_at = utcnow()
        live.history.record("instance_completed")
        log.info("instance completed", extra=live.log_fields())
    _write_state(live)
    if row.state != InstanceState.TERMINATED.value:
        # A cancelled workflow has no live task left to read variables from: keep the last ones.
        variables = live.variables()
        _check_total_size(row, variables)
        row.variables = variables
    row.active_activities = [
        {"activity_id": t.task_spec.bpmn_id, "name": t.task_spec.bpmn_name,
         "type": live.definition.activities.get(t.task_spec.bpmn_id, {}).get("type")}
        for t in live.live_tasks()]
    live.history.prepare(row)


def finish_save(session: Session, live: LiveInstance) -> None:
    """Write a prepared instance (prepare_save): its row, then every save step."""
    if not SAVE_STEPS:
        # engine/__init__.py did not run (e.g. a `tests/engine` folder shadowing the package): saving now would
        # drop the history, jobs and task rows without a word.
        raise RuntimeError("the engine's save steps are not wired: import the engine package, not a shadow of it")
    if not live.stored:
        session.add(live.row)
    for step in SAVE_STEPS:
        step(session, live)
    live.stored = True
