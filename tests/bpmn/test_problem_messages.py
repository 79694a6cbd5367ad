"""Every problem a model is refused for (and every warning) names its element or line and says in words
what is wrong: never Python's own text (exception class names, `b'<...` reprs of XML, tracebacks)."""
from __future__ import annotations


import pytest

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from bpmn.compiler import compile_models
from bpmn.errors import ElementProblem, ModelProblems, XmlError
from bpmn.spiff_messages import in_words
from bpmn_messages import PYTHON_TEXT
from helpers import CORPUS, REPRO, bpmn_document, flow



def python_text_in(found: ElementProblem) -> bool:
    return bool(PYTHON_TEXT.search(found.message))


def reported(files: dict[str, bytes]) -> tuple[list[ElementProblem], list[ElementProblem]]:
    """(problems, warnings) of compiling the files; problems is empty when they compile."""
    try:
        compilation = compile_models(files, allow_non_executable=True)
    except ModelProblems as err:
        return err.problems, err.warnings
    return [], compilation.warnings


def assert_in_words(found: list[ElementProblem]) -> None:
    for item in found:
        assert not python_text_in(item), item
        assert item.element_id or item.line, item


def model_files() -> list:
    return sorted(CORPUS.glob("*/*.bpmn")) + sorted(REPRO.glob("*.bpmn"))


@pytest.mark.parametrize("path", model_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_message_about_a_model_file_is_in_words_and_names_its_element(path):
    try:
        problems, warnings = reported({path.name: path.read_bytes()})
    except XmlError as err:
        assert err.file == path.name and not PYTHON_TEXT.search(err.message)
        return
    assert_in_words(problems + warnings)


def only_problem(model: bytes, file: str = "m.bpmn", **files: bytes) -> ElementProblem:
    problems, _ = reported({file: model, **files})
    assert_in_words(problems)
    [found] = problems
    return found


# --- boundary events and timers --------------------------------------------------------------

def test_a_boundary_event_without_an_event_definition_is_named_in_words():
    model = bpmn_document('<bpmn:startEvent id="start"/><bpmn:userTask id="review"/><bpmn:boundaryEvent '
                          'id="escape" name="Escape" attachedToRef="review"/><bpmn:endEvent id="end"/>'
                          '<bpmn:endEvent id="escaped"/>' + flow("f1", "start", "review") + flow("f2", "review", "end")
                          + flow("f3", "escape", "escaped"))
    found = only_problem(model)
    assert found.element_id == "escape" and found.line
    assert "no event definition" in found.message and "<bpmn" not in found.message


def timer_model(definition: str) -> bytes:
    return bpmn_document('<bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="wait" name="Wait a week">'
                         f'{definition}</bpmn:intermediateCatchEvent><bpmn:endEvent id="end"/>'
                         + flow("f1", "start", "wait") + flow("f2", "wait", "end"))


def timer(kind: str, text: str) -> str:
    return (f'<bpmn:timerEventDefinition id="td"><bpmn:{kind} xsi:type="bpmn:tFormalExpression">{text}</bpmn:{kind}>'
            '</bpmn:timerEventDefinition>')


@pytest.mark.parametrize("definition", ['<bpmn:timerEventDefinition id="td"/>', timer("timeDuration", " ")],
                         ids=["no-time", "blank-duration"])
def test_a_timer_without_a_time_says_which_time_to_set(definition):
    found = only_problem(timer_model(definition))
    assert found.element_id == "wait" and found.line
    assert "Wait a week" in found.message and "timeDuration" in found.message and "Specification" not in found.message


def test_a_fault_fuse_explains_is_not_repeated_in_spiffworkflows_words():
    not_executable = timer_model('<bpmn:timerEventDefinition id="td"/>').replace(b'isExecutable="true"',
                                                                                 b'isExecutable="false"')
    _, warnings = reported({"m.bpmn": not_executable})
    [warning] = [w for w in warnings if w.element_id == "wait"]
    assert "has no time" in warning.message


@pytest.mark.parametrize("kind, text, words", [
    ("timeDate", "2026-13-45T10:00:00Z", "not a valid ISO 8601 date"),
    ("timeDuration", "5 minutes", "cannot parse"),
    ("timeCycle", "0 0/5 * * * ? 2025", "cron year"),
])
def test_a_timer_with_a_bad_value_names_the_value(kind, text, words):
    found = only_problem(timer_model(timer(kind, text)))
    assert found.element_id == "wait" and text in found.message and words in found.message


@pytest.mark.parametrize("kind, text", [
    ("timeDuration", "PT5M"), ("timeDuration", "P1DT2H"), ("timeDuration", "${delay}"), ("timeDuration", '"PT5M"'),
    ("timeDate", "2026-12-01T10:00:00Z"), ("timeDate", "2026-12-01"), ("timeCycle", "R3/PT10M"),
    ("timeCycle", "R/2026-01-01T08:00:00Z/P1D"), ("timeCycle", "0 0/5 * * * ?"), ("timeDuration", "=duration(x)"),
])
def test_good_timer_values_are_accepted(kind, text):
    compile_models({"m.bpmn": timer_model(timer(kind, text))})


# --- DMN -------------------------------------------------------------------------------------

DMN_13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def table(prefix: str = "", rule_extra: str = "", input_attributes: str = 'id="in_amount"') -> str:
    p = prefix
    return (f'<{p}decisionTable id="table"><{p}input {input_attributes}><{p}inputExpression id="in_expr">'
            f'<{p}text>amount</{p}text></{p}inputExpression></{p}input><{p}output id="out" name="level"/>'
            f'<{p}rule id="rule1"><{p}inputEntry id="r1_in"><{p}text>-</{p}text></{p}inputEntry>{rule_extra}'
            f'<{p}outputEntry id="r1_out"><{p}text>"high"</{p}text></{p}outputEntry></{p}rule></{p}decisionTable>')


def dmn(body: str, root: str = f'definitions xmlns="{DMN_13}"') -> bytes:
    tag = root.split()[0]
    return f'<?xml version="1.0"?>\n<{root} id="defs" name="Levels" namespace="http://x">\n{body}\n</{tag}>'.encode()


DECIDING = bpmn_document('<bpmn:startEvent id="start"/><bpmn:businessRuleTask id="decide" camunda:decisionRef="level"/>'
                         '<bpmn:endEvent id="end"/>' + flow("f1", "start", "decide") + flow("f2", "decide", "end"))


def test_a_dmn_file_whose_namespace_has_another_prefix_is_read():
    prefixed = dmn(f'<semantic:decision id="level" name="Level">{table("semantic:")}</semantic:decision>',
                   f'semantic:definitions xmlns:semantic="{DMN_13}"')
    [process] = compile_models({"p.bpmn": DECIDING, "levels.dmn": prefixed}).processes
    assert process.spec is not None


@pytest.mark.parametrize("document, element_id, words", [
    (dmn('<decision id="level">' + table() + '</decision>', "definitions"), "defs", "not a DMN"),
    (dmn('<inputData id="amount" name="Amount"/>'), "defs", "no decision"),
    (dmn('<decision id="level"><literalExpression id="lit"><text>"high"</text></literalExpression></decision>'),
     "level", "no decision table"),
    (dmn('<decision id="level">' + table(rule_extra='<inputEntry id="r1_extra"><text>-</text></inputEntry>')
         + '</decision>'), "rule1", "2 input entries"),
    (dmn('<decision id="level">' + table() + '</decision><decision id="other">'
         + table().replace('id="', 'id="o_') + '</decision>'), "other", "one decision per DMN file"),
], ids=["no-namespace", "no-decision", "literal-expression", "too-many-entries", "two-decisions"])
def test_a_malformed_dmn_file_is_named_in_words(document, element_id, words):
    problems, _ = reported({"p.bpmn": DECIDING, "levels.dmn": document})
    assert_in_words(problems)
    found = next(p for p in problems if p.file == "levels.dmn")
    assert found.element_id == element_id and found.line and words in found.message


def test_a_dmn_element_without_an_id_is_named_by_its_line():
    document = dmn('<decision id="level">' + table(input_attributes='label="Amount"') + '</decision>')
    problems, _ = reported({"p.bpmn": DECIDING, "levels.dmn": document})
    assert_in_words(problems)
    found = next(p for p in problems if p.file == "levels.dmn")
    assert found.line == 3 and "input" in found.message and "no id" in found.message


def test_a_decision_ref_naming_no_deployed_decision_names_the_task():
    found = only_problem(DECIDING, "p.bpmn")
    assert found.element_id == "decide" and "'level'" in found.message


# --- whatever else SpiffWorkflow says --------------------------------------------------------

def wrapped(failure: Exception) -> ValidationException:
    """What SpiffWorkflow's task parser raises when parsing an element fails in any other way."""
    try:
        raise failure
    except Exception as ex:  # noqa: BLE001 - built as SpiffWorkflow builds it
        try:
            raise ValidationException("%r" % ex)
        except ValidationException as err:
            return err


@pytest.mark.parametrize("failure, words", [
    (KeyError("id"), "lacks 'id'"),
    (NotImplementedError("Unsupported Catch Event: %r", b"<bpmn:boundaryEvent id='b'/>"), "Unsupported Catch Event"),
    (IndexError("list index out of range"), "list index out of range"),
])
def test_other_spiffworkflow_failures_are_told_without_python_text(failure, words):
    for err in (wrapped(failure), failure):
        message = in_words(err)
        assert words in message and not PYTHON_TEXT.search(message) and "b'<" not in message
