"""Deployed definitions and deployments, read back: by id, by key, the newest version, the uploaded XML."""
from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.store.lookup import get_or_raise
from engine.store.lru import LruCache
from engine.store.models import Deployment, DeploymentResource, ProcessDefinition


def list_deployments(session: Session) -> list[Deployment]:
    return list(session.scalars(select(Deployment).order_by(Deployment.created_at.desc())))


def get_deployment(session: Session, deployment_id: str) -> Deployment:
    return get_or_raise(session, Deployment, deployment_id, "deployment")


def list_definitions(session: Session, key: str | None = None, latest: bool = False) -> list[ProcessDefinition]:
    """Definitions, optionally of one key and/or only the newest version of each key."""
    query = select(ProcessDefinition)
    if key:
        query = query.where(ProcessDefinition.key == key)
    if latest:
        newest = (select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
                  .group_by(ProcessDefinition.key).subquery())
        query = query.join(newest, (ProcessDefinition.key == newest.c.key)
                           & (ProcessDefinition.version == newest.c.version))
    return list(session.scalars(query.order_by(ProcessDefinition.key, ProcessDefinition.version)))


def get_definition(session: Session, definition_id: str) -> ProcessDefinition:
    return get_or_raise(session, ProcessDefinition, definition_id, "process definition")


class DefinitionRows:
    """Definitions read by running instances, kept per process: a definition's row never changes once it is
    deployed (its id holds a UUID, so a new deployment is a new id), so every command after the first on the
    same definition reads it from here instead of the database. The rows are detached and shared: read only.
    A deleted definition has no instances left to open, so an entry never answers for something gone."""

    def __init__(self, size: int = 512):
        self._rows: LruCache[ProcessDefinition] = LruCache(size)

    def get(self, session: Session, definition_id: str) -> ProcessDefinition:
        row = self._rows.get(definition_id, None)
        if row is not None:
            return row
        row = get_definition(session, definition_id)
        if row in session.dirty or row in session.new:
            return row  # being written in this transaction (a deploy): not yet what others will read
        detached = ProcessDefinition(**{column.key: getattr(row, column.key)
                                        for column in ProcessDefinition.__table__.columns
                                        if column.key != "spec_json"})
        return self._rows.keep(definition_id, detached)


DEFINITION_ROWS = DefinitionRows()


def spec_json(session: Session, definition_id: str) -> str:
    """A definition's spec JSON (deferred on the row: read only when the spec cache misses)."""
    return session.scalar(select(ProcessDefinition.spec_json).where(ProcessDefinition.id == definition_id))


_DEFINITIONS = ProcessDefinition.__table__
# A Core statement built once: building and compiling an ORM select cost more than running it.
_LATEST_ID = (select(_DEFINITIONS.c.id).where(_DEFINITIONS.c.key == bindparam("wanted_key"))
              .order_by(_DEFINITIONS.c.version.desc()).limit(1))


def latest_definition_id(session: Session, key: str) -> str:
    """The id of the newest version of a key (on the hot path of every start by key: one indexed query that
    reads one column; the row then comes from DEFINITION_ROWS)."""
    found = session.connection().execute(_LATEST_ID, {"wanted_key": key}).scalar()
    if found is None:
        raise NotFound(f"no process definition with key {key}")
    return found


def latest_definition(session: Session, key: str) -> ProcessDefinition:
    """The newest version of a key (on the hot path of every start: one indexed query)."""
    found = session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)
                            .order_by(ProcessDefinition.version.desc()).limit(1)).first()
    if found is None:
        raise NotFound(f"no process definition with key {key}")
    return found


def definition_xml(session: Session, definition_id: str) -> bytes:
    """The BPMN file the definition was deployed from, byte for byte."""
    definition = get_definition(session, definition_id)
    resource = session.scalars(select(DeploymentResource).where(
        DeploymentResource.deployment_id == definition.deployment_id,
        DeploymentResource.name == definition.resource_name)).one()
    return resource.content


def called_definition(session: Session, key: str, *, version: int | None = None,
                      version_tag: str | None = None) -> ProcessDefinition | None:
    """The runnable definition a call activity calls: the newest version of `key` (with `version_tag` if given),
    or exactly `version`; None when there is none."""
    query = select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.executable.is_(True))
    if version is not None:
        query = query.where(ProcessDefinition.version == version)
    if version_tag is not None:
        query = query.where(ProcessDefinition.version_tag == version_tag)
    return session.scalars(query.order_by(ProcessDefinition.version.desc()).limit(1)).first()
