"""Repairs an admin makes to an instance: retry what failed, move a token, rewind to an earlier task.

(Moving an instance to another version of its process is engine/repair/migration.py.) Every repair needs
the admin group and a reason, takes the instance's lock as every command does, checks everything
before it changes anything, and records one history event with the actor, the reason and the
instance just before and just after the repair itself. The instance then runs on at once; what it
does follows in the history. A suspended instance is not repaired (resume it first): repairs run it.
"""
from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from typing import Callable

from sqlalchemy.orm import Session
from SpiffWorkflow.util.task import TaskState

from bpmn.reserved_ids import spec_name
from engine.errors import Conflict, Forbidden, FuseError, ValidationFailed
from engine.history.reading import instance_history
from engine.identity.users import Actor
from engine.incidents.incidents import incident_tasks, rearm_incidents
from engine.runtime.live import LiveInstance, open_live_instance
from engine.runtime.saving import save_live_instance
from engine.store.models import ProcessInstance
from engine.history.replay import last_entry, variables_before
from engine.store.states import InstanceState
from engine.runtime.tokens import (
    arrive_at_join, boundary_events_of, branch_into, cancel_token, entry_spec, holder_of, is_boundary_event,
    is_join, is_token, place_token, running_scopes, scope_chain, tokens, tokens_at, unfit_target,
)

ACTIVE, FAILED = InstanceState.ACTIVE, InstanceState.FAILED


def open_for_repair(session: Session, instance_id: str, actor: Actor, reason: str | None) -> LiveInstance:
    """Check the caller may repair and said why, then open the instance under its lock."""
    if not actor.is_admin:
        raise Forbidden(f"{actor.name} may not repair instances: the admin group is required")
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed("a reason is required: say why the instance is repaired", field="reason")
    return open_live_instance(session, instance_id)


def require_state(live: LiveInstance, *allowed: InstanceState, doing: str) -> None:
    if live.state in allowed:
        return
    hint = " (resume it first)" if live.state == InstanceState.SUSPENDED else ""
    raise Conflict(f"cannot {doing} an instance that is {live.state.value}{hint}")


def token_activities(live: LiveInstance) -> list[str]:
    """The activity of each token, one entry per token."""
    return [t.task_spec.bpmn_id for t in tokens(live.workflow) if getattr(t.task_spec, "bpmn_id", None)]


def snapshot(live: LiveInstance) -> dict:
    """What a repair event records of the instance before and after."""
    return {"state": live.row.state, "definition_id": live.row.definition_id,
            "active_activities": token_activities(live)}


def repair(live: LiveInstance, actor: Actor, reason: str, event: str, surgery: Callable[[], None], *,
           lands_tokens: bool = False, **details) -> None:
    """Do `surgery`, record `event`, then run the instance on if it is active.

    When the surgery puts tokens down (`lands_tokens`), the model can fail where a token lands (an
    input mapping, a sub-process that cannot start): the instance then fails there, as it would
    have on arrival. Any other error is a bug and leaves the instance as it was (rolled back).
    """
    before, failure = snapshot(live), None
    try:
        surgery()
    except FuseError:
        raise
    except Exception as err:  # noqa: BLE001 - a failure of the model fails the instance, not the request
        if not lands_tokens:
            raise
        failure = err
    live.history.record(event, actor=actor.name, data={
        "reason": reason.strip(), **details, "before": before, "after": snapshot(live)})
    live.observer.scan()
    if failure is not None:
        live.fail(failure, actor.name)
    elif live.state == ACTIVE:
        live.run(actor=actor.name, person=actor)


def _reactivate(live: LiveInstance) -> None:
    live.row.state, live.row.error = ACTIVE.value, None


def retry_instance(session: Session, instance_id: str, actor: Actor, reason: str | None) -> ProcessInstance:
    """Run again what failed: activities in error (a failed instance) and open incidents."""
    live = open_for_repair(session, instance_id, actor, reason)
    require_state(live, ACTIVE, FAILED, doing="retry")
    failed = [t for t in tokens(live.workflow) if t.state == TaskState.ERROR]
    waiting = incident_tasks(live)
    if live.state != FAILED and not waiting:
        raise Conflict(f"instance {instance_id} has nothing to retry: it has not failed and has no open incident")

    def rerun() -> None:
        for task in failed:
            # Back to READY with its data as it is now (variables patched since the failure included).
            task._set_state(TaskState.READY)
        rearm_incidents(session, live, actor)
        _reactivate(live)

    repair(live, actor, reason, "instance_retried", rerun,
           activities=[t.task_spec.bpmn_id for t in failed + waiting])
    save_live_instance(session, live)
    return live.row


@dataclass
class Move:
    """A checked move: the token to take away and where its replacement goes."""

    token: object        # the task holding the token at from_activity_id
    holder: object       # the task in the target's scope the token leaves from (the token itself, or a sub-process)
    spec: object         # the target's entry spec
    branch: object = None  # for a joining gateway: the input the token arrives by


def _unknown_target(live: LiveInstance, activity_id: str, where: str) -> ValidationFailed:
    top = live.workflow
    specs = [top.spec, *top.subprocess_specs.values()]
    if any(spec_name(activity_id) in s.task_specs for s in specs) or activity_id in live.definition.activities:
        return ValidationFailed(f"activity {activity_id} is inside a sub-process that is not running {where}: "
                                "put the token on that sub-process instead", activity_id=activity_id)
    return ValidationFailed(f"activity {activity_id} does not exist in process definition {live.row.definition_id}",
                            activity_id=activity_id)


def _check_target(spec, activity_id: str) -> None:
    if why := unfit_target(spec):
        raise ValidationFailed(f"activity {activity_id} {why}", activity_id=activity_id)


def plan_move(live: LiveInstance, from_activity_id: str, to_activity_id: str) -> Move:
    """Check a move without changing anything (ValidationFailed naming the activity at fault)."""
    found = tokens_at(live.workflow, from_activity_id)
    if len(found) != 1:
        where = ", ".join(sorted(set(token_activities(live)))) or "none"
        detail = (f"activity {from_activity_id} holds no token (tokens are at: {where})" if not found else
                  f"activity {from_activity_id} holds {len(found)} tokens: a move takes exactly one")
        raise ValidationFailed(detail, activity_id=from_activity_id)
    token = found[0]
    if is_boundary_event(token):
        raise ValidationFailed(f"activity {from_activity_id} is a boundary event: move the activity it is "
                               "attached to", activity_id=from_activity_id)
    for workflow, holder in scope_chain(token):
        if (spec := entry_spec(workflow, to_activity_id)) is not None:
            break
    else:
        raise _unknown_target(live, to_activity_id, f"around {from_activity_id}")
    _check_target(spec, to_activity_id)
    move = Move(token, holder, spec)
    if is_join(spec):
        move.branch = branch_into(spec, holder.task_spec)
        if move.branch is None:
            raise ValidationFailed(f"activity {to_activity_id} joins branches, and the token at "
                                   f"{from_activity_id} is on none of them", activity_id=to_activity_id)
    return move


def move_token(session: Session, instance_id: str, actor: Actor, from_activity_id: str, to_activity_id: str,
               reason: str | None) -> ProcessInstance:
    """Cancel the token at one activity and start one at another, carrying the token's data.

    A failed instance becomes active and runs on, unless another activity is still in error.
    """
    live = open_for_repair(session, instance_id, actor, reason)
    require_state(live, ACTIVE, FAILED, doing="move a token of")
    move = plan_move(live, from_activity_id, to_activity_id)

    def surgery() -> None:
        data = deepcopy(move.token.data)
        cancel_token(move.token)
        if move.holder is not move.token:
            cancel_token(move.holder)  # the token leaves its sub-process, which ends with it
        if move.branch is not None:
            arrival, _ = arrive_at_join(move.holder, move.branch, move.spec, data)
            live.observer.ignore(arrival)
        else:
            place_token(move.holder, move.spec, data)
        if live.state == FAILED and not any(t.state == TaskState.ERROR for t in tokens(live.workflow)):
            _reactivate(live)

    repair(live, actor, reason, "token_moved", surgery, lands_tokens=True, from_activity_id=from_activity_id,
           to_activity_id=to_activity_id)
    save_live_instance(session, live)
    return live.row


def _rewind_scope(live: LiveInstance, activity_id: str):
    """(scope, entry spec) of the running scope that holds the activity, outermost first."""
    for workflow in running_scopes(live.workflow):
        if (spec := entry_spec(workflow, activity_id)) is not None:
            return workflow, spec
    raise _unknown_target(live, activity_id, "any more")


def rewind_instance(session: Session, instance_id: str, actor: Actor, to_activity_id: str,
                    reason: str | None) -> ProcessInstance:
    """Take the instance back to when an activity was last entered: every token is cancelled, one
    starts at the activity, and the variables are those it had then (replayed from the history)."""
    live = open_for_repair(session, instance_id, actor, reason)
    require_state(live, ACTIVE, FAILED, doing="rewind")
    events = instance_history(session, instance_id)
    entry = last_entry(events, to_activity_id)
    if entry is None:
        raise ValidationFailed(f"activity {to_activity_id} was never entered: there is no point to rewind to",
                               activity_id=to_activity_id)
    scope, spec = _rewind_scope(live, to_activity_id)
    _check_target(spec, to_activity_id)
    if is_join(spec):
        raise ValidationFailed(f"activity {to_activity_id} joins branches: rewind to an activity before or "
                               "after it", activity_id=to_activity_id)
    current = live.variables()
    restored = variables_before(events, entry.seq, current)
    holders = []  # the sub-process tasks around the scope stay (with their boundary events)
    workflow = scope
    while (holder := holder_of(workflow)) is not None:
        holders.append(holder)
        workflow = holder.workflow
    kept = holders + [event for holder in holders for event in boundary_events_of(holder)]

    def surgery() -> None:
        old = [t for t in tokens(live.workflow) if t not in kept]
        for holder in holders:
            holder.data = deepcopy(restored)
        for task in old:
            if is_token(task):
                cancel_token(task)
        in_scope = [t for t in old if t.workflow is scope]
        parent = (max(in_scope, key=lambda t: t.last_state_change) if in_scope
                  else scope.last_task or scope.task_tree)
        place_token(parent, spec, restored)
        _reactivate(live)

    repair(live, actor, reason, "instance_rewound", surgery, lands_tokens=True, to_activity_id=to_activity_id,
           variables={"before": current, "after": restored})
    save_live_instance(session, live)
    return live.row
