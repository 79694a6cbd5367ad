"""Grants after Camunda 7's authorization resource: who may read or start what beyond the built-in rules.

A grant names a resource type (a process definition, by key; or a process instance, by id), a resource id or
'*' for every resource of that type, one user or one group, and permissions. Only grants exist (Camunda's
global and revoke authorizations do not): what nobody granted stays with the built-in rules. Every grant and
removal is written to `authorization_events`, the grants' audit log.
"""
from __future__ import annotations

from enum import Enum

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.errors import BadRequest, NotFound
from engine.identity.identity_cache import GRANTS
from engine.identity.users import Actor
from engine.store.models import Authorization, AuthorizationEvent, utcnow

ANY = "*"


class ResourceType(str, Enum):
    PROCESS_DEFINITION = "process_definition"
    PROCESS_INSTANCE = "process_instance"


class Permission(str, Enum):
    READ = "READ"  # on a definition: read its instances; on an instance: read it
    READ_INSTANCE = "READ_INSTANCE"  # Camunda 7's name for reading a definition's instances: the same as READ here
    CREATE_INSTANCE = "CREATE_INSTANCE"  # on a definition only: start it
    ALL = "ALL"


# What each resource type can grant (Camunda 7 likewise refuses permissions a resource type does not have).
ALLOWED = {
    ResourceType.PROCESS_DEFINITION: {Permission.READ, Permission.READ_INSTANCE, Permission.CREATE_INSTANCE,
                                      Permission.ALL},
    ResourceType.PROCESS_INSTANCE: {Permission.READ, Permission.ALL},
}


class AuditAction(str, Enum):
    GRANTED = "granted"
    REMOVED = "removed"


def _resource_type(value: str) -> ResourceType:
    try:
        return ResourceType(value)
    except ValueError:
        raise BadRequest(f"unknown resource type {value!r}: use "
                         + " or ".join(t.value for t in ResourceType)) from None


def _permissions(resource_type: ResourceType, names: list[str]) -> list[str]:
    if not names:
        raise BadRequest("a grant needs at least one permission")
    chosen = []
    for name in names:
        try:
            permission = Permission(str(name).upper())
        except ValueError:
            raise BadRequest(f"unknown permission {name!r}: use "
                             + ", ".join(p.value for p in ALLOWED[resource_type])) from None
        if permission not in ALLOWED[resource_type]:
            raise BadRequest(f"{permission.value} cannot be granted on a {resource_type.value}")
        if permission.value not in chosen:
            chosen.append(permission.value)
    return chosen


def as_record(row: Authorization) -> dict:
    """A grant as plain data (what the audit log keeps and the API answers)."""
    return {"id": row.id, "resource_type": row.resource_type, "resource_id": row.resource_id,
            "user_id": row.user_id, "group_id": row.group_id, "permissions": list(row.permissions)}


def _audit(session: Session, action: AuditAction, row: Authorization, actor: str | None) -> None:
    session.add(AuthorizationEvent(at=utcnow(), actor=actor, action=action.value, authorization_id=row.id,
                                   authorization=as_record(row)))


def add_authorization(session: Session, actor: str | None, *, resource_type: str, resource_id: str,
                      permissions: list[str], user_id: str | None = None,
                      group_id: str | None = None) -> Authorization:
    """Grant `permissions` on a resource to exactly one user or group; recorded in the audit log."""
    kind = _resource_type(resource_type)
    if bool(user_id) == bool(group_id):
        raise BadRequest("a grant names exactly one of user_id and group_id")
    if not (resource_id or "").strip():
        raise BadRequest(f"a grant needs a resource id (a {kind.value} id, or '*' for all)")
    row = Authorization(resource_type=kind.value, resource_id=resource_id.strip(), user_id=user_id or None,
                        group_id=group_id or None, permissions=_permissions(kind, permissions),
                        created_at=utcnow(), created_by=actor)
    session.add(row)
    session.flush()
    _audit(session, AuditAction.GRANTED, row, actor)
    session.flush()
    return row


def list_authorizations(session: Session) -> list[Authorization]:
    """Every grant, oldest first."""
    return list(session.scalars(select(Authorization).order_by(Authorization.id)))


def remove_authorization(session: Session, authorization_id: int | str, actor: str | None) -> Authorization:
    """Withdraw a grant; recorded in the audit log with the grant as it was."""
    text = str(authorization_id)
    # Ids are small whole numbers: anything else (or out of the column's range) names no grant.
    row = session.get(Authorization, int(text)) if text.isascii() and text.isdigit() and len(text) < 10 else None
    if row is None:
        raise NotFound(f"authorization {authorization_id} does not exist")
    _audit(session, AuditAction.REMOVED, row, actor)
    session.delete(row)
    session.flush()
    return row


def authorization_log(session: Session) -> list[AuthorizationEvent]:
    """The grants' audit log, oldest first."""
    return list(session.scalars(select(AuthorizationEvent).order_by(AuthorizationEvent.id)))


def granted_ids(session: Session, actor: Actor, resource_type: ResourceType, *permissions: Permission) -> set[str]:
    """The resource ids (ANY among them when granted on all) on which the actor or one of its groups holds one
    of `permissions` (or ALL)."""
    key = (actor.name, actor.groups, resource_type, permissions)
    if (known := GRANTS.get(key)) is not None:
        return set(known)
    holders = [Authorization.user_id == actor.name]
    if actor.groups:
        holders.append(Authorization.group_id.in_(sorted(actor.groups)))
    rows = session.scalars(select(Authorization).where(Authorization.resource_type == resource_type.value,
                                                       or_(*holders)))
    wanted = {p.value for p in permissions} | {Permission.ALL.value}
    found = frozenset(row.resource_id for row in rows if wanted.intersection(row.permissions))
    GRANTS.put(key, found)
    return set(found)
