"""Who may start a process definition.

Admins may start anything, and so may users or groups granted CREATE_INSTANCE on the definition's key (or on
'*'). A process naming camunda:candidateStarterUsers or candidateStarterGroups may be started by those; one
naming neither by whom FUSE_DEFAULT_START says: `everyone` (the default) or `admins`.
"""
from __future__ import annotations

import os
from enum import Enum

from sqlalchemy.orm import Session

from engine.errors import Forbidden
from engine.identity.authorizations import ANY, Permission, ResourceType, granted_ids
from engine.identity.users import Actor
from engine.store.models import ProcessDefinition

DEFAULT_START_VARIABLE = "FUSE_DEFAULT_START"


class DefaultStart(str, Enum):
    EVERYONE = "everyone"
    ADMINS = "admins"


def default_start() -> DefaultStart:
    """Who starts a definition that names no candidate starters; ValueError for a value Fuse does not know."""
    value = os.environ.get(DEFAULT_START_VARIABLE, DefaultStart.EVERYONE.value).strip().lower()
    try:
        return DefaultStart(value)
    except ValueError:
        raise ValueError(f"{DEFAULT_START_VARIABLE}={value!r} is not one of "
                         + ", ".join(d.value for d in DefaultStart)) from None


def _named_starter(actor: Actor, starters: dict) -> bool:
    return actor.name in starters.get("users", []) or bool(actor.groups.intersection(starters.get("groups", [])))


def may_start(session: Session, actor: Actor, definition: ProcessDefinition) -> bool:
    if actor.is_admin:
        return True
    granted = granted_ids(session, actor, ResourceType.PROCESS_DEFINITION, Permission.CREATE_INSTANCE)
    if ANY in granted or definition.key in granted:
        return True
    if definition.starters:
        return _named_starter(actor, definition.starters)
    return default_start() == DefaultStart.EVERYONE


def check_start(session: Session, actor: Actor, definition: ProcessDefinition) -> None:
    """Forbidden unless the actor may start the definition."""
    if not may_start(session, actor, definition):
        raise Forbidden(f"{actor.name} may not start process {definition.key}: "
                        + ("it names its candidate starters" if definition.starters
                           else "only admins start processes that name no candidate starters here"))


def startable(session: Session, actor: Actor, definitions: list[ProcessDefinition]) -> list[ProcessDefinition]:
    """The definitions among these the actor may start (for the start page)."""
    return [d for d in definitions if may_start(session, actor, d)]
