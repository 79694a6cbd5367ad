"""Moving a suspended instance to another version of its process.

An instance's state is stored without its spec (engine/store/serialization.py): its tasks name their
specs, and spec names are BPMN ids. Migration swaps the spec objects under the live tasks for
those of the target version (renamed through the mapping where given), re-predicts what comes
after each token from the target's flows, and from then on the instance loads with the target.

Refused, with every reason at once, unless each token's activity exists in the target (or is
mapped to an activity there) as the same kind of element, with boundary events on one side only
when on the other too. Finished tasks whose activity is gone in the target are kept as anonymous
history (they never run again); sub-processes that have finished are forgotten.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask

from bpmn.reserved_ids import ELEMENT_SUFFIX, spec_name
from engine.definitions.catalog import get_definition
from engine.errors import ValidationFailed
from engine.identity.users import Actor
from engine.runtime.instance_specs import instance_specs
from engine.runtime.live import LiveInstance
from engine.runtime.saving import save_live_instance
from engine.tasks.user_task_rows import form_key
from engine.store.models import ProcessDefinition, ProcessInstance, UserTask
from engine.runtime.observer import all_workflows
from engine.repair.repair import open_for_repair, repair, require_state
from engine.store.states import InstanceState, UserTaskState
from engine.runtime.tokens import BOUNDARY_SPLIT, PREDICTED, holder_of, is_token, running_scopes

# Specs SpiffWorkflow derives from an activity, named after it.
DERIVED_SUFFIXES = (BOUNDARY_SPLIT, ".BoundaryEventJoin", " [child]", ".EndJoin")


def renamed(name: str, mapping: dict) -> str:
    """A spec's name in the target: its activity's mapped id, with the derived suffix kept."""
    if name.endswith(ELEMENT_SUFFIX):  # an element whose id SpiffWorkflow uses itself (bpmn.reserved_ids)
        base = name.removesuffix(ELEMENT_SUFFIX)
        return spec_name(mapping.get(base, base))
    if name in mapping:
        return spec_name(mapping[name])
    for suffix in DERIVED_SUFFIXES:
        base = name[:-len(suffix)]
        if name.endswith(suffix) and base in mapping:
            return mapping[base] + suffix
    return name


def _kind(spec) -> str:
    return type(spec).__name__


@dataclass
class MigrationPlan:
    """The target specs for each running scope, or the reasons there are none."""

    target: ProcessDefinition
    mapping: dict
    spec: object = None
    subprocess_specs: dict = field(default_factory=dict)
    scopes: list = field(default_factory=list)  # (workflow, its spec in the target)
    reasons: list = field(default_factory=list)


def _check_definitions(live: LiveInstance, target: ProcessDefinition, mapping: dict) -> list[str]:
    reasons = []
    if target.key != live.definition.key:
        reasons.append(f"{target.id} is a version of process {target.key}, not of {live.definition.key}")
    if target.id == live.definition.id:
        reasons.append(f"the instance already runs on {target.id}")
    if not target.spec_json:
        reasons.append(f"{target.id} was deployed for viewing only and cannot run")
    reasons += [f"mapping names {old}, which is not an activity of {live.definition.id}"
                for old in mapping if old not in live.definition.activities]
    reasons += [f"mapping names {new}, which is not an activity of {target.id}"
                for new in mapping.values() if new not in target.activities]
    return reasons


def _check_token(task, new_spec, plan: MigrationPlan) -> str | None:
    """Why this token cannot continue at its counterpart in the target, or None."""
    spec = task.task_spec
    activity = getattr(spec, "bpmn_id", None) or spec.name
    mapped = renamed(spec.name, plan.mapping)
    if new_spec is None:
        return (f"activity {activity} is active but {plan.target.id} has no {mapped}: "
                "map it to an activity of the target")
    if _kind(new_spec) != _kind(spec):
        return f"activity {activity} is a {_kind(spec)} but {mapped} in {plan.target.id} is a {_kind(new_spec)}"
    had = task.parent is not None and isinstance(task.parent.task_spec, BoundaryEventSplit)
    has = any(isinstance(s, BoundaryEventSplit) for s in new_spec.inputs)
    if had != has:
        return (f"activity {activity} is active and {'loses' if had else 'gains'} boundary events in "
                f"{plan.target.id}: let it finish first")
    return None


def plan_migration(live: LiveInstance, target: ProcessDefinition, mapping: dict) -> MigrationPlan:
    """Match every running scope and token with the target; nothing is changed."""
    plan = MigrationPlan(target, mapping, reasons=_check_definitions(live, target, mapping))
    if not target.spec_json:
        return plan
    plan.spec, plan.subprocess_specs = instance_specs(target.id, lambda: target.spec_json)
    # Processes the instance called (engine.runtime.called_processes) are no part of either version: a
    # running one keeps the version it runs, and the target's calls find theirs by name as before.
    for name, spec in live.workflow.subprocess_specs.items():
        plan.subprocess_specs.setdefault(name, spec)
    new_specs: dict = {}  # workflow -> its spec in the target
    for workflow in running_scopes(live.workflow):
        holder = holder_of(workflow)
        if holder is None:
            new_specs[workflow] = plan.spec
        else:
            outer = new_specs.get(holder.workflow)
            new_holder = outer.task_specs.get(renamed(holder.task_spec.name, mapping)) if outer else None
            name = getattr(new_holder, "spec", None) if isinstance(new_holder, SubWorkflowTask) else None
            new_specs[workflow] = plan.subprocess_specs.get(name) if name else None
        scope_spec = new_specs[workflow]
        if scope_spec is None:
            if holder is not None and new_holder is not None and _kind(new_holder) == _kind(holder.task_spec):
                plan.reasons.append(f"sub-process {holder.task_spec.bpmn_id} is running but {target.id} "
                                    f"has no process {name} for it")
            continue  # otherwise its sub-process task's own check names the problem
        plan.scopes.append((workflow, scope_spec))
        for task in [t for t in workflow.tasks.values() if is_token(t)]:
            new_spec = scope_spec.task_specs.get(renamed(task.task_spec.name, mapping))
            if (reason := _check_token(task, new_spec, plan)) is not None:
                plan.reasons.append(reason)
    return plan


def _forget_finished_subprocesses(top) -> None:
    for holder_id in list(top.subprocesses):
        if holder_id in top.subprocesses and not is_token(holder := top.get_task_from_id(holder_id)):
            top.delete_subprocess(holder)


def _respec(workflow, scope_spec, mapping: dict) -> None:
    """Give every task of the workflow its target spec; tokens predict their way on afresh."""
    workflow.spec = scope_spec
    live = [t for t in workflow.tasks.values() if is_token(t)]
    for task in live:
        for child in [c for c in task.children if c.state & PREDICTED]:
            workflow._remove_task(child.id)
    for task in workflow.tasks.values():
        # A finished task whose activity is gone stays as history, under the scope's start spec.
        task.task_spec = scope_spec.task_specs.get(renamed(task.task_spec.name, mapping)) or scope_spec.start
    for task in live:
        task.task_spec._predict(task, mask=PREDICTED | task.state)


def _rename_user_tasks(session: Session, live: LiveInstance) -> None:
    """Open user task rows follow their task's (possibly mapped) activity."""
    rows = session.scalars(select(UserTask).where(UserTask.instance_id == live.row.id,
                                                  UserTask.state == UserTaskState.OPEN.value))
    tasks = {t.id: t for wf in all_workflows(live.workflow) for t in wf.tasks.values()}
    for row in rows:
        if (task := tasks.get(UUID(row.id))) is not None:
            spec = task.task_spec
            row.activity_id, row.name, row.form_key = spec.bpmn_id, spec.bpmn_name, form_key(spec)


def migrate_instance(session: Session, instance_id: str, actor: Actor, to_definition_id: str,
                     mapping: dict | None, reason: str | None) -> ProcessInstance:
    """Move a suspended instance to another version of its process (it stays suspended)."""
    live = open_for_repair(session, instance_id, actor, reason)
    require_state(live, InstanceState.SUSPENDED, doing="migrate")
    target = get_definition(session, to_definition_id)
    mapping = dict(mapping or {})
    plan = plan_migration(live, target, mapping)
    if plan.reasons:
        raise ValidationFailed(f"instance {instance_id} cannot move to {target.id}: " + "; ".join(plan.reasons),
                               reasons=plan.reasons)
    source_id = live.definition.id

    def surgery() -> None:
        top = live.workflow
        _forget_finished_subprocesses(top)
        top.subprocess_specs = plan.subprocess_specs
        for workflow, scope_spec in plan.scopes:
            _respec(workflow, scope_spec, mapping)
        live.row.definition_id, live.definition = target.id, target

    repair(live, actor, reason, "instance_migrated", surgery, from_definition_id=source_id,
           to_definition_id=target.id, mapping=mapping)
    _rename_user_tasks(session, live)
    save_live_instance(session, live)
    return live.row
