"""Who a token belongs to and what is granted to whom, remembered for a few seconds.

Every API request proves who calls with a token, and most then ask what the caller may read: two to four
queries before the work starts, each costing more than the work's own statements on a small command. Tokens,
users, groups and grants change rarely, so the answers are kept for FUSE_IDENTITY_CACHE_S seconds (default 5;
0 asks the database every time). A change to those tables made in this process forgets everything at once (an
ORM flush, or an UPDATE/DELETE statement, on them; and again when that transaction commits, in case another
request read the old rows meanwhile). A change made by another process (`fuse token revoke` beside a running
server, a second `fuse serve`) is seen within those seconds. Failed lookups are never remembered.
"""
from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from itertools import chain
from typing import Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

ENV_VARIABLE = "FUSE_IDENTITY_CACHE_S"
DEFAULT_SECONDS = 5.0
IDENTITY_TABLES = frozenset({"users", "user_groups", "api_tokens", "authorizations"})
_CHANGED = "fuse.identity_changed"  # session.info flag: this transaction wrote identity rows

Value = TypeVar("Value")


def cache_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get(ENV_VARIABLE, DEFAULT_SECONDS)))
    except ValueError:
        return DEFAULT_SECONDS


class ExpiringMemo(Generic[Value]):
    """Values by key for a while (bounded in number; the oldest go first), all forgotten by forget()."""

    def __init__(self, size: int = 4096):
        self.size = size
        self._values: OrderedDict[object, tuple[float, Value]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key) -> Value | None:
        with self._lock:
            found = self._values.get(key)
            if found is None:
                return None
            if found[0] <= time.monotonic():
                del self._values[key]
                return None
            return found[1]

    def put(self, key, value: Value, seconds: float | None = None) -> None:
        """Keep `value` for the configured time, or for `seconds` if that is shorter (a token that expires)."""
        keep = cache_seconds() if seconds is None else min(seconds, cache_seconds())
        if keep <= 0:
            return
        with self._lock:
            self._values[key] = (time.monotonic() + keep, value)
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def forget(self) -> None:
        with self._lock:
            self._values.clear()


TOKENS: ExpiringMemo = ExpiringMemo()
GRANTS: ExpiringMemo = ExpiringMemo()


def forget_identities() -> None:
    TOKENS.forget()
    GRANTS.forget()


def _identity_rows(session: Session) -> bool:
    return any(getattr(row, "__tablename__", None) in IDENTITY_TABLES
               for row in chain(session.new, session.dirty, session.deleted))


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context, _instances) -> None:
    if _identity_rows(session):
        session.info[_CHANGED] = True
        forget_identities()


@event.listens_for(Session, "do_orm_execute")
def _on_statement(state) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in IDENTITY_TABLES:
        state.session.info[_CHANGED] = True
        forget_identities()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        forget_identities()


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous) -> None:
    session.info.pop(_CHANGED, None)
