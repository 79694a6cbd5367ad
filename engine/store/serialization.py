"""Specs and instance state to and from JSON; the spec is stored once per definition version."""
from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from typing import Callable
from functools import lru_cache
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer

from bpmn.compensation_specs import CompensatingEvent
from bpmn.serializer import spec_config
from bpmn.tree import BpmnSubWorkflow, BpmnWorkflow
from engine.store.lru import LruCache

STATE_FORMAT = "fuse-1"


class InstanceStateConverter(BpmnWorkflowConverter):
    """Like SpiffWorkflow's workflow converter, but leaves the specs out of the state.

    Restoring expects the caller to put the (already restored) spec objects into the dict
    under 'spec' and 'subprocess_specs'; the registry passes objects it does not know through.
    """

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def subprocesses_from_dict(self, dct, workflow, top_workflow=None):
        """SpiffWorkflow's, plus the compensation handlers that compensating events host (SpiffWorkflow
        only restores sub-workflows of sub-process tasks, by the spec their task names)."""
        top = top_workflow or workflow
        super().subprocesses_from_dict(dct, workflow, top)
        for task in [t for t in workflow.tasks.values() if isinstance(t.task_spec, CompensatingEvent)]:
            if (saved := dct.pop(str(task.id), None)) is None:
                continue
            handler = BpmnSubWorkflow(top.subprocess_specs[saved["spec"]], task.id, top, deserializing=True)
            handler.tasks = self.mapping_from_dict(saved["tasks"], UUID, workflow=handler)
            handler.task_tree = handler.tasks.get(UUID(saved["root"]))
            self.set_default_attributes(handler, saved)
            top.subprocesses[task.id] = handler
            handler.completed_event.connect(task.task_spec._on_subworkflow_completed, task)
            self.subprocesses_from_dict(dct, handler, top)


@lru_cache(maxsize=1)
def serializer() -> BpmnWorkflowSerializer:
    config = spec_config()
    config[BpmnWorkflow] = InstanceStateConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


def dump_specs(spec, subprocess_specs: dict) -> str:
    """JSON for a definition's spec and the specs of its sub-processes and called processes."""
    registry = serializer().registry
    return json.dumps({
        "spec": registry.convert(spec),
        "subprocess_specs": {name: registry.convert(sub) for name, sub in subprocess_specs.items()},
    })


def _restore_specs(spec_json: str):
    dct = json.loads(spec_json)
    registry = serializer().registry
    subprocess_specs = {name: registry.restore(sub) for name, sub in dct["subprocess_specs"].items()}
    return registry.restore(dct["spec"]), subprocess_specs


@dataclass(frozen=True)
class ElementIndex:
    """What a definition's spec says of its elements, for reading without a spec of one's own (forms,
    step-up, retry policies): shared by every thread, so never changed."""

    extensions: dict[str, dict]  # bpmn id -> extensions: the process's own elements first, then sub-processes'
    start_events: tuple[tuple[str, dict], ...]  # the process's start events (bpmn id, extensions), in order


def _element_index(spec, subprocess_specs: dict) -> ElementIndex:
    extensions: dict[str, dict] = {}
    for process in (spec, *subprocess_specs.values()):
        for task_spec in process.task_specs.values():
            bpmn_id = getattr(task_spec, "bpmn_id", None)
            if bpmn_id is not None and bpmn_id not in extensions:
                extensions[bpmn_id] = getattr(task_spec, "extensions", None) or {}
    starts = tuple((start.bpmn_id, getattr(start, "extensions", None) or {}) for start in spec.start.outputs)
    return ElementIndex(extensions, starts)


class SpecCache:
    """Pickled specs by definition id. Ids are immutable, so entries never go stale and the
    cache can be dropped at any time; unpickling is about twice as fast as restoring from JSON."""

    def __init__(self, size: int = 256):
        self._blobs: LruCache[bytes] = LruCache(size)
        self._indexes: LruCache[ElementIndex] = LruCache(size)

    def holds(self, definition_id: str) -> bool:
        """Whether a spec of this definition is cached (so it has one: a definition deployed for viewing only
        has none), without reading anything."""
        return definition_id in self._blobs

    def elements(self, definition_id: str, spec_json: Callable[[], str]) -> ElementIndex:
        """The definition's element index, made once from a spec (reading an element's extensions then
        unpickles nothing)."""
        index = self._indexes.get(definition_id, None)
        if index is None:
            index = self._indexes.keep(definition_id, _element_index(*self.specs(definition_id, spec_json)))
        return index

    def specs(self, definition_id: str, spec_json: Callable[[], str]):
        """Fresh spec objects for a definition (a Camunda 7 multi-instance task rewrites its spec while running:
        engine.runtime.instance_specs shares them where none does); `spec_json` is only called on a miss."""
        blob = self._blobs.get(definition_id, None)
        if blob is None:
            blob = self._blobs.keep(definition_id, pickle.dumps(_restore_specs(spec_json())))
        return pickle.loads(blob)


SPECS = SpecCache()


def dump_state(workflow: BpmnWorkflow) -> str:
    """The workflow's state as JSON, without its specs."""
    ser = serializer()
    ser.registry._encoder_mode = True  # as serialize_json does: lets the registry encode data values
    try:
        dct = ser.to_dict(workflow)
    finally:
        ser.registry._encoder_mode = False
    dct["format"] = STATE_FORMAT
    # NaN and infinities are not JSON: PostgreSQL refuses them, and they must never be stored.
    return json.dumps(dct, cls=ser._encoder_cls, allow_nan=False)


def load_state(state_json: str, spec, subprocess_specs: dict, script_engine) -> BpmnWorkflow:
    """Rebuild a workflow from its state and its (fresh) specs."""
    ser = serializer()
    dct = json.loads(state_json, cls=ser.json_decoder_cls)
    if dct.pop("format", None) != STATE_FORMAT:
        raise ValueError("unknown workflow state format")
    dct["spec"], dct["subprocess_specs"] = spec, subprocess_specs
    workflow = ser.from_dict(dct)
    workflow.script_engine = script_engine
    return workflow
