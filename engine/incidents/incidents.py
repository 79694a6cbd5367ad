"""Incidents: a handler ran out of tries. Someone retries it, or resolves it with the outputs."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bpmn.specs import SERVICE_DONE
from engine.runtime.async_boundaries import EXTERNAL, INCIDENT, release, tasks_marked
from engine.errors import Conflict, Forbidden
from engine.identity.users import Actor
from engine.jobs.failures import skip_parked_firing, unpark_job
from engine.runtime.live import LiveInstance, open_live_instance
from engine.runtime.saving import save_live_instance
from engine.store.lookup import get_or_raise
from engine.store.models import Incident, utcnow
from engine.runtime.observer import all_workflows
from engine.runtime.retry_policy import retry_policy
from engine.runtime.service_calls import ATTEMPTS, HANDLER_OUTPUTS, INCIDENT_ERROR
from engine.store.states import InstanceState
from engine.store.variable_values import check_variables
from engine.tasks.external_tasks import restore_retries

OPEN, RESOLVED = "open", "resolved"


def sync_incidents(session: Session, live: LiveInstance) -> None:
    """A row for every task that carries an incident marker; a terminated instance's are resolved."""
    if live.state == InstanceState.TERMINATED:
        for incident in session.scalars(select(Incident).where(Incident.instance_id == live.row.id,
                                                               Incident.state == OPEN)):
            incident.state, incident.resolved_at = RESOLVED, utcnow()
        return
    for task in incident_tasks(live):
        incident_id = task.internal_data[INCIDENT]
        if session.get(Incident, incident_id) is None:
            session.add(Incident(id=incident_id, instance_id=live.row.id, task_id=str(task.id),
                                 activity_id=task.task_spec.bpmn_id, state=OPEN, created_at=utcnow(),
                                 error=task.internal_data.get(INCIDENT_ERROR, "")))


def list_incidents(session: Session, process_instance_id: str | None = None, state: str | None = None,
                   process_definition_id: str | None = None) -> list[Incident]:
    query = select(Incident)
    if process_instance_id:
        query = query.where(Incident.instance_id == process_instance_id)
    if process_definition_id:
        query = query.where(Incident.definition_id == process_definition_id)
    if state:
        query = query.where(Incident.state == state)
    return list(session.scalars(query.order_by(Incident.created_at)))


def _open(session: Session, incident_id: str, actor: Actor) -> tuple[Incident, LiveInstance, object]:
    _require_admin(actor)
    incident = get_or_raise(session, Incident, incident_id, "incident")
    if incident.instance_id is None:  # a definition's incident: its parked job is all there is
        raise Conflict(f"incident {incident_id} is already {incident.state}" if incident.state != OPEN
                       else f"incident {incident_id} no longer has a job waiting")
    live = open_live_instance(session, incident.instance_id)
    session.refresh(incident)
    if incident.state != OPEN:
        raise Conflict(f"incident {incident_id} is already {incident.state}")
    task = next((t for t in incident_tasks(live) if t.internal_data.get(INCIDENT) == incident_id), None)
    if task is None:
        raise Conflict(f"incident {incident_id} no longer has a task waiting")
    return incident, live, task


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden(f"{actor.name} may not handle incidents: the admin group is required")


def _close(incident: Incident, actor: Actor) -> None:
    incident.state, incident.resolved_at, incident.resolved_by = RESOLVED, utcnow(), actor.name


def _rearm(live: LiveInstance, incident: Incident, task, actor: Actor) -> None:
    """Let the failed handler run once more when the instance next runs; the incident closes."""
    release(task)
    task.internal_data[ATTEMPTS] = retry_policy(task.task_spec.extensions).tries - 1
    task.internal_data.pop(EXTERNAL, None)
    restore_retries(task)
    _close(incident, actor)
    live.history.record("incident_retried", activity_id=incident.activity_id, actor=actor.name,
                        data={"incident_id": incident.id})


def retry_incident(session: Session, incident_id: str, actor: Actor) -> Incident:
    """Run the failed handler (or job) once more, now (a new incident opens if it fails again)."""
    if parked := _retry_parked_job(session, incident_id, actor):
        return parked
    incident, live, task = _open(session, incident_id, actor)
    _rearm(live, incident, task, actor)
    live.run(actor=actor.name, person=actor)
    save_live_instance(session, live)
    return incident


def _retry_parked_job(session: Session, incident_id: str, actor: Actor) -> Incident | None:
    """An incident of a job whose instance could not be marked (engine.jobs.failures): its job runs again."""
    _require_admin(actor)
    incident = get_or_raise(session, Incident, incident_id, "incident")
    if incident.state != OPEN or not unpark_job(session, incident_id):
        if incident.instance_id is None and incident.state == OPEN:
            raise Conflict(f"incident {incident_id} no longer has a job waiting (its schedule was replaced)")
        return None
    _close(incident, actor)
    return incident


def _skip_timer_start_firing(session: Session, incident_id: str, actor: Actor) -> Incident | None:
    """An incident of a definition (its timer start job kept failing): resolving it skips the failed
    firing (there is no instance to give outputs to); the schedule goes on."""
    _require_admin(actor)
    incident = get_or_raise(session, Incident, incident_id, "incident")
    if incident.instance_id is not None:
        return None
    if incident.state != OPEN:
        raise Conflict(f"incident {incident_id} is already {incident.state}")
    skip_parked_firing(session, incident_id)
    _close(incident, actor)
    return incident


def incident_tasks(live: LiveInstance) -> list:
    """The tasks of an instance that wait at an open incident."""
    return tasks_marked(all_workflows(live.workflow), INCIDENT)


def rearm_incidents(session: Session, live: LiveInstance, actor: Actor) -> None:
    """Re-arm every open incident of an instance the caller has opened (and will run and save)."""
    for task in incident_tasks(live):
        incident = session.get(Incident, task.internal_data[INCIDENT])
        if incident is not None and incident.state == OPEN:
            _rearm(live, incident, task, actor)


def resolve_incident(session: Session, incident_id: str, actor: Actor, variables: dict) -> Incident:
    """Skip the failed handler: its outputs are the given variables, and the instance moves on."""
    check_variables(variables)
    if skipped := _skip_timer_start_firing(session, incident_id, actor):
        return skipped
    incident, live, task = _open(session, incident_id, actor)
    release(task)
    task.internal_data.pop(EXTERNAL, None)
    task.internal_data.pop(ATTEMPTS, None)
    task.data.update(variables)
    task.internal_data[HANDLER_OUTPUTS] = list(variables)
    task.internal_data[SERVICE_DONE] = True
    _close(incident, actor)
    live.history.record("incident_resolved", activity_id=incident.activity_id, actor=actor.name,
                        data={"incident_id": incident_id, "variables": variables})
    live.run(actor=actor.name, person=actor)
    save_live_instance(session, live)
    return incident
