"""Timer start events of a process: Fuse schedules them (engine.events.timer_starts), SpiffWorkflow must not.

SpiffWorkflow would evaluate the timer itself when an instance begins (a cron cycle fails there as a
Python expression) and, for a cycle, keep adding tokens to that one instance. Here the start event
waits until the engine says it fired; each firing is an instance of its own.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.camunda.parser.event_parsers import CamundaStartEventParser


class ScheduledStartEventDefinition(TimerEventDefinition):
    """A timer start event of a process: fires only when the engine fires it."""

    def has_fired(self, my_task):
        return my_task._get_internal_data("event_fired", False)

    def update_task(self, my_task):
        """Nothing to compute: the schedule lives in the engine's job table."""


class FuseStartEventParser(CamundaStartEventParser):
    def parse_timer_event(self, event):
        if self.node.getparent().tag == full_tag("process"):
            name = self.node.get("name", self.node.get("id"))
            expression = next((node.text for node in event if node.text), "")
            return ScheduledStartEventDefinition(name, expression.strip(),
                                                 description=self.get_event_description(event))
        return super().parse_timer_event(event)  # event sub-processes keep SpiffWorkflow's timers
