"""An inclusive gateway whose join looks back through the model with a loop, not recursion.

When a token reaches an inclusive join, SpiffWorkflow 3.2 walks back from each arrived input through
the specs' inputs (a nested call per element) to find whether an unfinished token could still come:
a join behind a chain of about a thousand elements failed the instance with RecursionError. This is
the same walk (the library's closure returns on the first unchecked input, so it is a path: a loop),
with a set for what was checked. Everything else is the library's.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.defaults import InclusiveGateway as SpiffInclusiveGateway
from SpiffWorkflow.util.task import TaskState


class InclusiveGateway(SpiffInclusiveGateway):
    """SpiffWorkflow's inclusive gateway with an iterative join check (same name: stored specs load as it)."""

    def _check_threshold_unstructured(self, my_task):
        tasks, sources = [], []
        for task in my_task.workflow.get_tasks(end_at_spec=self.name):
            if task.task_spec == self:
                tasks.append(task)
            elif task.has_state(TaskState.READY | TaskState.WAITING):
                sources.append(task.task_spec)
        completed_inputs = {task.parent.task_spec for task in tasks if task.parent.state == TaskState.COMPLETED}
        for task in tasks:
            if task.parent.has_state(TaskState.DEFINITE_MASK) and task.parent.task_spec not in completed_inputs:
                return False
        waiting_inputs = [i for i in self.inputs if i not in completed_inputs]
        checked = set()

        def check(spec):
            """The first source met walking back from `spec` along first unchecked inputs, or None."""
            while True:
                checked.add(spec)
                parent = next((p for p in spec.inputs if p not in checked), None)
                if parent is None:
                    return None
                if parent in sources:
                    return parent
                spec = parent

        for spec in completed_inputs:
            if (source := check(spec)) is not None:
                sources.remove(source)
        # Complete unless a token could still reach one of the inputs that have not arrived.
        return all(check(spec) is None for spec in waiting_inputs)
