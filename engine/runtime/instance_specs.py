"""The specs an instance runs on: one set per definition in this process, shared read-only by all its instances,
unless something in them changes while running.

Unpickling a definition's specs for every command was most of a timer job's spec cost. SpiffWorkflow's task specs
are read, not written, while instances run, with one exception Fuse runs: Camunda 7 multi-instance tasks rewrite
their own spec when they start (SpiffWorkflow.camunda.specs.multiinstance_task.update_task_spec), so a definition
with one gets fresh specs per instance, as before (engine.store.serialization.SpecCache unpickles them). The
input/output mappings are connected to the specs once, when the shared set is made. The dict of sub-process specs
is always the instance's own: call activities add the called processes' specs to it.
"""
from __future__ import annotations

from typing import Callable

from SpiffWorkflow.camunda.specs.multiinstance_task import (
    ParallelMultiInstanceTask as CamundaParallel,
    SequentialMultiInstanceTask as CamundaSequential,
)

from engine.runtime.io_mapping import attach_io_mappings
from engine.store.lru import MISSING, LruCache
from engine.store.serialization import SPECS

SELF_REWRITING = (CamundaSequential, CamundaParallel)
FRESH_PER_INSTANCE = None  # kept for a definition whose specs rewrite themselves

# Definition id -> its shared (spec, sub-process specs), or FRESH_PER_INSTANCE.
_SHARED: LruCache[tuple | None] = LruCache(256)


def _rewrites_itself(spec, subprocess_specs: dict) -> bool:
    return any(isinstance(task_spec, SELF_REWRITING)
               for process in (spec, *subprocess_specs.values()) for task_spec in process.task_specs.values())


def _fresh(definition_id: str, spec_json: Callable[[], str]) -> tuple:
    spec, subprocess_specs = SPECS.specs(definition_id, spec_json)
    attach_io_mappings(spec, subprocess_specs)
    return spec, subprocess_specs


def instance_specs(definition_id: str, spec_json: Callable[[], str]) -> tuple:
    """(process spec, sub-process specs) for one instance of the definition; `spec_json` is only called when
    the definition's specs are in no cache."""
    shared = _SHARED.get(definition_id)
    if shared is MISSING:
        made = _fresh(definition_id, spec_json)
        # Two threads may both have made a set: the first kept is the one everybody shares from now on.
        shared = _SHARED.keep(definition_id, FRESH_PER_INSTANCE if _rewrites_itself(*made) else made)
        if shared is FRESH_PER_INSTANCE:
            return made
    elif shared is FRESH_PER_INSTANCE:
        return _fresh(definition_id, spec_json)
    spec, subprocess_specs = shared
    return spec, dict(subprocess_specs)
