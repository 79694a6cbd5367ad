"""An instance in memory for the length of one command: its row, its workflow, its new history."""
from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Callable

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bpmn.specs import UserTask as UserTaskSpec
from bpmn.tree import BpmnWorkflow
from engine.definitions.catalog import DEFINITION_ROWS, spec_json
from engine.definitions.files import deployment_files
from engine.definitions.sensitive_fields import definition_names
from engine.errors import NotFound
from engine.history.recorder import HistoryRecorder
from engine.identity.users import Actor
from engine.runtime.called_processes import CalledProcessResolver, restore_called_specs, sensitive_names
from engine.runtime.event_routing import use_scoped_events
from engine.runtime.event_subprocesses import is_dormant_part
from engine.runtime.instance_specs import instance_specs
from engine.runtime.io_mapping import initiator_variables
from engine.runtime.observer import ActivityObserver, all_workflows
from engine.runtime.pruning import ready_tasks
from engine.runtime.runner import Runner
from engine.runtime.service_calls import CallSite, ServiceCaller
from engine.scripting.script_engine import FuseScriptEngine
from engine.store.local_variables import process_view, remove_process_values, set_process_values
from engine.store.models import ProcessDefinition, ProcessInstance, utcnow
from engine.store.serialization import load_state
from engine.store.states import InstanceState
from engine.telemetry.log_context import log_context

log = logging.getLogger("fuse.instance")
LIVE_STATES = TaskState.WAITING | TaskState.READY | TaskState.STARTED | TaskState.ERROR
INTERNAL_KEYS = {"data_objects"}


def json_safe(data: dict) -> dict:
    """Variables as the API and the JSON columns see them (dates become ISO strings)."""
    return json.loads(json.dumps(data, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v)))


def _no_resources(name: str) -> bytes:
    raise KeyError(f"no deployed file named {name}")


@dataclass
class LiveInstance:
    row: ProcessInstance
    definition: ProcessDefinition
    workflow: BpmnWorkflow
    history: HistoryRecorder
    observer: ActivityObserver
    # Files deployed with the model, by name (policies, model files) for handlers.
    resources: Callable[[str], bytes] = _no_resources
    # False until the instance's row was first written: save steps then know nothing is stored yet.
    stored: bool = False
    # The instance's open user-task rows by id, when the command read them after taking the lock (saving
    # then does not read them again), {} when the stored state has no ready user task; None: not read yet.
    open_user_tasks: dict | None = None

    @property
    def state(self) -> InstanceState:
        return InstanceState(self.row.state)

    def live_tasks(self, states: int = LIVE_STATES) -> list:
        return [t for wf in all_workflows(self.workflow) for t in wf.tasks.values()
                if t.state & states and getattr(t.task_spec, "bpmn_id", None) and not is_dormant_part(t)]

    def variables(self) -> dict:
        """Process variables: the workflow's data once ended, else the newest data of live tasks."""
        if self.workflow.is_completed():
            data = dict(self.workflow.data)
        else:
            data = {}
            for task in sorted(self.live_tasks(), key=lambda t: t.last_state_change):
                data.update(process_view(task.data, task.internal_data))  # input parameters are local
        return json_safe({k: v for k, v in data.items() if k not in INTERNAL_KEYS})

    def set_variables(self, values: dict) -> None:
        """Merge values into every live task, so that whatever runs next sees them."""
        for task in self.live_tasks():
            set_process_values(task.data, task.internal_data, values)

    def remove_variables(self, names: list[str]) -> None:
        """Drop process variables from every live task (a local variable of the same name stays)."""
        for task in self.live_tasks():
            remove_process_values(task.data, task.internal_data, names)

    def run(self, action: Callable[[], None] | None = None, actor: str | None = None,
            person: Actor | None = None) -> None:
        """Do `action` (if any) and run on to the next wait state; a failure fails the instance.

        `actor` names who acts in the history; `person` is the signed-in user whose command this is, whom
        handlers (policies) judge: None when nobody is (the worker, a timer, an external worker), which
        fails every check about a person.
        """
        with log_context(instance_id=self.row.id):
            try:
                if action is not None:
                    action()
                site = CallSite(self.row.id, self.row.business_key, self.history, self.resources, person)
                Runner(self.workflow, self.observer, ServiceCaller(site)).run_until_wait()
            except Exception as err:  # noqa: BLE001 - any failure of the model fails the instance, not the server
                self.observer.scan()
                self.fail(err, actor)

    def fail(self, err: Exception, actor: str | None) -> None:
        task = getattr(err, "task", None)
        spec = getattr(task, "task_spec", None) or getattr(err, "task_spec", None)
        activity_id = getattr(spec, "bpmn_id", None)
        error = {"message": str(err) or type(err).__name__, "activity_id": activity_id,
                 "line": getattr(err, "line_number", None) or None}
        self.row.state = InstanceState.FAILED.value
        self.row.error = error
        self.history.record("instance_failed", activity_id=activity_id,
                            activity_name=getattr(spec, "bpmn_name", None), actor=actor, data=error)
        log.error("instance failed: %s", error["message"], extra={
            **self.log_fields(), "activity_id": activity_id})

    def log_fields(self) -> dict:
        """What a log line about this instance names."""
        return {"instance_id": self.row.id, "definition_key": self.row.definition_key}


def _script_engine() -> FuseScriptEngine:
    return FuseScriptEngine()


def _call_processes_from(session: Session, live: LiveInstance) -> LiveInstance:
    """Let the instance's call activities find the processes they call (see bpmn.specs.CallActivity)."""
    live.workflow.resolve_called_process = CalledProcessResolver(session, live)
    return live


def new_live_instance(session: Session, definition: ProcessDefinition, variables: dict, business_key: str | None,
                      actor: str | None) -> LiveInstance:
    """A fresh instance of `definition`, not yet run and not yet in the session."""
    spec, subprocess_specs = instance_specs(definition.id, lambda: spec_json(session, definition.id))
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=_script_engine())
    use_scoped_events(workflow)
    # The initiator variable wins over a start variable of that name: nobody claims to be someone else.
    workflow.task_tree.data.update({**variables, **initiator_variables(spec, actor)})
    row = ProcessInstance(
        id=str(uuid.uuid4()), definition_id=definition.id, definition_key=definition.key,
        business_key=business_key, state=InstanceState.ACTIVE.value, variables={}, active_activities=[],
        workflow_state="", lock_version=0, history_seq=0, started_by=actor, created_at=utcnow())
    history = HistoryRecorder(sensitive=definition_names(definition))
    history.record("instance_started", actor=actor,
                   data={"variables": json_safe(variables), "business_key": business_key,
                         "definition_id": definition.id})
    live = LiveInstance(row, definition, workflow, history,
                        ActivityObserver(workflow, history, definition.activities, definition.key))
    log.info("instance started", extra=live.log_fields())
    return _call_processes_from(session, live)


def lock_instance(session: Session, instance_id: str) -> ProcessInstance:
    """Take the instance's write lock (the first write of the transaction) and load it fresh.

    The UPDATE takes a row lock on PostgreSQL and the write lock on SQLite, so two commands on
    one instance run one after the other and the second sees what the first committed. It returns
    the row it locked (RETURNING), so locking and loading are one statement.
    """
    return _locked(session, ProcessInstance.id == instance_id,
                   f"process instance {instance_id} does not exist")


def lock_instance_where(session: Session, instance_id_is, missing: str) -> ProcessInstance:
    """lock_instance for the instance whose id matches `instance_id_is` (e.g. a scalar subquery on a task
    table: the instance of that task), in the same one statement; NotFound(missing) if there is none."""
    return _locked(session, ProcessInstance.id == instance_id_is, missing)


def _locked(session: Session, where, missing: str) -> ProcessInstance:
    # Objects read before the lock may be stale: whatever is read again after it is read fresh.
    session.expire_all()
    row = session.scalars(update(ProcessInstance).where(where)
                          .values(lock_version=ProcessInstance.lock_version + 1)
                          .returning(ProcessInstance)
                          .execution_options(populate_existing=True, synchronize_session=False)).one_or_none()
    if row is None:
        raise NotFound(missing)
    return row


_INSTANCES = ProcessInstance.__table__
# A Core statement built once: every job runs it, and the ORM's bulk-update layer costs more than the UPDATE.
_CLAIM_UNCHANGED = (update(_INSTANCES)
                    .where(_INSTANCES.c.id == bindparam("claimed_id"),
                           _INSTANCES.c.lock_version == bindparam("read_version"))
                    .values(lock_version=_INSTANCES.c.lock_version + 1))


def claim_unchanged(session: Session, row: ProcessInstance) -> bool:
    """Take the write lock of an instance read without it, if nobody changed it since; False if
    somebody did (the caller then drops what it computed)."""
    result = session.connection().execute(_CLAIM_UNCHANGED, {"claimed_id": row.id, "read_version": row.lock_version})
    if result.rowcount != 1:
        return False
    set_committed_value(row, "lock_version", row.lock_version + 1)
    return True


def open_live_instance(session: Session, instance_id: str, lock: bool = True) -> LiveInstance:
    """Rebuild an instance's workflow, locking it first (or, with lock=False, reading it unlocked:
    see claim_unchanged)."""
    row = lock_instance(session, instance_id) if lock else session.get(ProcessInstance, instance_id)
    if row is None:
        raise NotFound(f"process instance {instance_id} does not exist")
    return live_instance_of(session, row)


def live_instance_of(session: Session, row: ProcessInstance) -> LiveInstance:
    """Rebuild the workflow of an instance whose row was read (locked, unless the caller knows better)."""
    definition = DEFINITION_ROWS.get(session, row.definition_id)
    spec, subprocess_specs = instance_specs(definition.id, lambda: spec_json(session, definition.id))
    called = restore_called_specs(session, row, subprocess_specs)
    workflow = load_state(row.workflow_state, spec, subprocess_specs, _script_engine())
    use_scoped_events(workflow)
    history = HistoryRecorder(sensitive=sensitive_names(definition_names(definition), called))
    live = LiveInstance(row, definition, workflow, history,
                        ActivityObserver(workflow, history, definition.activities, definition.key),
                        deployment_files(session, definition.deployment_id), stored=True)
    ready = (task for scope in all_workflows(workflow) for task in ready_tasks(scope))  # from the task indexes
    if not any(isinstance(task.task_spec, UserTaskSpec) for task in ready):
        # Open user-task rows belong to ready user tasks of the stored state (engine.tasks.user_task_rows): with
        # none ready, none is open, and saving need not read them (a timer or a script path never does).
        live.open_user_tasks = {}
    return _call_processes_from(session, live)
