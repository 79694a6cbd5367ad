"""FEEL's built-in functions as DMN 1.5 and Camunda 8 define them (those test_feel.py does not already
cover), with FEEL's promise that arguments of the wrong type give null rather than an error."""
import datetime as dt
import re
import time

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.util.task import TaskState

from bpmn.compiler import compile_models
from bpmn.expressions.errors import ExpressionError
from bpmn.expressions.feel import compile_feel
from bpmn.expressions.feel_values import Range
from helpers import REPRO, bpmn_document, flow

VARIABLES = {"x": 5, "nothing": None, "order": {"id": 7, "lines": [1, 2]}, "limit": 3}


def ev(expression, **variables):
    return compile_feel(expression).evaluate({**VARIABLES, **variables})


BUILTINS = [
    # boolean (Camunda 8.4+: a null value counts as not defined)
    ("is defined(x)", True),
    ("is defined(missing)", False),
    ("is defined(nothing)", False),
    ("is defined(order.id)", True),
    ("is defined(order.nope)", False),
    ("is defined(missing.deeper)", False),
    ("is defined(false)", True),
    ("get or else(nothing, \"fallback\")", "fallback"),
    ("get or else(x, 0)", 5),
    ("get or else(null, null)", None),
    ("assert(x, x > 0)", 5),
    ("assert(x, x > 0, \"x must be positive\")", 5),
    ("is(1, 1)", True),
    ("is(1, 1.0)", True),
    ("is(\"a\", \"a\")", True),
    ("is(null, null)", True),
    ("is(1, null)", False),
    ("is(\"1\", 1)", False),
    ("is(@\"2012-12-25\", @\"2012-12-25T00:00:00\")", False),
    ("is(@\"2020-01-01T10:00:00Z\", @\"2020-01-01T11:00:00+01:00\")", False),
    ("@\"2020-01-01T10:00:00Z\" = @\"2020-01-01T11:00:00+01:00\"", True),
    ("is(@\"10:30:00+01:00\", @\"10:30:00+01:00\")", True),
    ("is(@\"10:30:00@Europe/Paris\", @\"10:30:00+01:00\")", False),
    # strings
    ("to base64(\"FEEL\")", "RkVFTA=="),
    ("to base64(\"ünï\")", "w7xuw68="),
    ("from base64(\"RkVFTA==\")", "FEEL"),
    ("from base64(\"w7xuw68=\")", "ünï"),
    ("from base64(\"not base64!\")", None),
    ("from base64(\"//8=\")", None),  # valid base64, but not UTF-8 text
    ("is blank(\"\")", True),
    ("is blank(\" \\t\\n \")", True),
    ("is blank(\" a \")", False),
    # lists
    ("stddev(2, 4, 7, 5)", pytest.approx(2.0816659994661326)),
    ("stddev([2, 4, 7, 5])", pytest.approx(2.0816659994661326)),
    ("stddev([47])", None),
    ("stddev([])", None),
    ("mode(6, 3, 9, 6, 6)", [6]),
    ("mode([6, 1, 9, 6, 1])", [1, 6]),
    ("mode([])", []),
    ("and([true, false])", False),
    ("and(true, true)", True),
    ("and([true, null])", None),
    ("and([])", True),
    ("or([false, null, true])", True),
    ("or(false, false)", False),
    ("or([])", False),
    ("x > 1 and (x < 9 or x = 0)", True),  # the operators still work beside the functions
    ("duplicate values([1, 2, 3, 2, 1])", [1, 2]),
    ("duplicate values([1, 1.0, \"1\", true])", [1]),
    ("duplicate values([[1], [1], {a: 1}, {a: 1}])", [[1], {"a": 1}]),
    ("duplicate values([])", []),
    ("partition([1, 2, 3, 4, 5], 2)", [[1, 2], [3, 4], [5]]),
    ("partition([], 2)", []),
    ("list replace([2, 4, 7, 8], 3, 6)", [2, 4, 6, 8]),
    ("list replace([1, 2], -1, 9)", [1, 9]),
    ("list replace([1], 5, 0)", None),
    # contexts
    ("context([{key: \"a\", value: 1}, {key: \"b\", value: [2]}])", {"a": 1, "b": [2]}),
    ("context([])", {}),
    ("context([{key: \"a\"}])", None),
    ("context([{key: 1, value: 2}])", None),
    ("context put({x: 1}, [\"y\", \"z\"], 2)", {"x": 1, "y": {"z": 2}}),
    ("context put({a: {b: 1}}, [\"a\", \"c\"], 2)", {"a": {"b": 1, "c": 2}}),
    ("context put({a: 1}, [\"a\"], 2)", {"a": 2}),
    ("context put({a: 1}, [], 2)", None),
    ("get value({a: {b: 3}}, [\"a\", \"b\"])", 3),
    ("get value({a: 1}, [\"a\", \"b\"])", None),
    ("get value(order, [\"lines\"])", [1, 2]),
    ("put({a: 1}, \"b\", 2)", {"a": 1, "b": 2}),
    ("put all({a: 1}, {b: 2})", {"a": 1, "b": 2}),
    # conversion
    ("from json(\"{\\\"a\\\": 1, \\\"b\\\": [true, null, 1.5]}\")", {"a": 1, "b": [True, None, 1.5]}),
    ("from json(\"\\\"2023-06-14\\\"\")", "2023-06-14"),
    ("from json(\"invalid\")", None),
    ("from json(\"NaN\")", None),
    ("from json(\"1e999\")", None),
    ("to json({a: 1, b: \"foo\", c: [true, null]})", '{"a":1,"b":"foo","c":[true,null]}'),
    ("to json(\"hello\")", '"hello"'),
    ("to json(1.5)", "1.5"),
    ("to json(null)", "null"),
    ("to json(@\"2023-06-14\")", '"2023-06-14"'),
    ("to json(@\"2023-06-14T14:55:00Z\")", '"2023-06-14T14:55:00Z"'),
    ("to json(@\"P1DT2H\")", '"P1DT2H"'),
    ("to json(\"ü\")", '"ü"'),
    # temporal
    ("last day of month(@\"2022-02-10\")", dt.date(2022, 2, 28)),
    ("last day of month(@\"2024-02-01T10:00:00\")", dt.date(2024, 2, 29)),
    ("last day of month(date(2023, 12, 5))", dt.date(2023, 12, 31)),
    # ranges: the DMN 1.5 range functions, with points and ranges
    ("before(1, 10)", True),
    ("before(10, 1)", False),
    ("before(1, [2..5])", True),
    ("before(1, [1..5])", False),
    ("before(1, (1..5])", True),
    ("before([1..5], 10)", True),
    ("before([1..5), 5)", True),
    ("before([1..5], 5)", False),
    ("before([1..5], [6..8])", True),
    ("before([1..5], [5..8])", False),
    ("before([1..5), [5..8])", True),
    ("after(10, 1)", True),
    ("after(12, [2..5])", True),
    ("after(5, [2..5))", True),
    ("after(5, [2..5])", False),
    ("after([5..10], 1)", True),
    ("after((5..10], 5)", True),
    ("after([6..8], [1..5])", True),
    ("after((5..8], [1..5])", True),
    ("after([5..8], [1..5])", False),
    ("meets([1..5], [5..10])", True),
    ("meets([1..3], [4..6])", False),
    ("meets([1..5), [5..10])", False),
    ("met by([5..10], [1..5])", True),
    ("met by((5..10], [1..5])", False),
    ("overlaps([1..5], [3..8])", True),
    ("overlaps([3..8], [1..5])", True),
    ("overlaps([1..8], [3..5])", True),
    ("overlaps([1..5], [6..8])", False),
    ("overlaps([1..5], [5..8])", True),
    ("overlaps([1..5), [5..8])", False),
    ("overlaps before([1..5], [3..8])", True),
    ("overlaps before([1..5], [6..8])", False),
    ("overlaps before([1..5], [5..8])", True),
    ("overlaps before([1..5], (5..8])", False),
    ("overlaps before([1..5), (1..5])", True),
    ("overlaps before([1..5), [1..5])", False),
    ("overlaps before([1..5], [1..5])", False),
    ("overlaps after([3..8], [1..5])", True),
    ("overlaps after([6..8], [1..5])", False),
    ("overlaps after([5..8], [1..5])", True),
    ("overlaps after((5..8], [1..5])", False),
    ("overlaps after((1..5], [1..5))", True),
    ("overlaps after([1..5], [1..5))", False),
    ("finishes(10, [1..10])", True),
    ("finishes(10, [1..10))", False),
    ("finishes([5..10], [1..10])", True),
    ("finishes([5..10), [1..10))", True),
    ("finishes([1..10], [1..10])", True),
    ("finishes([5..10], [1..10))", False),
    ("finished by([1..10], 10)", True),
    ("finished by([1..10), 10)", False),
    ("finished by([1..10], [5..10])", True),
    ("finished by([1..10], (1..10])", True),
    ("finished by([1..10), [5..10])", False),
    ("includes([1..10], 5)", True),
    ("includes([1..10], 12)", False),
    ("includes([1..10], 1)", True),
    ("includes((1..10], 1)", False),
    ("includes([1..10], [4..6])", True),
    ("includes([1..10], [1..10])", True),
    ("includes((1..10], [1..10])", False),
    ("includes([1..10), [5..10])", False),
    ("during(5, [1..10])", True),
    ("during(1, (1..10])", False),
    ("during([4..6], [1..10])", True),
    ("during([1..10], (1..10))", False),
    ("starts(1, [1..10])", True),
    ("starts(1, (1..10])", False),
    ("starts([1..5], [1..10])", True),
    ("starts([1..10], [1..10])", True),
    ("starts((1..5], [1..10])", False),
    ("starts([1..10], [1..5])", False),
    ("started by([1..10], 1)", True),
    ("started by((1..10], 1)", False),
    ("started by([1..10], [1..5])", True),
    ("started by([1..5], [1..10])", False),
    ("coincides(5, 5)", True),
    ("coincides(3, 4)", False),
    ("coincides([1..5], [1..5])", True),
    ("coincides((1..5], [1..5])", False),
    ("before(@\"2020-01-01\", [@\"2020-02-01\"..@\"2020-03-01\"])", True),
    ("includes([\"a\"..\"m\"], \"f\")", True),
    ("range(\"[18..21)\")", Range(18, 21, True, False)),
    ("range(\"(\\\"a\\\"..\\\"z\\\"]\")", Range("a", "z", False, True)),
    ("range(\"[@\\\"2020-01-01\\\"..@\\\"2020-12-31\\\"]\")", Range(dt.date(2020, 1, 1), dt.date(2020, 12, 31),
                                                                   True, True)),
    ("range(\"[date(\\\"2020-01-01\\\")..date(\\\"2020-12-31\\\")]\")",
     Range(dt.date(2020, 1, 1), dt.date(2020, 12, 31), True, True)),
    ("19 in range(\"[18..21)\")", True),
    ("range(\"[1..x]\")", None),  # endpoints are literals, never variables
    ("range(\"nonsense\")", None),
]


@pytest.mark.parametrize("text, expected", BUILTINS, ids=[text for text, _ in BUILTINS])
def test_builtin_functions(text, expected):
    assert ev(text) == expected


WRONG_TYPES = [
    "is blank(1)", "to base64(1)", "from base64(null)", "stddev([\"a\", 1])", "mode([\"a\"])", "and(1)",
    "duplicate values(1)", "partition([1], 0)", "partition([1], \"2\")", "partition(1, 1)",
    "list replace([1], \"a\", 0)", "list replace(1, 1, 0)", "context(1)", "context([1])",
    "context put(1, \"a\", 1)", "context put({}, [1], 1)", "get value({}, [1])", "put all({}, 1)",
    "from json(1)", "last day of month(\"2022-02-10\")", "before(\"a\", 1)", "meets(1, 2)",
    "includes([1..5], \"a\")", "coincides(1, [1..2])", "overlaps([1..5], 3)", "range(1)",
]


@pytest.mark.parametrize("text", WRONG_TYPES)
def test_builtin_functions_give_null_for_wrong_argument_types(text):
    assert ev(text) is None


def test_uuid_and_random_number_make_a_new_value_each_time():
    first, second = ev("uuid()"), ev("uuid()")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", first)
    assert first != second
    numbers = [ev("random number()") for _ in range(20)]
    assert all(0 <= number < 1 for number in numbers) and len(set(numbers)) > 1


def test_a_failed_assert_fails_the_evaluation_with_its_cause():
    with pytest.raises(ExpressionError, match="x must be negative"):
        ev("assert(x, x < 0, \"x must be negative\")")
    with pytest.raises(ExpressionError, match="condition is not fulfilled"):
        ev("assert(nothing, nothing != null)")


def test_json_nested_too_deeply_is_null_not_a_crash():
    assert ev("from json(text)", text="[" * 100_000) is None


@pytest.mark.parametrize("text", [
    "string join(for i in 1..2000 return s)",
    "to json(for i in 1..2000 return s)",
    "replace(s, \"\", s)",  # the whole text again between every two characters
])
def test_text_built_by_one_call_is_capped_at_ten_million_characters(text):
    started = time.perf_counter()
    assert ev(text, s="x" * 10_000) is None
    assert time.perf_counter() - started < 2


def test_text_under_the_cap_is_built():
    assert len(ev("string join(for i in 1..100 return s)", s="x" * 10_000)) == 1_000_000
    assert len(ev("replace(s, \"x\", \"yy\")", s="x" * 10_000)) == 20_000


def test_to_json_and_from_json_round_trip():
    value = {"name": "Ann", "tags": ["a", "b"], "age": 31, "ratio": 0.25, "ok": True, "none": None}
    assert ev("from json(to json(value))", value=value) == value


# --- is defined(x) in a model -----------------------------------------------------------------

class FeelScriptEngine(PythonScriptEngine):
    """Plain SpiffWorkflow, with conditions read as FEEL."""

    def evaluate(self, task, expression, external_context=None):
        return compile_feel(expression).evaluate(task.data)


def test_the_repro_model_using_is_defined_compiles():
    [process] = compile_models({"feel-is-defined.bpmn": (REPRO / "feel-is-defined.bpmn").read_bytes()}).processes
    assert process.key == "feelIsDefined"


def is_defined_process() -> bytes:
    return bpmn_document(
        '<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g" default="no"/>'
        '<bpmn:endEvent id="given"/><bpmn:endEvent id="absent"/>'
        + flow("f1", "s", "g") + flow("yes", "g", "given", "=is defined(x)") + flow("no", "g", "absent"),
        "isDefined")


@pytest.mark.parametrize("data, end", [({"x": 0}, "given"), ({}, "absent"), ({"x": None}, "absent")])
def test_a_gateway_takes_the_is_defined_flow_only_when_the_variable_has_a_value(data, end):
    [process] = compile_models({"p.bpmn": is_defined_process()}).processes
    workflow = BpmnWorkflow(process.spec, process.subprocess_specs, script_engine=FeelScriptEngine())
    workflow.task_tree.data.update(data)
    workflow.do_engine_steps()
    assert workflow.is_completed()
    ended = {task.task_spec.bpmn_id for task in workflow.get_tasks(state=TaskState.COMPLETED)}
    assert ended & {"given", "absent"} == {end}


def test_distinct_values_of_20000_contexts_is_near_linear_and_keeps_feel_equality():
    # Contexts and lists are not hashable: compared pairwise this took minutes. Canonical keys
    # keep FEEL equality: 1 and 1.0 are one number, nested lists and contexts compare by content.
    items = [{"n": index % 5000 if index < 10_000 else float(index % 5000), "tags": [index % 2, {"k": 1}]}
             for index in range(20_000)]
    started = time.perf_counter()
    found = ev("distinct values(xs)", xs=items)
    assert time.perf_counter() - started < 5
    assert len(found) == 5000 and found[:2] == items[:2]
    assert ev("distinct values(xs)", xs=[{"a": [1, 2]}, {"a": [1.0, 2]}, {"a": [2, 1]}, [1], [1.0], [True]]) == [
        {"a": [1, 2]}, {"a": [2, 1]}, [1], [True]]
    assert len(ev("duplicate values(xs)", xs=items)) == 5000
