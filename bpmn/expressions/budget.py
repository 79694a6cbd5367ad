"""One budget of work per top-level evaluation: iterations, size of what it builds, and time.

A FEEL `for` inside a `for` inside a `for` multiplies per-loop caps, and a context whose entries
each double the one before grows exponentially with the text; only a budget shared by the whole
evaluation bounds both. `begin()` opens a fresh one (a thread-local slot set to None: cheap,
because most evaluations never loop or build large values); the first `step` or `grow` creates
the budget, so its clock starts then. Both raise BudgetExceeded, an ExpressionError. The clock is
the thread's CPU time: what freezes other threads is the time this one holds the interpreter, and
a loaded machine must not fail expressions that waited for a core.
"""
from __future__ import annotations

import threading
import time

from bpmn.expressions.errors import ExpressionError

MAX_STEPS = 1_000_000      # loop iterations and filter tests, summed over the whole evaluation
MAX_SIZE = 10_000_000      # characters and list items of the large values it builds
TIME_LIMIT_S = 2.0
# Values smaller than this are not charged: the budget is for what grows, not for every value.
CHARGE_FROM = 1024
_CHECK_EVERY = 1024        # steps between looks at the clock

_slot = threading.local()


class BudgetExceeded(ExpressionError):
    """An evaluation went past its iterations, size or time."""


class Budget:
    __slots__ = ("steps", "size", "deadline", "next_check")

    def __init__(self) -> None:
        self.steps = self.size = 0
        self.next_check = _CHECK_EVERY
        self.deadline = time.thread_time() + TIME_LIMIT_S

    def step(self, count: int = 1, position: int | None = None) -> None:
        self.steps += count
        if self.steps > MAX_STEPS:
            raise BudgetExceeded(f"more than {MAX_STEPS} iterations in one evaluation", position=position)
        if self.steps >= self.next_check:
            self.next_check = self.steps + _CHECK_EVERY
            if time.thread_time() > self.deadline:
                raise BudgetExceeded(f"evaluation took more than {TIME_LIMIT_S} s", position=position)

    def grow(self, size: int) -> None:
        self.size += size
        if self.size > MAX_SIZE:
            raise BudgetExceeded(f"the values built would pass {MAX_SIZE} characters or items")


def begin() -> None:
    """Start a new top-level evaluation in this thread."""
    _slot.budget = None


def current() -> Budget:
    """This thread's budget for the evaluation under way (created on first use)."""
    budget = getattr(_slot, "budget", None)
    if budget is None:
        budget = _slot.budget = Budget()
    return budget


def charge_size(value: object) -> None:
    """Count a built string or list against the budget when it is large."""
    try:
        size = len(value)  # type: ignore[arg-type]
    except TypeError:
        return
    if size >= CHARGE_FROM:
        current().grow(size)
