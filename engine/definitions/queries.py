"""Deployments and definitions found by filters, sorted by a named column: the queries of clients that
filter, sort and page on the server (Camunda 7's REST API). Paging is engine.store.paging.window."""
from __future__ import annotations

from sqlalchemy import Select, func, select

from engine.errors import BadRequest
from engine.store.models import Deployment, ProcessDefinition

DEPLOYMENT_SORTS = {"id": Deployment.id, "name": Deployment.name, "deploymentTime": Deployment.created_at,
                    "source": Deployment.source}
DEFINITION_SORTS = {"id": ProcessDefinition.id, "key": ProcessDefinition.key, "name": ProcessDefinition.name,
                    "version": ProcessDefinition.version, "deploymentId": ProcessDefinition.deployment_id,
                    "deployTime": ProcessDefinition.created_at, "versionTag": ProcessDefinition.version_tag}


def sorted_by(query: Select, columns: dict, sort_by: str | None, descending: bool, tie_breaker) -> Select:
    """`query` ordered by the column named `sort_by` (one of `columns`), then by `tie_breaker` so pages are stable."""
    if sort_by is None:
        return query.order_by(tie_breaker)
    if sort_by not in columns:
        raise BadRequest(f"cannot sort by {sort_by!r}: one of {', '.join(columns)}")
    column = columns[sort_by]
    return query.order_by(column.desc() if descending else column.asc(), tie_breaker)


def deployments_where(*, id: str | None = None, name: str | None = None, name_like: str | None = None,
                      source: str | None = None, sort_by: str | None = None, descending: bool = False) -> Select:
    """Deployments matching every filter given; `name_like` is an SQL LIKE pattern (% and _)."""
    query = select(Deployment)
    if id is not None:
        query = query.where(Deployment.id == id)
    if name is not None:
        query = query.where(Deployment.name == name)
    if name_like is not None:
        query = query.where(Deployment.name.like(name_like))
    if source is not None:
        query = query.where(Deployment.source == source)
    return sorted_by(query, DEPLOYMENT_SORTS, sort_by, descending, Deployment.created_at)


def definitions_where(*, id: str | None = None, key: str | None = None, key_like: str | None = None,
                      name: str | None = None, name_like: str | None = None, version: int | None = None,
                      deployment_id: str | None = None, latest: bool = False, version_tag: str | None = None,
                      sort_by: str | None = None, descending: bool = False) -> Select:
    """Process definitions matching every filter given; `latest`: only the newest version of each key."""
    query = select(ProcessDefinition)
    for column, value in ((ProcessDefinition.id, id), (ProcessDefinition.key, key), (ProcessDefinition.name, name),
                          (ProcessDefinition.version, version), (ProcessDefinition.deployment_id, deployment_id),
                          (ProcessDefinition.version_tag, version_tag)):
        if value is not None:
            query = query.where(column == value)
    if key_like is not None:
        query = query.where(ProcessDefinition.key.like(key_like))
    if name_like is not None:
        query = query.where(ProcessDefinition.name.like(name_like))
    if latest:
        newest = (select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
                  .group_by(ProcessDefinition.key).subquery())
        query = query.join(newest, (ProcessDefinition.key == newest.c.key)
                           & (ProcessDefinition.version == newest.c.version))
    return sorted_by(query, DEFINITION_SORTS, sort_by, descending, ProcessDefinition.id)
