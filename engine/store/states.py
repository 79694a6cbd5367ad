"""Statuses and kinds, stored as their string value."""
from __future__ import annotations

from enum import Enum


class InstanceState(str, Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    COMPLETED = "completed"
    TERMINATED = "terminated"
    FAILED = "failed"

    @property
    def is_ended(self) -> bool:
        return self in (InstanceState.COMPLETED, InstanceState.TERMINATED)


class UserTaskState(str, Enum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# What an event subscription waits for; a MESSAGE job hands a buffered message to a waiting task.
MESSAGE, SIGNAL = "message", "signal"
