"""Deleting a deployment: its resources, forms, definitions and timer-start jobs, and with `cascade` its instances.

As in Camunda 7, a deployment whose definitions still have instances is kept unless the caller asks for the
cascade. Camunda only counts running instances because it keeps finished ones in a separate history; Fuse
keeps finished instances (and their hash-chained history) in the same rows, which refer to their
definition, so any instance at all keeps the deployment unless `cascade` is given - and then the instances
and their history go with it.
"""
from __future__ import annotations

import logging

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine.definitions.catalog import get_deployment
from engine.errors import Conflict
from engine.store.models import Deployment, ProcessDefinition, ProcessInstance
from engine.store.states import InstanceState

log = logging.getLogger("fuse.deployment")
ENDED = (InstanceState.COMPLETED.value, InstanceState.TERMINATED.value)


def delete_deployment(session: Session, deployment_id: str, actor: str | None, *, cascade: bool = False) -> None:
    """Delete a deployment; Conflict (naming how many instances) if it has instances and `cascade` is false."""
    deployment = get_deployment(session, deployment_id)
    definition_ids = select(ProcessDefinition.id).where(ProcessDefinition.deployment_id == deployment.id)
    of_these = ProcessInstance.definition_id.in_(definition_ids)
    counts = dict(session.execute(select(ProcessInstance.state, func.count()).where(of_these)
                                  .group_by(ProcessInstance.state)).all())
    ended = sum(n for state, n in counts.items() if state in ENDED)
    running = sum(counts.values()) - ended
    if (running or ended) and not cascade:
        raise Conflict(f"deployment {deployment_id} has {running} running and {ended} finished instance(s); "
                       "delete it with cascade=true to delete them and their history too",
                       running=running, finished=ended)
    # Rows first, children before parents; the database's ON DELETE CASCADE takes the rest (history, tasks,
    # jobs, resources, forms).
    session.execute(delete(ProcessInstance).where(of_these), execution_options={"synchronize_session": False})
    session.execute(delete(ProcessDefinition).where(ProcessDefinition.deployment_id == deployment.id),
                    execution_options={"synchronize_session": False})
    session.execute(delete(Deployment).where(Deployment.id == deployment.id),
                    execution_options={"synchronize_session": False})
    session.expire_all()
    log.info("deployment deleted", extra={"deployment_id": deployment_id, "actor": actor,
                                           "instances_deleted": running + ended})
