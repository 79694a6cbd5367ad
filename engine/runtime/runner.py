"""Drives a workflow until it waits: SpiffWorkflow's engine-step loop, with history and pruning.

We run our own loop instead of `BpmnWorkflow.do_engine_steps` so that every step is observed
(history), finished tasks are pruned as we go (flat per-step cost, no depth-1000 stall) and an
endless model loop stops at a step limit instead of hanging a request.
"""
from __future__ import annotations

import os

from SpiffWorkflow.util.task import TaskState

from bpmn.specs import SERVICE_DONE, ServiceTask
from bpmn.task_index import ready_in_order
from engine.runtime.async_boundaries import hold_successors, is_held
from engine.runtime.compensation import Compensator, is_compensating
from engine.runtime.event_routing import throws_and_waits
from engine.runtime.event_subprocesses import before_run, end_idle_scopes
from engine.runtime.observer import ActivityObserver
from engine.runtime.pruning import prune_finished, ready_tasks

DEFAULT_STEP_LIMIT = 100_000


class StepLimitExceeded(Exception):
    """The workflow kept running without ever waiting: most likely an endless loop in the model."""


def step_limit() -> int:
    return int(os.environ.get("FUSE_STEP_LIMIT", DEFAULT_STEP_LIMIT))


class Runner:
    """Runs the engine tasks of one workflow, recording and pruning after every step."""

    def __init__(self, workflow, observer: ActivityObserver, services=None, limit: int | None = None):
        self.workflow, self.observer, self.services = workflow, observer, services
        self.limit = limit or step_limit()
        self.steps = 0
        self.compensation = Compensator(observer.recorder, observer.activities)

    def run_until_wait(self) -> None:
        """Run every READY non-manual task, repeatedly, until only waits remain (timers that
        came due on the way fire too)."""
        self.observer.scan()
        while True:
            while self._pass():
                pass
            self.workflow.refresh_timers()
            if not self._runnable() and not end_idle_scopes(self.workflow):
                break
        self.observer.scan()

    def _runnable(self) -> bool:
        return any(t.state == TaskState.READY and not t.task_spec.manual and not is_held(t)
                   for wf in (self.workflow, *self.workflow.subprocesses.values())
                   for t in ready_tasks(wf))

    def _pass(self) -> bool:
        top = self.workflow
        active = top.get_active_subprocesses()
        progressed = False
        # Innermost sub-processes first, as SpiffWorkflow does.
        for sub in sorted(active, key=lambda wf: wf.depth, reverse=True):
            while self._run_ready(sub):
                progressed = True
            if sub.parent_task_id is not None:
                task = top.get_task_from_id(sub.parent_task_id)
                task.task_spec._update(task)
        progressed = self._run_ready(top) or progressed
        return progressed or len(top.get_active_subprocesses()) > len(active)

    def _needs_handler(self, task) -> bool:
        return (self.services is not None and isinstance(task.task_spec, ServiceTask)
                and not task.internal_data.get(SERVICE_DONE))

    def _run_ready(self, workflow) -> bool:
        ran = False
        for task in ready_in_order(workflow):
            # An earlier task of this batch may have cancelled or finished this one; a task at an
            # async boundary waits for its job.
            if task.state != TaskState.READY or task.task_spec.manual or is_held(task):
                continue
            self.steps += 1
            if self.steps > self.limit:
                raise StepLimitExceeded(
                    f"the instance ran {self.limit} steps without waiting (an endless loop in the model?)")
            if self._needs_handler(task) and not self.services.call(task):
                # The task now waits (retry, worker, incident), or its BPMN error moved the flow on.
                ran = ran or self.services.moved or task.state != TaskState.READY
                self.observer.scan()
                continue
            if is_compensating(task) and not self.compensation.advance(task):
                ran = True  # a compensation handler runs first; the event waits for it
                self.observer.scan()
                continue
            if throws_and_waits(task, self.observer.recorder):
                ran = True  # its catch event takes over; the thrower waits to be cancelled
                self.observer.scan()
                continue
            before_run(task)
            task.run()
            hold_successors(task)
            ran = True
            self.observer.scan()
            prune_finished(workflow, self.workflow)
        return ran
