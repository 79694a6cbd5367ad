"""Element ids that SpiffWorkflow already uses as names of its own task specs, and how Fuse steps around them.

SpiffWorkflow names an element's task spec after the element's id, in the same namespace as the specs it
adds itself: 'Start', 'End', '<process>.EndJoin', 'StartEventSplit', 'StartEventJoin',
'<id>.BoundaryEventSplit' and '.BoundaryEventJoin'; its serializer also drops any spec named 'Root'. A
start event with the id 'Start' is therefore taken for the library's own start task and never parsed
("No output task connected" at run time). Here such an element's spec is named '<id> [element]' instead;
its `bpmn_id` stays the modeller's id, and that is what history, tasks and jobs report. XML ids cannot
contain a space, so the new name never meets another element's.
"""
from __future__ import annotations

from lxml import etree
from SpiffWorkflow.bpmn.parser.ProcessParser import AdHocParser, ProcessParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import AdHocSubprocessSpec, BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin

from bpmn.flow_parser import QueuedFlowMixin

LIBRARY_NAMES = frozenset({"Start", "End", "Root", "StartEventSplit", "StartEventJoin"})
LIBRARY_SUFFIXES = (".EndJoin", ".BoundaryEventSplit", ".BoundaryEventJoin")
ELEMENT_SUFFIX = " [element]"


def spec_name(element_id: str | None) -> str | None:
    """The name of the task spec of the element with this id."""
    if element_id and (element_id in LIBRARY_NAMES or element_id.endswith(LIBRARY_SUFFIXES)):
        return element_id + ELEMENT_SUFFIX
    return element_id


class ElementNamesMixin:
    """For process specs: a task spec made for a BPMN element takes its name from spec_name().

    The spec is renamed as it is added, before anything connects to it (connections are kept by name).
    """

    def _add_notify(self, task_spec):
        if isinstance(task_spec, BpmnSpecMixin):
            task_spec.name = spec_name(task_spec.name)
        super()._add_notify(task_spec)


class FuseProcessSpec(ElementNamesMixin, BpmnProcessSpec):
    """A process (or embedded sub-process) whose element ids may be anything."""


class FuseAdHocSpec(ElementNamesMixin, AdHocSubprocessSpec):
    """An ad hoc sub-process whose element ids may be anything."""


class ElementLookupMixin(QueuedFlowMixin):
    """For process parsers: find an element's spec, once parsed, under the name spec_name() gave it
    (nodes are parsed from a queue, see bpmn.flow_parser)."""

    def parse_node(self, node):
        name = spec_name(node.get("id"))
        if name in self.spec.task_specs:
            return self.spec.task_specs[name]
        # SpiffWorkflow's own parse_node looks the raw id up first, and would find its 'Start' or 'End'.
        node_parser, spec_class = self.parser._get_parser_class(node.tag)
        if not node_parser or not spec_class:
            raise ValidationException(f"a {etree.QName(node).localname} element cannot be run",
                                      node=node, file_name=self.filename)
        return self.parse_without_recursion(node_parser(self, spec_class, node, self.nsmap, lane=self.lane))

    def add_tasks(self):
        library_specs = dict(self.spec.task_specs)  # nothing but SpiffWorkflow's own specs yet
        super().add_tasks()
        self._file_triggers_by_name(library_specs)

    def _file_triggers_by_name(self, library_specs: dict) -> None:
        """SpiffWorkflow files an event sub-process's spec a second time, under the sub-process id, to
        trigger it by that id; when the id is a library name, that hides the library's own spec. File
        such a trigger under the spec's own name and give the library its spec back."""
        triggers = self.spec.start.trigger_specs
        for index, alias in enumerate(triggers):
            task_spec = self.spec.task_specs[alias]
            if task_spec.name != alias:
                triggers[index] = task_spec.name
                self.spec.task_specs.pop(alias)
                if alias in library_specs:
                    self.spec.task_specs[alias] = library_specs[alias]


class FuseProcessParser(ElementLookupMixin, ProcessParser):
    """Parses a process or embedded sub-process into a FuseProcessSpec."""

    def create_spec(self):
        spec = super().create_spec()  # refuses a process that is not executable
        return FuseProcessSpec(name=spec.name, description=spec.description, filename=spec.file)


class FuseAdHocParser(ElementLookupMixin, AdHocParser):
    """Parses an ad hoc sub-process into a FuseAdHocSpec."""

    def create_spec(self):
        spec = super().create_spec()  # refuses sequential ordering
        return FuseAdHocSpec(completion_condition=spec.completion_condition, cancel_remaining=spec.cancel_remaining,
                             name=spec.name, description=spec.description, filename=spec.file)
