"""Multi-instance activities whose element variables are local to each iteration, as in Camunda.

SpiffWorkflow refuses to start a multi-instance activity when the process already has a variable named
like its input or output element ("Multiinstance input item … already exists"), and without an output
collection each iteration's element merges into the process. In Camunda the element variable (Camunda 7
`camunda:elementVariable`, Camunda 8 `inputElement` and `outputElement`) is a local variable of each
iteration: a process variable of the same name is neither in the way nor changed by the loop.

SpiffWorkflow keeps one data dict per task, so the activity hides the process's value while it creates an
iteration (the iteration then holds only its element) and puts it back after merging one. A missing input
collection is named in the error instead of "Missing data input for multiinstance task".
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.exceptions import WorkflowDataException
from SpiffWorkflow.camunda.specs.multiinstance_task import (
    ParallelMultiInstanceTask as SpiffCamundaParallel,
)
from SpiffWorkflow.camunda.specs.multiinstance_task import (
    SequentialMultiInstanceTask as SpiffCamundaSequential,
)

_ABSENT = object()


class LocalElementVariables:
    """Mixin for SpiffWorkflow's multi-instance task specs (see the module docstring)."""

    def _element_names(self) -> set[str]:
        items = {item.bpmn_id for item in (self.input_item, self.output_item) if item is not None}
        collections = {ref.bpmn_id for ref in (self.data_input, self.data_output) if ref is not None}
        return items - collections

    def create_child(self, my_task, item, key_or_index=None):
        hidden = {name: my_task.data.pop(name) for name in self._element_names() if name in my_task.data}
        try:
            super().create_child(my_task, item, key_or_index)
        finally:
            my_task.data.update(hidden)

    def merge_child(self, workflow, child):
        my_task = child.parent
        own = {name: my_task.data.get(name, _ABSENT) for name in self._element_names()}
        super().merge_child(workflow, child)
        for name, value in own.items():
            if value is _ABSENT:
                my_task.data.pop(name, None)
            else:
                my_task.data[name] = value

    def _require_collection(self, my_task) -> None:
        if self.data_input is not None and not self.data_input.exists(my_task):
            raise WorkflowDataException(
                f"the collection variable '{self.data_input.bpmn_id}' of multi-instance activity "
                f"{self.bpmn_id} does not exist", my_task, data_input=self.data_input)


class LocalElementSequential(LocalElementVariables):
    """The sequential flavour: the collection is checked where SpiffWorkflow first reads it."""

    def init_remaining_items(self, my_task):
        self._require_collection(my_task)
        return super().init_remaining_items(my_task)


class LocalElementParallel(LocalElementVariables):
    """The parallel flavour: the collection is checked before the iterations are created."""

    def create_children(self, my_task):
        self._require_collection(my_task)
        return super().create_children(my_task)


# Named as SpiffWorkflow's Camunda classes: stored specs name their class, so they load as these.
class SequentialMultiInstanceTask(LocalElementSequential, SpiffCamundaSequential):
    """Camunda 7 sequential multi-instance (camunda:collection, camunda:elementVariable)."""


class ParallelMultiInstanceTask(LocalElementParallel, SpiffCamundaParallel):
    """Camunda 7 parallel multi-instance (camunda:collection, camunda:elementVariable)."""


# The class Fuse runs for each class SpiffWorkflow's Camunda parser builds.
CAMUNDA_MULTI_INSTANCE = {SpiffCamundaSequential: SequentialMultiInstanceTask,
                          SpiffCamundaParallel: ParallelMultiInstanceTask}
