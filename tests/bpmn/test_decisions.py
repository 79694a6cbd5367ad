"""Decision tables run as Camunda runs them: input expressions, input entries (FEEL unary tests) and
output entries are FEEL, and an input naming a variable the instance does not have is null, so rules
testing `-` or `null` still match instead of the decision failing."""
import datetime as dt

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer

from bpmn.compiler import compile_models
from bpmn.expressions.errors import ExpressionError, ExpressionSyntaxError
from bpmn.expressions.feel import compile_feel, compile_unary_tests
from bpmn.serializer import spec_config
from helpers import ROOT, bpmn_document, flow

DISCOUNT_DMN = (ROOT / "tests" / "fixtures" / "missing-input.dmn").read_bytes()


def decision_process(extension: str = "") -> bytes:
    attributes = "" if extension else 'camunda:decisionRef="discount"'
    return bpmn_document(
        f'<bpmn:startEvent id="start"/><bpmn:businessRuleTask id="decide" {attributes}>{extension}'
        '</bpmn:businessRuleTask><bpmn:endEvent id="end"/>'
        + flow("f1", "start", "decide") + flow("f2", "decide", "end"), "decide")


def compiled(dmn: bytes = DISCOUNT_DMN, extension: str = ""):
    [process] = compile_models({"p.bpmn": decision_process(extension), "discount.dmn": dmn}).processes
    return process.spec, process.subprocess_specs


def run(spec, subprocess_specs, data: dict) -> dict:
    """Plain SpiffWorkflow, its own Python script engine: the decision's FEEL is Fuse's own."""
    workflow = BpmnWorkflow(spec, subprocess_specs)
    workflow.task_tree.data.update(data)
    workflow.do_engine_steps()
    assert workflow.is_completed()
    return workflow.data


@pytest.mark.parametrize("data, discount, reason", [
    ({}, 0, "unknown customer"),
    ({"customer": None}, 0, "unknown customer"),
    ({"customer": {"status": "gold"}}, 10, "gold"),
    ({"customer": {"status": "gold"}, "amount": 500}, 15, "gold order over 100"),
    ({"customer": {"status": "silver"}}, 5, "default"),
], ids=["nothing", "null-customer", "gold-no-amount", "gold-large", "silver-no-amount"])
def test_missing_inputs_are_null_and_the_rules_for_null_and_any_still_match(data, discount, reason):
    result = run(*compiled(), data)
    assert (result["discount"], result["reason"]) == (discount, reason)


def test_a_camunda_8_result_variable_gets_the_decision_made_with_missing_inputs():
    extension = ('<bpmn:extensionElements><zeebe:calledDecision decisionId="discount" resultVariable="offer"/>'
                 '</bpmn:extensionElements>')
    result = run(*compiled(extension=extension), {})
    assert result["offer"] == {"discount": 0, "reason": "unknown customer"}


def test_specs_restored_from_json_decide_with_feel_too():
    registry = BpmnWorkflowSerializer.configure(spec_config())
    spec, subprocess_specs = compiled()
    restored = registry.restore(registry.convert(spec))
    assert run(restored, subprocess_specs, {})["reason"] == "unknown customer"


PYTHON_DMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="D" namespace="http://x">
  <decision id="discount" name="Size">
    <decisionTable id="t" hitPolicy="FIRST">
      <input id="i" label="Items"><inputExpression id="ie"><text>len(items)</text></inputExpression></input>
      <output id="o" name="size"/>
      <rule id="r1"><inputEntry id="r1i"><text>&gt; 2</text></inputEntry>
        <outputEntry id="r1o"><text>'many'</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="r2i"><text>-</text></inputEntry>
        <outputEntry id="r2o"><text>'few'</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>"""


def test_text_that_is_not_feel_is_still_read_by_the_workflows_script_engine():
    spec, subprocess_specs = compiled(PYTHON_DMN)
    assert run(spec, subprocess_specs, {"items": [1, 2, 3]})["size"] == "many"
    assert run(spec, subprocess_specs, {"items": []})["size"] == "few"


FAILING_DMN = DISCOUNT_DMN.replace(b'"default"', b'assert(amount, amount != null, "an amount is needed")')


def test_a_failing_output_names_the_decision_and_the_rule():
    with pytest.raises(WorkflowTaskException) as caught:
        run(*compiled(FAILING_DMN), {"customer": {"status": "silver"}})
    assert "an amount is needed" in str(caught.value)
    assert "discount" in str(caught.value) and "rule 4" in str(caught.value)


# --- unary tests ---------------------------------------------------------------------------------

UNARY_TESTS = [
    ("-", "anything", {}, True),
    ("", None, {}, True),
    ('"gold"', "gold", {}, True),
    ('"gold"', "silver", {}, False),
    ('"gold"', None, {}, False),
    ('"gold", "silver"', "silver", {}, True),
    ('not("gold")', "gold", {}, False),
    ('not("gold")', "bronze", {}, True),
    ('not("a", "b")', "b", {}, False),
    ("not(< 5)", 7, {}, True),
    ("> 100", 150, {}, True),
    ("> 100", 50, {}, False),
    ("> 100", None, {}, None),
    ("<= limit", 3, {"limit": 3}, True),
    ("[1..10]", 5, {}, True),
    ("(1..10]", 1, {}, False),
    ("[1, 2, 3]", 2, {}, True),
    ("[1, 2, 3]", 4, {}, False),
    ("null", None, {}, True),
    ("null", 1, {}, False),
    ("missing", None, {}, True),  # a missing variable is null, and null equals null
    ("missing", 5, {}, False),
    ("? > 5 and ? < 10", 7, {}, True),
    ("? > 5 and ? < 10", 12, {}, False),
    ("? > 5", None, {}, None),
    ("starts with(?, \"A\")", "Ann", {}, True),
    ("amount > 100", "ignored", {"amount": 150}, True),  # an expression that is true matches any input
    ("true", True, {}, True),
    ("true", False, {}, False),
    ("false", False, {}, True),
    ('date("2020-01-01")', dt.date(2020, 1, 1), {}, True),
    ('>= @"2020-01-01"', dt.date(2021, 5, 1), {}, True),
    ("-5", -5, {}, True),
]


@pytest.mark.parametrize("entry, value, variables, expected", UNARY_TESTS,
                         ids=[f"{entry!r}-{value!r}" for entry, value, _, _ in UNARY_TESTS])
def test_unary_tests_match_as_camunda_matches_them(entry, value, variables, expected):
    assert compile_unary_tests(entry).matches(value, variables) is expected


def test_the_input_value_is_only_known_inside_unary_tests():
    with pytest.raises(ExpressionSyntaxError, match="input entries"):
        compile_feel("? > 1")


def test_bad_unary_tests_are_syntax_errors_with_a_column():
    with pytest.raises(ExpressionError) as caught:
        compile_unary_tests('"gold", , "silver"')
    assert caught.value.position == 8
