"""Fuse's rows in the JSON shapes of Camunda 7's REST API (its DTOs), with their links.

Fuse has no tenants, categories, case or decision definitions, or definition suspension: those fields are
present with the value Camunda gives when unused (null, false) so clients that read them do not break.
"""
from __future__ import annotations

from api.camunda7.blueprint import link
from api.camunda7.variables import format_date
from engine.store.models import Deployment, ProcessDefinition, ProcessInstance
from engine.store.states import InstanceState


def deployment_dto(deployment: Deployment) -> dict:
    return {"links": [link("GET", f"/deployment/{deployment.id}", "self")], "id": deployment.id,
            "name": deployment.name, "source": deployment.source, "deploymentTime": format_date(deployment.created_at),
            "processApplicationId": None, "tenantId": None}


def deployment_with_definitions_dto(deployment: Deployment) -> dict:
    """What POST /deployment/create answers: the deployment and its definitions by id (null when none)."""
    definitions = {d.id: definition_dto(d) for d in deployment.definitions}
    return {**deployment_dto(deployment), "deployedProcessDefinitions": definitions or None,
            "deployedCaseDefinitions": None, "deployedDecisionDefinitions": None,
            "deployedDecisionRequirementsDefinitions": None}


def definition_dto(definition: ProcessDefinition) -> dict:
    return {"id": definition.id, "key": definition.key, "category": None, "description": None,
            "name": definition.name, "version": definition.version, "resource": definition.resource_name,
            "deploymentId": definition.deployment_id, "diagram": None, "suspended": False, "tenantId": None,
            "versionTag": definition.version_tag, "historyTimeToLive": None, "startableInTasklist": True}


def instance_dto(instance: ProcessInstance) -> dict:
    """A process instance; `ended` is true once it completed or was deleted (terminated)."""
    return {"links": [link("GET", f"/process-instance/{instance.id}", "self")], "id": instance.id,
            "definitionId": instance.definition_id, "definitionKey": instance.definition_key,
            "businessKey": instance.business_key, "caseInstanceId": None,
            "ended": InstanceState(instance.state).is_ended,
            "suspended": instance.state == InstanceState.SUSPENDED.value, "tenantId": None}
