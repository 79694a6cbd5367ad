"""Camunda 7 and 8 extensions are read into one dict per element, kept on the compiled spec."""
from __future__ import annotations

from bpmn.compiler import compile_models
from helpers import bpmn_document, flow

CAMUNDA_TASK = """
<bpmn:startEvent id="start"/>
<bpmn:userTask id="work" camunda:asyncBefore="true" camunda:class="com.acme.Work" camunda:resultVariable="out">
  <bpmn:extensionElements>
    <camunda:properties><camunda:property name="sla" value="PT4H"/></camunda:properties>
    <camunda:failedJobRetryTimeCycle>R3/PT10S</camunda:failedJobRetryTimeCycle>
    <camunda:inputOutput><camunda:inputParameter name="a">1</camunda:inputParameter></camunda:inputOutput>
  </bpmn:extensionElements>
</bpmn:userTask>
<bpmn:endEvent id="end"/>
""" + flow("f1", "start", "work") + flow("f2", "work", "end")

ZEEBE_TASK = """
<bpmn:startEvent id="start"/>
<bpmn:userTask id="work">
  <bpmn:extensionElements>
    <zeebe:taskDefinition type="billing" retries="5"/>
    <zeebe:taskHeaders><zeebe:header key="region" value="eu"/></zeebe:taskHeaders>
    <zeebe:userTaskForm id="f1">{"components": []}</zeebe:userTaskForm>
    <zeebe:subscription correlationKey="=orderId"/>
    <zeebe:calledDecision decisionId="risk" resultVariable="risk"/>
    <zeebe:properties><zeebe:property name="team" value="ops"/></zeebe:properties>
  </bpmn:extensionElements>
</bpmn:userTask>
<bpmn:endEvent id="end"/>
""" + flow("f1", "start", "work") + flow("f2", "work", "end")


def extensions_of(body: str, element: str = "work") -> tuple[dict, list]:
    compiled = compile_models({"m.bpmn": bpmn_document(body)})
    return compiled.processes[0].spec.task_specs[element].extensions, compiled.warnings


def test_camunda_extensions_are_read_into_one_dict():
    extensions, warnings = extensions_of(CAMUNDA_TASK)
    assert extensions["properties"] == {"sla": "PT4H"}
    assert extensions["handler"] == {"kind": "class", "class": "com.acme.Work"}
    assert extensions["result_variable"] == "out"
    assert extensions["async_before"] is True
    assert extensions["retry_time_cycle"] == "R3/PT10S"
    assert extensions["inputs"] == [{"name": "a", "value": {"text": "1"}}]
    assert warnings == []  # all of these are honoured


def test_zeebe_extensions_are_read_into_one_dict():
    extensions, warnings = extensions_of(ZEEBE_TASK)
    assert extensions["handler"] == {"kind": "job", "type": "billing", "retries": "5"}
    assert extensions["task_headers"] == {"region": "eu"}
    assert extensions["form"]["embedded"] == '{"components": []}'
    assert extensions["subscription"] == {"correlation_key": "=orderId"}
    assert extensions["decision"] == {"decision_id": "risk", "result_variable": "risk"}
    assert extensions["properties"] == {"team": "ops"}
    assert warnings == []  # all of these are honoured


def test_extensions_survive_storing_the_spec():
    from engine.store.serialization import SpecCache, dump_specs

    process = compile_models({"m.bpmn": bpmn_document(CAMUNDA_TASK)}).processes[0]
    spec, _ = SpecCache().specs("d1", lambda: dump_specs(process.spec, process.subprocess_specs))
    assert spec.task_specs["work"].extensions["properties"] == {"sla": "PT4H"}
