"""Decision tables decided as Camunda decides them: a DMN table's input expressions, input entries
(unary tests) and output entries are FEEL, read by Fuse's FEEL compiler. An input naming a
variable the instance does not have is therefore null, and rules testing `-`, `null` or
`not("gold")` still match, where SpiffWorkflow's own engine fails the decision.

SpiffWorkflow reads the same texts with the workflow's script engine; text that is no FEEL
(`'high'`, `len(items)`) is still read that way, so tables written for SpiffWorkflow keep
working. Hit policies are SpiffWorkflow's: COLLECT gathers each output into a list, every other
policy takes the first rule that matches.
"""
from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.specs.model import HitPolicy
from SpiffWorkflow.util.deep_merge import DeepMerge

from bpmn.expressions.errors import ExpressionError
from bpmn.expressions.feel import compile_feel, compile_unary_tests


class FeelDecisionEngine(DMNEngine):
    """SpiffWorkflow's engine for one decision table, with FEEL in every cell."""

    def decide(self, task) -> list:
        """The rules that match the task's variables (only the first, unless the table collects)."""
        collect = self.decision_table.hit_policy == HitPolicy.COLLECT.value
        inputs: dict = {}  # input id -> its value, evaluated once per decision
        matched = []
        for rule in self.decision_table.rules:
            if self._guarded(rule, task, self._matches, rule, task, inputs):
                matched.append(rule)
                if not collect:
                    break
        return matched

    def result(self, task) -> dict:
        """Output name -> value of the matching rule (COLLECT: output name -> list of values)."""
        rules = self.decide(task)
        if self.decision_table.hit_policy != HitPolicy.COLLECT.value:
            return self._guarded(rules[0], task, self._outputs, rules[0], task) if rules else {}
        result: dict = {}
        for rule in rules:
            for key, value in self._guarded(rule, task, self._outputs, rule, task).items():
                result.setdefault(key, []).append(value)
        return result

    def _guarded(self, rule, task, step, *args) -> Any:
        try:
            return step(*args)
        except ExpressionError as err:
            table = self.decision_table.name or self.decision_table.id
            raise WorkflowTaskException(f"decision table '{table}', rule {rule.row_number}: {err}",
                                        task=task) from None

    def _matches(self, rule, task, inputs: dict) -> bool:
        for entry in rule.inputEntries:
            for text in entry.lhs:
                if text is not None and not self._passes(entry.input, text, task, inputs):
                    return False
        return True

    def _passes(self, table_input, text: str, task, inputs: dict) -> bool:
        try:
            tests = compile_unary_tests(text)
        except ExpressionError:  # no FEEL: SpiffWorkflow's reading, with the script engine
            input_text = table_input.expression or repr(task.data.get(table_input.label))
            return bool(self.evaluate(input_text, text, task))
        if table_input.id not in inputs:
            inputs[table_input.id] = self._input_value(table_input, task)
        return tests.matches(inputs[table_input.id], task.data) is True

    def _input_value(self, table_input, task) -> Any:
        if not table_input.expression:  # SpiffWorkflow's fallback: the variable named by the label
            return task.data.get(table_input.label)
        return _value(table_input.expression, task)

    def _outputs(self, rule, task) -> dict:
        outputs: dict = {}
        for entry in rule.outputEntries:
            key = entry.output.name or entry.output.label
            value = _value(entry.text, task) if entry.text and entry.text.strip() else None
            if "." in key:  # `a.b` builds {"a": {"b": value}}, as SpiffWorkflow does
                first, *inner = key.split(".")
                for name in reversed(inner):
                    value = {name: value}
                outputs[first] = DeepMerge.merge(outputs.get(first, {}), value)
            else:
                outputs[key] = value
        return outputs


def _value(text: str, task) -> Any:
    try:
        expression = compile_feel(text)
    except ExpressionError:  # no FEEL: the workflow's script engine reads it, as SpiffWorkflow would
        return task.workflow.script_engine.evaluate(task, text)
    return expression.evaluate(task.data)
