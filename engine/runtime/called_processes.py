"""Processes that call activities call, found by key among the deployed definitions when the call starts.

A call activity's sub-process spec name says its binding (bpmn.call_binding): `latest` takes the newest version
deployed when the instance first starts a call with that binding, `version` and `versionTag` the version they
name. The definition found is kept for the rest of the instance (on its row, `called_definitions`), so a called
process that waits keeps running the version it started with, and every later call of the same key and binding
in that instance calls that version too (Camunda 7 looks `latest` up again at each call; an instance that calls
the same process twice across a new deployment is where Fuse differs). Bound to the caller's deployment, a
called process is compiled into the caller's specs and needs nothing here.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from bpmn.call_binding import parse_spec_name
from engine.definitions.catalog import called_definition
from engine.definitions.sensitive_fields import sensitive_paths
from engine.runtime.instance_specs import instance_specs
from engine.store.models import ProcessDefinition


def _add_specs(subprocess_specs: dict, spec_name: str, definition: ProcessDefinition) -> None:
    """Put a called definition's spec (and the specs of its sub-processes) where the instance finds them."""
    spec, own = instance_specs(definition.id, lambda: definition.spec_json)
    added = {name: sub for name, sub in own.items() if name not in subprocess_specs}
    subprocess_specs[spec_name] = spec
    subprocess_specs.update(added)


def restore_called_specs(session: Session, row, subprocess_specs: dict) -> list[ProcessDefinition]:
    """Add the specs of the processes an instance already called (before its state is loaded); returns their
    definitions."""
    definitions = []
    for spec_name, definition_id in (row.called_definitions or {}).items():
        definition = session.get(ProcessDefinition, definition_id)
        if definition is not None:
            _add_specs(subprocess_specs, spec_name, definition)
            definitions.append(definition)
    return definitions


def sensitive_names(names, definitions: list[ProcessDefinition]):
    """`names` plus the sensitive form fields of the called definitions (their tasks run in this instance)."""
    return names.with_fields([path for definition in definitions for path in sensitive_paths(definition)])


class CalledProcessResolver:
    """What the engine sets as the top workflow's `resolve_called_process` (see bpmn.specs.CallActivity)."""

    def __init__(self, session: Session, live):
        self.session, self.live = session, live

    def __call__(self, spec_name: str) -> bool:
        """Find the definition a call activity's spec name stands for and make its spec callable; False if none."""
        binding = parse_spec_name(spec_name)
        if binding is None:
            return False
        definition = called_definition(self.session, binding.key, version=binding.version,
                                       version_tag=binding.version_tag)
        if definition is None or not definition.spec_json:
            return False
        _add_specs(self.live.workflow.subprocess_specs, spec_name, definition)
        row = self.live.row
        row.called_definitions = {**(row.called_definitions or {}), spec_name: definition.id}
        self.live.history.sensitive = sensitive_names(self.live.history.sensitive, [definition])
        return True
