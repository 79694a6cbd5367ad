"""Predicting a workflow's future tasks with a work queue instead of recursion.

SpiffWorkflow's TaskSpec._predict adds a task's future children and then calls _predict on each child
from inside its own call, so a new instance of a chain of N tasks is N nested Python calls (RecursionError
past a few hundred tasks; a deeper stack can crash the interpreter). Fuse's task specs take this mixin:
a _predict reached while another is running on the same thread is queued, and the outermost call runs
the queue in a loop, each entry through the library's own _predict. Every entry is the same (spec, task,
seen, depth, mask) the library would have used, so the predicted tree is the same; only the order of
visiting changes (breadth first between Fuse's specs), and the stack no longer grows with the model.
"""
from __future__ import annotations

import threading
from collections import deque

from SpiffWorkflow.util.task import TaskState

_running = threading.local()  # the queue of the outermost _predict on this thread, if one is running


class QueuedPredictionMixin:
    """For task specs: _predict without recursion through the spec's successors."""

    def _predict(self, my_task, seen=None, looked_ahead=0, mask=TaskState.PREDICTED_MASK):
        queue = getattr(_running, "queue", None)
        if queue is not None:
            queue.append((self, my_task, seen, looked_ahead, mask))
            return
        _running.queue = queue = deque([(self, my_task, seen, looked_ahead, mask)])
        try:
            while queue:
                spec, task, path, ahead, task_mask = queue.popleft()
                super(QueuedPredictionMixin, spec)._predict(task, path, ahead, task_mask)
        finally:
            _running.queue = None


_queued_classes: dict[type, type] = {}  # SpiffWorkflow's spec class -> its queued subclass


def queued(spec_class: type) -> type:
    """`spec_class` predicting from the queue: itself if it already does, else a subclass of the same name
    (the serializer finds converters by class name: bpmn.serializer swaps the library class for it)."""
    if issubclass(spec_class, QueuedPredictionMixin):
        return spec_class
    if spec_class not in _queued_classes:
        # Reachable as bpmn.prediction.Queued<Name>, so that copying and pickling a spec find its class.
        qualname = f"Queued{spec_class.__name__}"
        made = type(spec_class.__name__, (QueuedPredictionMixin, spec_class),
                    {"__module__": __name__, "__qualname__": qualname, "__doc__": spec_class.__doc__})
        globals()[qualname] = _queued_classes[spec_class] = made
    return _queued_classes[spec_class]


def replaced_class(spec_class: type) -> type | None:
    """The library class that `spec_class` was made by queued() to replace, or None."""
    return next((library for library, made in _queued_classes.items() if made is spec_class), None)
