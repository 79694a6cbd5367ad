"""Process instances: start, read, list, control (suspend, resume, terminate) and variables."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.definitions.catalog import DEFINITION_ROWS, get_definition, latest_definition_id, spec_json
from engine.errors import BadRequest, Conflict, Forbidden
from engine.instances.variable_types import forget_types, remember_types
from engine.store.lookup import get_or_raise
from engine.history.packing import RecordedEvent
from engine.history.reading import instance_history
from engine.identity.read_access import readable_instances
from engine.identity.start_rights import check_start
from engine.identity.users import Actor
from engine.definitions.files import deployment_files
from engine.runtime.live import LiveInstance, new_live_instance, open_live_instance
from engine.runtime.saving import save_live_instance
from engine.runtime.open_tasks import remembered_open_tasks
from engine.runtime.observer import change_record
from engine.store.paging import Page, page_of
from engine.store.serialization import SPECS
from engine.store.variable_values import check_text, check_total, check_variables, variables_size
from engine.store.models import ProcessDefinition, ProcessInstance, UserTask, utcnow
from engine.store.states import InstanceState, UserTaskState
from engine.definitions.task_forms import check_start_submission
from engine.runtime.start_events import (event_only_starts, fire_start_timers, leave_through_start_event,
                                         sole_waiting_event_start, waits_only_at_timer_start)


def start_instance(session: Session, actor: Actor, *, definition_key: str | None = None,
                   definition_id: str | None = None, business_key: str | None = None,
                   variables: dict | None = None, force: bool = False,
                   variable_types: dict | None = None) -> ProcessInstance:
    """Create an instance and run it to its first wait state.

    A definition deployed from an isExecutable="false" process starts only with `force`, by an admin
    (its modeller said it is not meant to run: running it anyway is an operator's decision); otherwise only
    those its start rights allow may start it (engine.identity.start_rights). `variable_types` are the types
    a client declared for the variables (engine.instances.variable_types).
    """
    if bool(definition_key) == bool(definition_id):
        raise BadRequest("give exactly one of definition_key and definition_id")
    # By key, the newest version's id is read (so a deleted one is never started) and its row comes from the
    # shared cache; by id, the row is read: a cached row would outlive a deletion in another process.
    definition = (get_definition(session, definition_id) if definition_id
                  else DEFINITION_ROWS.get(session, latest_definition_id(session, definition_key)))
    check_start(session, actor, definition)
    if not definition.executable and not force:
        raise Conflict(f"process {definition.key} is marked isExecutable=\"false\"; "
                       "start it with force=true to run it anyway")
    check_text("business_key", business_key)
    check_variables(variables or {})
    if not definition.executable and not actor.is_admin:
        raise Forbidden(f"{actor.name} may not force a start of process {definition.key}, which is marked "
                        "isExecutable=\"false\": the admin group is required")
    if not SPECS.holds(definition.id) and not spec_json(session, definition.id):  # read on a cache miss only
        raise Conflict(f"process {definition.key} was deployed for viewing only: it cannot be run "
                       "(see the deployment's warnings)")
    variables = check_start_submission(session, definition, variables or {})
    live = new_live_instance(session, definition, variables, business_key, actor.name)
    if starts := event_only_starts(live.workflow.spec):
        raise Conflict(f"process {definition.key} starts only by its events ({', '.join(starts)}): send one of "
                       "their messages or signals instead of starting it by hand", start_events=starts)
    live.resources = deployment_files(session, definition.deployment_id)
    live.run(actor=actor.name, person=actor)
    if waits_only_at_timer_start(live.workflow):
        # Started by hand, a process whose only start is a timer leaves through it at once (Camunda 7).
        live.run(lambda: fire_start_timers(live.workflow), actor=actor.name, person=actor)
    elif (event_start := sole_waiting_event_start(live.workflow)) is not None:
        live.run(lambda: leave_through_start_event(live.workflow, event_start), actor=actor.name, person=actor)
    remember_types(live.row, variable_types or {})  # before the save: written with the row, not after it
    save_live_instance(session, live)
    return live.row


def get_instance(session: Session, instance_id: str) -> ProcessInstance:
    return get_or_raise(session, ProcessInstance, instance_id, "process instance")


def list_instances(session: Session, actor: Actor, *, state: str | None = None, definition_key: str | None = None,
                   business_key: str | None = None, page: int = 1, per_page: int = 50) -> Page[ProcessInstance]:
    """A page of the instances the actor may read (the total counts only those), newest first."""
    query = select(ProcessInstance).where(readable_instances(session, actor))
    if state:
        query = query.where(ProcessInstance.state == InstanceState(state).value)
    if definition_key:
        query = query.where(ProcessInstance.definition_key == definition_key)
    if business_key:
        query = query.where(ProcessInstance.business_key == business_key)
    return page_of(session, query.order_by(ProcessInstance.created_at.desc(), ProcessInstance.id), page, per_page)


def open_tasks(session: Session, instance_id: str) -> list[UserTask]:
    return list(session.scalars(select(UserTask).where(
        UserTask.instance_id == instance_id, UserTask.state == UserTaskState.OPEN.value
    ).order_by(UserTask.created_at)))


def _controlled(session: Session, instance_id: str, actor: Actor) -> LiveInstance:
    """Open an instance for a control command: its starter or an admin may control it."""
    live = open_live_instance(session, instance_id)
    if not (actor.is_admin or actor.name == live.row.started_by):
        raise Forbidden(f"{actor.name} may not control instance {instance_id}: "
                        "only its starter or an admin may")
    return live


def _require(live: LiveInstance, *allowed: InstanceState, doing: str) -> None:
    if live.state not in allowed:
        raise Conflict(f"cannot {doing} an instance that is {live.state.value}")


def _switch_state(session: Session, instance_id: str, actor: Actor, reason: str | None, *,
                  source: InstanceState, target: InstanceState, event: str, doing: str) -> ProcessInstance:
    live = _controlled(session, instance_id, actor)
    _require(live, source, doing=doing)
    live.row.state = target.value
    live.history.record(event, actor=actor.name, data={"reason": reason})
    save_live_instance(session, live)
    return live.row


def suspend_instance(session: Session, instance_id: str, actor: Actor, reason: str | None = None) -> ProcessInstance:
    """Stop an active instance from moving on: its tasks cannot be worked on until resumed."""
    return _switch_state(session, instance_id, actor, reason, source=InstanceState.ACTIVE,
                         target=InstanceState.SUSPENDED, event="instance_suspended", doing="suspend")


def resume_instance(session: Session, instance_id: str, actor: Actor, reason: str | None = None) -> ProcessInstance:
    return _switch_state(session, instance_id, actor, reason, source=InstanceState.SUSPENDED,
                         target=InstanceState.ACTIVE, event="instance_resumed", doing="resume")


def terminate_instance(session: Session, instance_id: str, actor: Actor, reason: str | None = None) -> ProcessInstance:
    """Cancel everything still running; the instance is kept, in state `terminated`."""
    live = _controlled(session, instance_id, actor)
    _require(live, InstanceState.ACTIVE, InstanceState.SUSPENDED, InstanceState.FAILED, doing="terminate")
    live.workflow.cancel()
    live.observer.scan()
    live.row.state = InstanceState.TERMINATED.value
    live.row.ended_at = utcnow()
    live.history.record("instance_terminated", actor=actor.name, data={"reason": reason})
    save_live_instance(session, live)
    return live.row


def patch_variables(session: Session, instance_id: str, actor: Actor, values: dict,
                    remove: tuple[str, ...] = ()) -> ProcessInstance:
    """Merge values into the instance's variables and drop the names in `remove` (running or suspended
    instances only); a name both set and removed is set."""
    live = _controlled(session, instance_id, actor)
    _require(live, InstanceState.ACTIVE, InstanceState.SUSPENDED, InstanceState.FAILED, doing="change variables of")
    check_variables(values)
    before = live.variables()
    removed = [name for name in dict.fromkeys(remove) if name in before and name not in values]
    # Checked here as well as on save: a failed instance is saved whatever its size.
    check_total(variables_size({**before, **values}))
    live.set_variables(values)
    live.remove_variables(removed)
    # New values come without a declared type: a caller that declares one records it after this.
    forget_types(live.row, [*values, *removed])
    live.history.record("variables_changed", actor=actor.name, data=change_record(values, before, removed))
    save_live_instance(session, live)
    return live.row


def history(session: Session, instance_id: str) -> list[RecordedEvent]:
    get_instance(session, instance_id)
    return instance_history(session, instance_id)


@dataclass
class InstanceView:
    """An instance as callers see it: the row plus its open user tasks."""

    instance: ProcessInstance
    open_tasks: list[UserTask]


def view_instance(session: Session, row: ProcessInstance) -> InstanceView:
    remembered = remembered_open_tasks(session, row.id)
    return InstanceView(row, open_tasks(session, row.id) if remembered is None else remembered)


def count_summary(session: Session) -> dict:
    """How many definitions and active instances there are (for the landing page)."""
    return {
        "definitions": session.scalar(select(func.count()).select_from(ProcessDefinition)),
        "active": session.scalar(select(func.count()).select_from(ProcessInstance)
                                 .where(ProcessInstance.state == InstanceState.ACTIVE.value)),
    }
