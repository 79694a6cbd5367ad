"""A service-task handler that changes its own instance from another session while a command runs it, so that
tests of optimistic writes (a completion, a batch of jobs) can make the command's claim fail."""
from __future__ import annotations

from sqlalchemy.exc import OperationalError

from engine.identity.users import Actor
from engine.instances.commands import patch_variables

ADMIN = Actor("admin", frozenset({"admin"}))


class Meddler:
    """Register an instance with `registry.register(name)(meddler)`; `arm()` before each test."""

    def __init__(self):
        self.arm()

    def arm(self, sessions=None, instance_id: str | None = None, changes: int = 0) -> None:
        self.sessions, self.instance_id, self.changes_left = sessions, instance_id, changes
        self.calls = self.refused = 0

    def __call__(self, inputs, context) -> dict:
        """Commits `meddled` = this call's number to the instance, while changes are left."""
        self.calls += 1
        if self.changes_left:
            self.changes_left -= 1
            with self.sessions() as other:
                try:
                    patch_variables(other, self.instance_id, ADMIN, {"meddled": self.calls})
                    other.commit()
                except OperationalError:  # SQLite's "database is locked": the command holds the write lock
                    self.refused += 1
        return {"handled": self.calls}
