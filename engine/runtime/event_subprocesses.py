"""Event sub-processes at run time: waiting with their scope, firing, interrupting, ending.

Every event sub-process starts with its scope (the process, or an embedded sub-process) and waits at
its start event (see bpmn.event_scopes). Until that event fires it is *dormant*: not an activity of
the instance yet (not in its active activities, variables or history), only a subscription. When
its start event fires:
- interrupting: every other token of the scope is cancelled (open user tasks, waiting timers, the
  other event sub-processes), and the scope ends when the event sub-process does;
- non-interrupting: it runs beside the scope, and a fresh copy waits for the next event (a timer
  cycle repeats by itself instead; a timer date or duration fires once); what it sets is shared
  with the rest of the scope when it ends.
Either way it starts from the scope's variables as they are when it fires, not as they were when
the scope began. A scope left with nothing but dormant event sub-processes cancels them and ends.
"""
from __future__ import annotations

from copy import deepcopy

from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.util.task import TaskState

from bpmn.event_scopes import EVENT_SUBPROCESS

LIVE = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR
STARTED_FROM = "fuse_started_from"  # the scope's variables a non-interrupting event sub-process began with


def is_event_subprocess(task) -> bool:
    return EVENT_SUBPROCESS in (getattr(task.task_spec, "extensions", None) or {})


def is_interrupting(owner) -> bool:
    """Whether the event sub-process run by task `owner` interrupts its scope."""
    return owner.task_spec.extensions[EVENT_SUBPROCESS]["interrupting"]


def _subworkflow(owner):
    return owner.workflow.top_workflow.subprocesses.get(owner.id)


def _start_event(subworkflow):
    return next((t for t in subworkflow.tasks.values() if isinstance(t.task_spec, StartEvent)), None)


def is_dormant(owner) -> bool:
    """An event sub-process (task `owner`) whose start event has not fired: nothing in it runs but
    the start event, waiting."""
    subworkflow = _subworkflow(owner) if owner.state == TaskState.STARTED else None
    if subworkflow is None:
        return False
    live = [t for t in subworkflow.tasks.values() if t.state & LIVE and getattr(t.task_spec, "bpmn_id", None)]
    return bool(live) and all(t.state == TaskState.WAITING and isinstance(t.task_spec, StartEvent) for t in live)


def owner_of(task):
    """The event sub-process task whose own workflow `task` runs in, or None."""
    parent_id = task.workflow.parent_task_id
    if parent_id is None:
        return None
    owner = task.workflow.parent_workflow.tasks.get(parent_id)
    return owner if owner is not None and is_event_subprocess(owner) else None


def is_dormant_part(task) -> bool:
    """True for a dormant event sub-process and for the start event it waits at: neither is an
    activity of the instance until the event fires."""
    if is_event_subprocess(task):
        return is_dormant(task)
    if not isinstance(task.task_spec, StartEvent) or task.workflow.parent_task_id is None:
        return False
    owner = owner_of(task)
    return owner is not None and is_dormant(owner)


def may_be_dormant(task) -> bool:
    """Whether is_dormant_part(task) can change while the task's own state does not (an event
    sub-process, and its start event: the sub-process's other tasks decide)."""
    if is_event_subprocess(task):
        return True
    return (isinstance(task.task_spec, StartEvent) and task.workflow.parent_task_id is not None
            and owner_of(task) is not None)


def dormant_start_events(scope) -> list:
    """Start events of the dormant event sub-processes of a scope (a workflow), waiting."""
    found = []
    for owner in scope.task_tree.children:
        if is_event_subprocess(owner) and is_dormant(owner):
            start = _start_event(_subworkflow(owner))
            if start is not None and start.state == TaskState.WAITING:
                found.append(start)
    return found


def _firing_start(task):
    """The start event of an event sub-process that fires as `task` runs: the start event itself,
    or a timer cycle's start event that just added another run (it keeps waiting)."""
    if isinstance(task.task_spec, StartEvent) and task.workflow.parent_task_id is not None:
        if isinstance(task.task_spec.event_definition, CycleTimerEventDefinition):
            return None  # its last cycle is over: each run began with a child of its own
        return task
    parent = task.parent
    if (parent is not None and parent.state == TaskState.WAITING and isinstance(parent.task_spec, StartEvent)
            and isinstance(parent.task_spec.event_definition, CycleTimerEventDefinition)
            and parent.workflow.parent_task_id is not None):
        return parent
    return None


def before_run(task) -> None:
    """Called before the runner runs `task`: if it starts an event sub-process, interrupt the scope
    or set up the next one; if it ends one that ran beside its scope, share what it set."""
    if is_event_subprocess(task):
        _share_results(task)
        return
    start = _firing_start(task)
    owner = owner_of(start) if start is not None else None
    if owner is None:
        return
    scope = owner.workflow
    # What the event brought (a message's variables) is what differs from the stale copy it began with.
    brought = {k: v for k, v in task.data.items() if k not in owner.data or owner.data[k] != v}
    now = scope_variables(scope, besides=owner)
    task.data = {**now, **brought}
    definition = start.task_spec.event_definition
    if is_interrupting(owner):
        for child in list(scope.task_tree.children):
            if child is not owner:
                child.cancel()
        if isinstance(definition, CycleTimerEventDefinition):
            _stop_cycle(start)
        return
    if not isinstance(definition, CycleTimerEventDefinition):
        owner.internal_data[STARTED_FROM] = deepcopy(now)
    if not isinstance(definition, TimerEventDefinition):
        scope.spec.start.trigger_wf(scope.task_tree, owner.task_spec.name)


def _share_results(owner) -> None:
    """What a non-interrupting event sub-process set becomes visible to the rest of its scope (as
    process variables are in Camunda), not only once the scope ends."""
    before = owner.internal_data.pop(STARTED_FROM, None)
    if before is None:
        return
    changed = {k: v for k, v in owner.data.items() if k not in before or before[k] != v}
    for workflow in _below(owner.workflow):
        for task in workflow.tasks.values():
            if task.state & LIVE and task is not owner and not is_dormant_part(task):
                task.data.update(deepcopy(changed))


def _stop_cycle(start) -> None:
    """An interrupting timer cycle fires once: let its start event finish now."""
    start.internal_data.pop("event_value", None)
    start._set_internal_data(event_fired=True)
    start.task_spec._update(start)


def _below(scope) -> list:
    """The scope's workflow and every workflow running inside it."""
    top = scope.top_workflow
    found = [scope]
    for workflow in top.subprocesses.values():
        current = workflow
        while current is not None and current is not scope:
            current = current.parent_workflow
        if current is scope and workflow is not scope:
            found.append(workflow)
    return found


def scope_variables(scope, besides=None) -> dict:
    """The scope's variables now: the newest data of its live tasks (sub-processes included), not
    counting dormant event sub-processes or the event sub-process `besides`."""
    skip = _subworkflow(besides) if besides is not None else None
    tasks = [t for wf in _below(scope) if wf is not skip for t in wf.tasks.values()
             if t.state & LIVE and t is not besides and getattr(t.task_spec, "bpmn_id", None)
             and not is_dormant_part(t)]
    data: dict = {}
    for task in sorted(tasks, key=lambda t: t.last_state_change):
        data.update(task.data)
    return data or dict(besides.data if besides is not None else {})


def end_idle_scopes(top) -> bool:
    """Cancel the dormant event sub-processes of every scope that has nothing else left to do, so
    that it ends; True if any did."""
    ended = False
    for workflow in [top, *top.subprocesses.values()]:
        if workflow.completed:
            continue
        dormant = [t for t in workflow.task_tree.children if is_event_subprocess(t) and is_dormant(t)]
        if not dormant or not _only_waiting_to_end(workflow, dormant):
            continue
        for owner in dormant:
            owner.cancel()
        for join in [t for t in workflow.tasks.values() if isinstance(t.task_spec, _EndJoin)]:
            if join.state == TaskState.WAITING:
                join.task_spec._update(join)
        ended = True
    return ended


def _only_waiting_to_end(workflow, dormant: list) -> bool:
    """Nothing of the workflow runs or waits, but its end (reached by some path) and `dormant`."""
    dormant_ids = {t.id for owner in dormant for t in owner}
    reached_end = False
    for task in workflow.tasks.values():
        if task.id in dormant_ids or not task.state & LIVE:
            continue
        if not (isinstance(task.task_spec, _EndJoin) and task.state == TaskState.WAITING):
            return False
        reached_end = True
    return reached_end
