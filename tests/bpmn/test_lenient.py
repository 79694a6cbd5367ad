"""Lenient rewrites: models BPMN allows but SpiffWorkflow refuses are rewritten, parsed and run."""
from __future__ import annotations

import threading

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from bpmn.namespaces import bpmn
from bpmn.lenient import Adjustment, force_executable, make_runnable
from bpmn.parser import FuseParser
from bpmn.xml_reader import read_xml
from helpers import CORPUS, bpmn_document, flow, script_task


def parse(root: etree._Element, process_id: str = "p") -> FuseParser:
    parser = FuseParser()
    parser.add_bpmn_xml(root, filename="x.bpmn")
    parser.get_spec(process_id)
    return parser


def run(root: etree._Element, process_id: str = "p", **data) -> BpmnWorkflow:
    """Parse the (rewritten) document and run it to the end, completing manual tasks as they come."""
    parser = parse(root, process_id)
    wf = BpmnWorkflow(parser.get_spec(process_id), parser.get_subprocess_specs(process_id))
    wf.task_tree.data.update(data)
    wf.do_engine_steps()
    while ready := wf.get_tasks(state=TaskState.READY, manual=True):
        ready[0].run()
        wf.do_engine_steps()
    assert wf.is_completed()
    return wf


def rewritten(body: str, executable: bool = True) -> tuple[etree._Element, list[Adjustment]]:
    root = etree.fromstring(bpmn_document(body, executable=executable))
    return root, make_runnable(root)


def refused(body: str) -> None:
    """The model as written is refused by SpiffWorkflow (so the rewrite is what makes it run)."""
    with pytest.raises(ValidationException):
        parse(etree.fromstring(bpmn_document(body)))


def ran(wf: BpmnWorkflow) -> list[str]:
    """The script tasks that ran, in name order."""
    return sorted(t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.COMPLETED)
                  if isinstance(t.task_spec, ScriptTask))


def element(root: etree._Element, element_id: str) -> etree._Element:
    [found] = root.xpath("//*[@id=$id]", id=element_id)
    return found


START, END = '<bpmn:startEvent id="s"/>', '<bpmn:endEvent id="e"/>'


def scripts(*names: str) -> str:
    return "".join(script_task(name, f"{name} = 1") for name in names)


# --- implicit splits -------------------------------------------------------------------------

SPLIT_PLAIN = START + scripts("a", "b", "c") + END + flow("f1", "s", "a") + flow("f2", "a", "b") + \
    flow("f3", "a", "c") + flow("f4", "b", "e") + flow("f5", "c", "e")


def test_implicit_split_without_conditions_runs_every_branch():
    refused(SPLIT_PLAIN)
    root, [adjusted] = rewritten(SPLIT_PLAIN)
    assert adjusted.element_id == "a" and "implicit split after 'a'" in adjusted.message
    assert "parallel gateway" in adjusted.message
    assert adjusted.line == element(etree.fromstring(bpmn_document(SPLIT_PLAIN)), "a").sourceline
    assert etree.QName(element(root, "a__split")).localname == "parallelGateway"
    assert {element(root, f).get("sourceRef") for f in ("f2", "f3")} == {"a__split"}
    assert ran(run(root)) == ["a", "b", "c"]


SPLIT_CONDITIONS = START + scripts("a", "b", "c", "d") + END + flow("f1", "s", "a") + \
    flow("f2", "a", "b", "x > 1") + flow("f3", "a", "c", "x > 5") + flow("f4", "a", "d") + \
    flow("f5", "b", "e") + flow("f6", "c", "e") + flow("f7", "d", "e")


@pytest.mark.parametrize("x, expected", [(3, ["a", "b", "d"]), (9, ["a", "b", "c", "d"]), (0, ["a", "d"])])
def test_implicit_split_fires_true_conditions_and_every_plain_flow(x, expected):
    refused(SPLIT_CONDITIONS)
    root, [adjusted] = rewritten(SPLIT_CONDITIONS)
    assert "inclusive gateway" in adjusted.message
    assert element(root, "f4").findtext(bpmn("conditionExpression")) == "True"
    assert ran(run(root, x=x)) == expected


SPLIT_DEFAULT = START + script_task("a", "a = 1").replace('name="a"', 'name="a" default="f3"') + \
    scripts("b", "c") + END + flow("f1", "s", "a") + flow("f2", "a", "b", "x > 1") + flow("f3", "a", "c") + \
    flow("f4", "b", "e") + flow("f5", "c", "e")


@pytest.mark.parametrize("x, expected", [(2, ["a", "b"]), (0, ["a", "c"])])
def test_implicit_split_takes_the_default_only_when_no_condition_holds(x, expected):
    root, [adjusted] = rewritten(SPLIT_DEFAULT)
    assert element(root, "a__split").get("default") == "f3" and element(root, "a").get("default") is None
    assert element(root, "f3").find(bpmn("conditionExpression")) is None
    assert ran(run(root, x=x)) == expected


def test_start_event_with_plain_flows_is_left_to_spiffworkflow():
    body = START + scripts("b", "c") + END + flow("f1", "s", "b") + flow("f2", "s", "c") + \
        flow("f3", "b", "e") + flow("f4", "c", "e")
    root, adjustments = rewritten(body)
    assert adjustments == []
    assert ran(run(root)) == ["b", "c"]


def test_new_ids_do_not_clash_with_existing_ones():
    body = SPLIT_PLAIN + '<bpmn:textAnnotation id="a__split"/>'
    root, _ = rewritten(body)
    assert etree.QName(element(root, "a__split_2")).localname == "parallelGateway"
    assert ran(run(root)) == ["a", "b", "c"]


def test_new_gateway_joins_the_lane_of_its_task():
    lanes = ('<bpmn:laneSet id="ls"><bpmn:lane id="l1" name="Clerk"><bpmn:flowNodeRef>a</bpmn:flowNodeRef>'
             '</bpmn:lane></bpmn:laneSet>')
    root, _ = rewritten(lanes + SPLIT_PLAIN)
    assert [ref.text for ref in element(root, "l1").iter(bpmn("flowNodeRef"))] == ["a", "a__split"]
    run(root)


def test_implicit_join_is_an_uncontrolled_merge_without_rewrite():
    # BPMN: each arriving token runs the task again. SpiffWorkflow does the same, so nothing is rewritten.
    body = START + '<bpmn:parallelGateway id="g"/>' + scripts("a", "b") + script_task("j", "j = 1") + END + \
        flow("f1", "s", "g") + flow("f2", "g", "a") + flow("f3", "g", "b") + flow("f4", "a", "j") + \
        flow("f5", "b", "j") + flow("f6", "j", "e")
    root, adjustments = rewritten(body)
    assert adjustments == []
    wf = run(root)
    assert [t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.COMPLETED)].count("j") == 2
    assert {"a", "b", "j"} <= set(wf.data)


# --- gateways --------------------------------------------------------------------------------

def gateway(kind: str, *flows: str, default: str | None = None) -> str:
    attribute = f' default="{default}"' if default else ""
    return (START + f'<bpmn:{kind} id="g"{attribute}/>' + scripts("b", "c") + END + flow("f1", "s", "g")
            + "".join(flows) + flow("f4", "b", "e") + flow("f5", "c", "e"))


@pytest.mark.parametrize("x, expected", [(5, ["b"]), (0, ["c"])])
def test_lone_unconditioned_exclusive_flow_becomes_the_default(x, expected):
    body = gateway("exclusiveGateway", flow("f2", "g", "b", "x > 1"), flow("f3", "g", "c"))
    refused(body)
    root, [adjusted] = rewritten(body)
    assert adjusted.element_id == "f3" and "made it the default" in adjusted.message
    assert element(root, "g").get("default") == "f3"
    assert ran(run(root, x=x)) == expected


def test_several_unconditioned_exclusive_flows_are_true_and_the_first_wins():
    body = gateway("exclusiveGateway", flow("f2", "g", "b"), flow("f3", "g", "c"))
    root, adjustments = rewritten(body)
    assert [a.element_id for a in adjustments] == ["f2", "f3"]
    assert all("condition True" in a.message and "Camunda" in a.message for a in adjustments)
    assert ran(run(root)) == ["b"]


def test_unconditioned_flow_beside_a_default_gets_condition_true():
    body = gateway("exclusiveGateway", flow("f2", "g", "b", "x > 1"), flow("f3", "g", "c"),
                   flow("f6", "g", "e"), default="f6")
    root, [adjusted] = rewritten(body)
    assert adjusted.element_id == "f3" and element(root, "g").get("default") == "f6"
    assert ran(run(root, x=0)) == ["c"]


@pytest.mark.parametrize("x, expected", [(5, ["b", "c"]), (0, ["c"])])
def test_unconditioned_inclusive_flow_always_fires(x, expected):
    body = gateway("inclusiveGateway", flow("f2", "g", "b", "x > 1"), flow("f3", "g", "c"))
    refused(body)
    root, [adjusted] = rewritten(body)
    assert "always taken" in adjusted.message
    assert ran(run(root, x=x)) == expected


# --- start and end events --------------------------------------------------------------------

def sub_process(inner: str, sub_id: str = "sub") -> str:
    return (START + f'<bpmn:subProcess id="{sub_id}" name="Sub">{inner}</bpmn:subProcess>' + END
            + flow("f1", "s", sub_id) + flow("f2", sub_id, "e"))


def test_sub_process_without_start_event_starts_every_node_without_incoming_flow():
    body = sub_process(scripts("a", "b", "c") + '<bpmn:endEvent id="se"/>' + flow("g1", "a", "se")
                       + flow("g2", "b", "c") + flow("g3", "c", "se"))
    refused(body)
    root, [adjusted] = rewritten(body)
    assert adjusted.element_id == "sub" and "'Sub' has no start event" in adjusted.message
    assert "'a', 'b'" in adjusted.message
    assert etree.QName(element(root, "sub__start")).localname == "startEvent"
    assert etree.QName(element(root, "sub__start_split")).localname == "parallelGateway"
    assert ran(run(root)) == ["a", "b", "c"]


def test_process_without_start_event_gets_one():
    body = scripts("a") + END + flow("f1", "a", "e")
    refused(body)
    root, [adjusted] = rewritten(body)
    assert adjusted.element_id == "p" and element(root, "p__start").getnext() is not None
    assert ran(run(root)) == ["a"]


def test_boundary_events_event_sub_processes_and_compensation_handlers_are_not_started():
    body = (script_task("a", "a = 1") + '<bpmn:userTask id="u"/>'
            + '<bpmn:boundaryEvent id="t" attachedToRef="u"><bpmn:timerEventDefinition><bpmn:timeDuration>'
            '"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>'
            + '<bpmn:task id="k" isForCompensation="true"/>'
            + '<bpmn:subProcess id="es" triggeredByEvent="true"><bpmn:startEvent id="es_s">'
            '<bpmn:messageEventDefinition/></bpmn:startEvent><bpmn:endEvent id="es_e"/>'
            + flow("g1", "es_s", "es_e") + '</bpmn:subProcess>'
            + END + flow("f1", "a", "u") + flow("f2", "u", "e") + flow("f3", "t", "e"))
    root, adjustments = rewritten(body)
    assert [a.element_id for a in adjustments] == ["p"]
    started = [f.get("targetRef") for f in root.iter(bpmn("sequenceFlow")) if f.get("sourceRef") == "p__start"]
    assert started == ["a"]
    assert ran(run(root)) == ["a"]


def test_empty_sub_process_completes_at_once():
    body = sub_process("")
    refused(body)
    root, [adjusted] = rewritten(body)
    assert "is empty" in adjusted.message
    wf = run(root)
    assert "sub" in [t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.COMPLETED)]


def test_sub_process_without_end_event_gets_one_and_passes_its_variables_on():
    body = sub_process('<bpmn:startEvent id="ss"/>' + scripts("a") + flow("g1", "ss", "a"))
    refused(body)
    root, [adjusted] = rewritten(body)
    assert adjusted.element_id == "a" and "refuses a sub-process without an end event" in adjusted.message
    assert etree.QName(element(root, "sub__end")).localname == "endEvent"
    assert run(root).data["a"] == 1


def test_process_without_end_event_hands_its_variables_back():
    body = START + scripts("a") + flow("f1", "s", "a")
    assert run(etree.fromstring(bpmn_document(body))).data == {}  # SpiffWorkflow drops them
    root, [adjusted] = rewritten(body)
    assert "drops its variables" in adjusted.message
    assert run(root).data == {"a": 1}


def test_path_ending_without_end_event_keeps_its_variables():
    body = START + '<bpmn:parallelGateway id="g"/>' + scripts("a", "b") + END + flow("f1", "s", "g") + \
        flow("f2", "g", "a") + flow("f3", "g", "b") + flow("f4", "a", "e")
    assert "b" not in run(etree.fromstring(bpmn_document(body))).data  # SpiffWorkflow drops b's variables
    root, [adjusted] = rewritten(body)
    assert adjusted.element_id == "b" and "implicit end" in adjusted.message
    assert {"a", "b"} <= set(run(root).data)


def test_ad_hoc_sub_process_gets_no_start_or_end_event():
    body = ('<bpmn:adHocSubProcess id="sub"><bpmn:completionCondition>True</bpmn:completionCondition>'
            + scripts("a", "b", "c") + flow("g1", "a", "b") + flow("g2", "a", "c") + '</bpmn:adHocSubProcess>')
    root, [adjusted] = rewritten(START + body + END + flow("f1", "s", "sub") + flow("f2", "sub", "e"))
    assert "implicit split" in adjusted.message
    # SpiffWorkflow starts every ad hoc node that lists no <incoming>: the new gateway must list one.
    assert element(root, "a__split").findtext(bpmn("incoming")) == "a__split_flow"
    assert root.find(f".//{bpmn('adHocSubProcess')}/{bpmn('startEvent')}") is None
    parse(root)  # not run: SpiffWorkflow 3.2's ad hoc sub-processes do not complete even unchanged


# --- data --------------------------------------------------------------------------------------

def data_task(task_id: str, script: str, reads: str | None = None, writes: str | None = None) -> str:
    """A script task reading from / writing to the data element with id `reads` / `writes`."""
    associations = ""
    if reads:
        associations += (f'<bpmn:dataInputAssociation id="in"><bpmn:sourceRef>{reads}</bpmn:sourceRef>'
                         '</bpmn:dataInputAssociation>')
    if writes:
        associations += (f'<bpmn:dataOutputAssociation id="out"><bpmn:targetRef>{writes}</bpmn:targetRef>'
                         '</bpmn:dataOutputAssociation>')
    return (f'<bpmn:scriptTask id="{task_id}" name="{task_id}">{associations}'
            f'<bpmn:script>{script}</bpmn:script></bpmn:scriptTask>')


def two_data_tasks(first: str, second: str) -> str:
    return START + first + second + END + flow("f1", "s", "a") + flow("f2", "a", "b") + flow("f3", "b", "e")


STORE_REF = '<bpmn:dataStoreReference id="sref" dataStoreRef="store"/>'
STORE_BODY = STORE_REF + two_data_tasks(data_task("a", "a = 1", writes="sref"),
                                        data_task("b", "b = 1", reads="sref"))


def with_store(body: str) -> bytes:
    """The document for `body`, with a data store named 'Orders' declared beside the process."""
    store = '<bpmn:dataStore id="store" name="Orders"/>\n<bpmn:process'
    return bpmn_document(body).decode().replace("<bpmn:process", store).encode()


def test_data_store_without_implementation_is_removed_with_its_associations():
    with pytest.raises(ValidationException, match="has no implementation"):
        parse(etree.fromstring(with_store(STORE_BODY)))
    root = etree.fromstring(with_store(STORE_BODY))
    adjustments = make_runnable(root)
    assert [a.element_id for a in adjustments] == ["store", "out", "in"]
    assert "data store 'Orders' removed" in adjustments[0].message
    assert "'a' writes to data store" in adjustments[1].message
    assert root.find(f".//{bpmn('dataOutputAssociation')}") is None
    assert ran(run(root)) == ["a", "b"]


def test_data_store_reference_without_a_data_store_loses_its_associations():
    # Camunda Modeler writes data store references that name no data store.
    body = STORE_BODY.replace(' dataStoreRef="store"', "")
    refused(body)
    root, adjustments = rewritten(body)
    assert [a.element_id for a in adjustments] == ["out", "in"]
    assert ran(run(root)) == ["a", "b"]


DATA_OBJECT = '<bpmn:dataObject id="total"/>'
DATA_OBJECT_REF = '<bpmn:dataObjectReference id="tref" dataObjectRef="total"/>'


def test_data_objects_already_work():
    body = DATA_OBJECT + DATA_OBJECT_REF + two_data_tasks(
        data_task("a", "total = 5", writes="tref"), data_task("b", "doubled = total * 2", reads="tref"))
    root, adjustments = rewritten(body)
    assert adjustments == []
    wf = run(root)
    assert wf.data_objects["total"] == 5 and wf.data["doubled"] == 10


def test_association_naming_a_data_object_directly_goes_through_a_new_reference():
    body = DATA_OBJECT + two_data_tasks(
        data_task("a", "total = 5", writes="total"), data_task("b", "doubled = total * 2", reads="total"))
    refused(body)
    root, adjustments = rewritten(body)
    assert [a.element_id for a in adjustments] == ["out", "in"]
    assert element(root, "total__ref").get("dataObjectRef") == "total"
    assert run(root).data["doubled"] == 10


def test_association_with_a_process_data_input_is_removed():
    io = ('<bpmn:ioSpecification><bpmn:dataInput id="req" name="Request"/><bpmn:inputSet>'
          '<bpmn:dataInputRefs>req</bpmn:dataInputRefs></bpmn:inputSet><bpmn:outputSet/>'
          '</bpmn:ioSpecification>')
    body = io + two_data_tasks(data_task("a", "a = 1"), data_task("b", "b = 1", reads="req"))
    refused(body)
    root, [adjusted] = rewritten(body)
    assert adjusted.element_id == "in" and "dataInput 'Request'" in adjusted.message
    assert ran(run(root)) == ["a", "b"]


def test_data_object_two_scopes_up_no_longer_hangs_the_parser():
    # SpiffWorkflow's parser looks one scope up and then loops forever; the association is dropped.
    inner = ('<bpmn:subProcess id="inner"><bpmn:startEvent id="is"/>'
             + data_task("w", "total = 5", writes="tref") + DATA_OBJECT_REF + '<bpmn:endEvent id="ie"/>' + flow("i1", "is", "w") + flow("i2", "w", "ie")
             + '</bpmn:subProcess>')
    outer = ('<bpmn:subProcess id="outer"><bpmn:startEvent id="os"/>' + inner + '<bpmn:endEvent id="oe"/>'
             + flow("o1", "os", "inner") + flow("o2", "inner", "oe") + '</bpmn:subProcess>')
    root, [adjusted] = rewritten(DATA_OBJECT + START + outer + END + flow("f1", "s", "outer")
                                 + flow("f2", "outer", "e"))
    assert adjusted.element_id == "out" and "would hang" in adjusted.message
    done = []
    worker = threading.Thread(target=lambda: done.append(run(root)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert done, "parsing or running did not finish"


# --- executability, idempotence, corpus ---------------------------------------------------------

def test_make_runnable_leaves_executability_to_force_executable():
    root, adjustments = rewritten(SPLIT_PLAIN, executable=False)
    assert len(adjustments) == 1
    assert element(root, "p").get("isExecutable") == "false"
    assert force_executable(root) == ["p"]
    assert force_executable(root) == []
    assert ran(run(root)) == ["a", "b", "c"]


@pytest.mark.parametrize("body", [SPLIT_PLAIN, SPLIT_CONDITIONS, SPLIT_DEFAULT, sub_process(""),
                                  gateway("exclusiveGateway", flow("f2", "g", "b"), flow("f3", "g", "c"))])
def test_second_run_changes_nothing(body):
    root, first = rewritten(body)
    assert first
    before = etree.tostring(root)
    assert make_runnable(root) == [] and etree.tostring(root) == before


def corpus_files():
    return sorted(CORPUS.glob("*/*.bpmn"))


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_file_is_rewritten_without_error(path):
    root = read_xml(path.read_bytes(), path.name)
    for adjusted in make_runnable(root):
        assert adjusted.message and (adjusted.line is None or adjusted.line > 0)
    assert make_runnable(root) == []
