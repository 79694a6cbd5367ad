"""Reading models: hostile XML is refused, problems name their elements and lines."""
from __future__ import annotations

import pytest

from bpmn.compiler import compile_models
from bpmn.errors import ModelProblems, XmlError
from helpers import CORPUS, REFUND_BPMN, REPRO, bpmn_document, flow, one_script_process, script_task


def test_refund_sample_compiles_with_its_activities():
    [process] = compile_models({"refund.bpmn": REFUND_BPMN.read_bytes()}).processes
    assert process.key == "refund_approval"
    assert process.activities["finance_approval"] == {"type": "userTask", "name": "Approve refund"}
    assert process.spec.task_specs["finance_approval"].assignment["candidate_groups"] == ["finance"]


def test_malformed_xml_names_line_and_column():
    with pytest.raises(XmlError) as caught:
        compile_models({"bad.bpmn": b'<?xml version="1.0"?>\n<bpmn:definitions>\n  <oops>\n</bpmn:definitions>'})
    assert caught.value.file == "bad.bpmn"
    assert caught.value.line == 2 and caught.value.column


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol3;</definitions>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p">&secret;</process></definitions>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "external-entity"])
def test_documents_with_a_doctype_are_refused_unexpanded(document):
    with pytest.raises(XmlError) as caught:
        compile_models({"evil.bpmn": document})
    assert "DOCTYPE" in caught.value.message
    assert (caught.value.line, caught.value.column) == (2, 1)
    assert "root:" not in caught.value.message


def test_oversized_file_is_refused(monkeypatch):
    monkeypatch.setenv("FUSE_MAX_MODEL_BYTES", "100")
    with pytest.raises(XmlError, match="limit"):
        compile_models({"big.bpmn": one_script_process("x = 1")})


def test_every_unrunnable_element_is_listed_with_its_line():
    model = bpmn_document(
        '<bpmn:startEvent id="start"/><bpmn:serviceTask id="charge" name="Charge"/>'
        + script_task("groovy_step", "x = 1", script_format="groovy")
        + '<bpmn:exclusiveGateway id="gw"/><bpmn:endEvent id="end"/>'
        + flow("f1", "start", "charge") + flow("f2", "charge", "groovy_step") + flow("f3", "groovy_step", "gw")
        + flow("f4", "gw", "end", "${amount >}"))
    with pytest.raises(ModelProblems) as caught:
        compile_models({"m.bpmn": model})
    by_id = {p.element_id: p for p in caught.value.problems}
    assert set(by_id) == {"charge", "groovy_step", "f4"}
    assert all(p.line and p.file == "m.bpmn" for p in by_id.values())
    assert "groovy" in by_id["groovy_step"].message
    assert "serviceTask" in by_id["charge"].message


def test_file_without_executable_process_is_refused():
    with pytest.raises(ModelProblems, match="no executable process"):
        compile_models({"m.bpmn": bpmn_document('<bpmn:startEvent id="s"/>', executable=False)})


def test_spiffworkflow_parse_errors_are_reported_against_the_element():
    # A timer with no time at all: refused (by Fuse's checks before SpiffWorkflow), naming the element.
    model = bpmn_document(
        '<bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="wait">'
        '<bpmn:timerEventDefinition id="timer"/></bpmn:intermediateCatchEvent><bpmn:endEvent id="end"/>'
        + flow("f1", "start", "wait") + flow("f2", "wait", "end"))
    with pytest.raises(ModelProblems) as caught:
        compile_models({"m.bpmn": model})
    [problem] = caught.value.problems
    assert problem.element_id in {"wait", "timer"}
    assert problem.line


def test_latin1_encoded_model_is_read():
    text = one_script_process("x = 'caf\u00e9'").decode().replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    [process] = compile_models({"latin.bpmn": text.encode("latin-1")}).processes
    assert "caf\u00e9" in process.spec.task_specs["work"].script


def corpus_files():
    files = sorted(CORPUS.glob("*/*.bpmn"))
    assert files, f"the MIWG corpus is missing at {CORPUS}"
    return files


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_file_compiles_or_names_its_problems(path):
    try:
        compile_models({path.name: path.read_bytes()})
    except XmlError as err:
        assert err.file == path.name
    except ModelProblems as err:
        assert err.problems
        for problem in err.problems:
            assert problem.message and "Traceback" not in problem.message


def test_a_javascript_input_parameter_is_refused_naming_its_task():
    with pytest.raises(ModelProblems) as caught:
        compile_models({"js.bpmn": (REPRO / "js-input-parameter.bpmn").read_bytes()})
    [problem] = caught.value.problems
    assert problem.element_id == "t" and problem.line and problem.file == "js.bpmn"
    assert "javascript" in problem.message and "'x'" in problem.message


def parameter_task(parameter: str) -> bytes:
    return bpmn_document(
        '<bpmn:startEvent id="start"/><bpmn:userTask id="review"><bpmn:extensionElements><camunda:inputOutput>'
        f'{parameter}</camunda:inputOutput></bpmn:extensionElements></bpmn:userTask><bpmn:endEvent id="end"/>'
        + flow("f1", "start", "review") + flow("f2", "review", "end"))


@pytest.mark.parametrize("parameter, words", [
    (('<camunda:outputParameter name="total"><camunda:list><camunda:script scriptFormat="groovy">1 + 1'
      '</camunda:script></camunda:list></camunda:outputParameter>'), "groovy"),
    (('<camunda:inputParameter name="x"><camunda:script scriptFormat="python" camunda:resource="x.py"/>'
      '</camunda:inputParameter>'), "resource"),
    (('<camunda:inputParameter name="x"><camunda:script scriptFormat="python">x = = 1</camunda:script>'
      '</camunda:inputParameter>'), "cannot parse"),
], ids=["groovy-in-a-list", "external-resource", "python-syntax"])
def test_script_parameters_fuse_cannot_run_are_refused(parameter, words):
    with pytest.raises(ModelProblems) as caught:
        compile_models({"m.bpmn": parameter_task(parameter)})
    [problem] = caught.value.problems
    assert problem.element_id == "review" and words in problem.message


def test_python_and_juel_script_parameters_are_accepted():
    parameters = ('<camunda:inputParameter name="a"><camunda:script scriptFormat="python">len(items)</camunda:script>'
                  '</camunda:inputParameter><camunda:inputParameter name="b"><camunda:script scriptFormat="juel">'
                  '${a + 1}</camunda:script></camunda:inputParameter>')
    [process] = compile_models({"m.bpmn": parameter_task(parameters)}).processes
    assert process.spec.task_specs["review"].extensions["inputs"][0]["value"]["script"] == "len(items)"
