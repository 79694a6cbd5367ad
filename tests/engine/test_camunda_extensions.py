"""Camunda 7 and Camunda 8 extensions are read and change what runs."""
from __future__ import annotations

import pytest

from engine.deployment.deploy import deploy
from engine.history.reading import instance_history
from engine.identity.users import Actor
from engine.instances.commands import open_tasks, start_instance
from helpers import bpmn_document, flow

ADMIN = Actor("admin", frozenset({"admin", "finance"}))

INPUT_OUTPUT = """
<bpmn:startEvent id="start" camunda:initiator="starter"/>
<bpmn:scriptTask id="work" scriptFormat="python">
  <bpmn:extensionElements>
    <camunda:inputOutput>
      <camunda:inputParameter name="greeting">Hello</camunda:inputParameter>
      <camunda:inputParameter name="double">${amount * 2}</camunda:inputParameter>
      <camunda:inputParameter name="tags"><camunda:list><camunda:value>a</camunda:value>
        <camunda:value>${name}</camunda:value></camunda:list></camunda:inputParameter>
      <camunda:inputParameter name="info"><camunda:map>
        <camunda:entry key="who">${name}</camunda:entry></camunda:map></camunda:inputParameter>
      <camunda:outputParameter name="message">${result}</camunda:outputParameter>
    </camunda:inputOutput>
  </bpmn:extensionElements>
  <bpmn:script>result = greeting + ' ' + info['who'] + ' ' + str(double) + ' ' + ','.join(tags)</bpmn:script>
</bpmn:scriptTask>
<bpmn:endEvent id="end"/>
""" + flow("f1", "start", "work") + flow("f2", "work", "end")


def run(sessions, files: dict, key: str, variables: dict | None = None):
    with sessions() as session:
        deploy(session, files, None, "admin")
        instance = start_instance(session, ADMIN, definition_key=key, variables=variables or {})
        session.commit()
        return instance, open_tasks(session, instance.id), instance_history(session, instance.id)


def test_camunda_input_output_parameters_map_values_in_and_out(sessions):
    instance, _, _ = run(sessions, {"io.bpmn": bpmn_document(INPUT_OUTPUT, "io")}, "io", {"amount": 5, "name": "Ann"})
    assert instance.state == "completed", instance.error
    assert instance.variables["message"] == "Hello Ann 10 a,Ann"
    # Input parameters are local to the task: they do not leak into the process.
    assert not {"greeting", "double", "tags", "info"} & set(instance.variables)
    assert instance.variables["starter"] == "admin"


ZEEBE = """
<bpmn:startEvent id="start"/>
<bpmn:userTask id="approve" name="Approve">
  <bpmn:extensionElements>
    <zeebe:userTask/>
    <zeebe:assignmentDefinition candidateGroups="finance, audit" assignee="alice"/>
    <zeebe:taskSchedule dueDate="2030-01-02T03:04:05Z"/>
    <zeebe:formDefinition formId="approve-form"/>
    <zeebe:priorityDefinition priority="70"/>
  </bpmn:extensionElements>
</bpmn:userTask>
<bpmn:callActivity id="call_child">
  <bpmn:extensionElements><zeebe:calledElement processId="child"/></bpmn:extensionElements>
</bpmn:callActivity>
<bpmn:endEvent id="end"/>
""" + flow("f1", "start", "approve") + flow("f2", "approve", "call_child") + flow("f3", "call_child", "end")
CHILD = ('<bpmn:process id="child" isExecutable="true"><bpmn:startEvent id="c_start"/>'
         '<bpmn:scriptTask id="c_work" scriptFormat="python"><bpmn:script>y = x + 1</bpmn:script></bpmn:scriptTask>'
         '<bpmn:endEvent id="c_end"/>' + flow("c1", "c_start", "c_work") + flow("c2", "c_work", "c_end")
         + '</bpmn:process>\n')


def test_camunda_8_user_task_and_called_element(sessions):
    from engine.tasks.user_tasks import complete_task

    form = b'{"id": "approve-form", "type": "default", "components": [{"type": "checkbox", "key": "ok", "label": "OK"}]}'
    files = {"z.bpmn": bpmn_document(ZEEBE, "z", extra=CHILD), "approve.form": form}
    instance, tasks, _ = run(sessions, files, "z", {"x": 1})
    [task] = tasks
    assert (task.assignee, task.candidate_groups) == ("alice", ["audit", "finance"])
    assert task.due.isoformat() == "2030-01-02T03:04:05"
    assert task.form_key == "form-id:approve-form"
    assert task.priority == 70
    with sessions() as session:
        done = complete_task(session, task.id, Actor("alice", frozenset()), {"ok": True})
        session.commit()
        assert done.state == "completed", done.error
        assert done.variables["y"] == 2


def test_bare_iso_8601_timer_is_understood(sessions):
    timer = """<bpmn:startEvent id="start"/>
    <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>
      <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT5M</bpmn:timeDuration>
    </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent><bpmn:endEvent id="end"/>""" \
        + flow("f1", "start", "wait") + flow("f2", "wait", "end")
    instance, _, _ = run(sessions, {"t.bpmn": bpmn_document(timer, "t")}, "t")
    assert instance.state == "active", instance.error
    assert [a["activity_id"] for a in instance.active_activities] == ["wait"]


ZEEBE_SCRIPT = """
<bpmn:startEvent id="start"/>
<bpmn:scriptTask id="total">
  <bpmn:extensionElements>
    <zeebe:ioMapping>
      <zeebe:input source="=order.items" target="items"/>
      <zeebe:input source="=0.2" target="rate"/>
      <zeebe:output source="=sum" target="total"/>
      <zeebe:output source="=sum * rate" target="tax"/>
    </zeebe:ioMapping>
    <zeebe:script expression="=sum(for item in items return item.price * item.qty)" resultVariable="sum"/>
  </bpmn:extensionElements>
</bpmn:scriptTask>
<bpmn:userTask id="review">
  <bpmn:extensionElements>
    <zeebe:assignmentDefinition candidateGroups="=if total > 100 then [&quot;finance&quot;] else [&quot;sales&quot;]"/>
  </bpmn:extensionElements>
</bpmn:userTask>
<bpmn:endEvent id="end"/>
""" + flow("f1", "start", "total") + flow("f2", "total", "review") + flow("f3", "review", "end")


def test_camunda_8_script_io_mapping_and_feel_assignment(sessions):
    order = {"items": [{"price": 40, "qty": 2}, {"price": 30, "qty": 1}]}
    instance, tasks, _ = run(sessions, {"s.bpmn": bpmn_document(ZEEBE_SCRIPT, "s")}, "s", {"order": order})
    assert instance.state == "active", instance.error
    assert instance.variables["total"] == 110 and abs(instance.variables["tax"] - 22) < 1e-9
    assert not {"items", "rate"} & set(instance.variables)
    assert tasks[0].candidate_groups == ["finance"]


CALLER = """
<bpmn:startEvent id="start"/>
<bpmn:callActivity id="call" calledElement="callee">
  <bpmn:extensionElements>
    <camunda:in source="amount" target="value"/>
    <camunda:in sourceExpression="${amount * 10}" target="scaled"/>
    <camunda:out source="doubled" target="result"/>
    <camunda:out source="saw_secret" target="saw_secret"/>
    <camunda:out source="leak" target="seen_scaled"/>
  </bpmn:extensionElements>
</bpmn:callActivity>
<bpmn:endEvent id="end"/>
""" + flow("f1", "start", "call") + flow("f2", "call", "end")
CALLEE = ('<bpmn:process id="callee" isExecutable="true"><bpmn:startEvent id="c_start"/>'
          '<bpmn:scriptTask id="c_work" scriptFormat="python"><bpmn:script>'
          'doubled = value * 2\nleak = scaled\ntry:\n    secret\n    saw_secret = True\nexcept NameError:\n    saw_secret = False'
          '</bpmn:script></bpmn:scriptTask>'
          '<bpmn:endEvent id="c_end"/>' + flow("c1", "c_start", "c_work") + flow("c2", "c_work", "c_end")
          + '</bpmn:process>\n')


def test_camunda_in_out_mappings_pass_exactly_what_they_name(sessions):
    instance, _, _ = run(sessions, {"c.bpmn": bpmn_document(CALLER, "caller", extra=CALLEE)}, "caller",
                         {"amount": 4, "secret": "s3"})
    assert instance.state == "completed", instance.error
    assert instance.variables["result"] == 8 and instance.variables["seen_scaled"] == 40
    # The called process saw only what camunda:in passed; only what camunda:out names came back.
    assert instance.variables["saw_secret"] is False
    assert not {"doubled", "leak", "value", "scaled"} & set(instance.variables)
    assert instance.variables["secret"] == "s3"


def test_multi_instance_over_a_collection_makes_one_task_per_element(sessions):
    from engine.tasks.user_tasks import complete_task

    body = ('<bpmn:startEvent id="start"/><bpmn:userTask id="review" camunda:assignee="${reviewer}">'
            '<bpmn:multiInstanceLoopCharacteristics camunda:collection="${reviewers}" '
            'camunda:elementVariable="reviewer"/></bpmn:userTask><bpmn:endEvent id="end"/>'
            + flow("f1", "start", "review") + flow("f2", "review", "end"))
    instance, tasks, _ = run(sessions, {"mi.bpmn": bpmn_document(body, "mi")}, "mi", {"reviewers": ["ann", "bob", "cy"]})
    assert sorted(t.assignee for t in tasks) == ["ann", "bob", "cy"]
    with sessions() as session:
        for task in tasks:
            last = complete_task(session, task.id, Actor(task.assignee, frozenset()), {"ok": True})
            session.commit()
        assert last.state == "completed", last.error


def test_business_rule_task_runs_the_deployed_dmn_decision(sessions):
    from helpers import ROOT

    body = ('<bpmn:startEvent id="start"/><bpmn:businessRuleTask id="decide" camunda:decisionRef="risk"/>'
            '<bpmn:endEvent id="end"/>' + flow("f1", "start", "decide") + flow("f2", "decide", "end"))
    files = {"d.bpmn": bpmn_document(body, "decide"), "risk.dmn": (ROOT / "tests/fixtures/risk.dmn").read_bytes()}
    with sessions() as session:
        deploy(session, files, None, "admin")
        for amount, risk in ((50, "low"), (5000, "high")):
            instance = start_instance(session, ADMIN, definition_key="decide", variables={"amount": amount})
            assert instance.state == "completed", instance.error
            assert instance.variables["risk"] == risk


def test_camunda_8_multi_instance_collects_each_output(sessions):
    body = ('<bpmn:startEvent id="start"/><bpmn:scriptTask id="price" scriptFormat="python">'
            '<bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements>'
            '<zeebe:loopCharacteristics inputCollection="=items" inputElement="item" '
            'outputCollection="prices" outputElement="=line"/></bpmn:extensionElements>'
            '</bpmn:multiInstanceLoopCharacteristics>'
            '<bpmn:script>line = item["qty"] * 10</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="end"/>'
            + flow("f1", "start", "price") + flow("f2", "price", "end"))
    instance, _, _ = run(sessions, {"zmi.bpmn": bpmn_document(body, "zmi")}, "zmi",
                         {"items": [{"qty": 1}, {"qty": 2}, {"qty": 3}]})
    assert instance.state == "completed", instance.error
    assert instance.variables["prices"] == [10, 20, 30]


def decision_process(key: str, attributes: str, extension: str = "") -> bytes:
    return bpmn_document(f'<bpmn:startEvent id="start"/><bpmn:businessRuleTask id="decide" {attributes}>'
                         f'{extension}</bpmn:businessRuleTask><bpmn:endEvent id="end"/>'
                         + flow("f1", "start", "decide") + flow("f2", "decide", "end"), key)


def test_decision_results_land_in_the_result_variable_shaped_as_camunda_does(sessions):
    from helpers import ROOT

    dmn = (ROOT / "tests/fixtures/risk.dmn").read_bytes()
    files = {
        "single.bpmn": decision_process("single", 'camunda:decisionRef="risk" camunda:resultVariable="r" '
                                                  'camunda:mapDecisionResult="singleEntry"'),
        "list.bpmn": decision_process("as_list", 'camunda:decisionRef="risk" camunda:resultVariable="r"'),
        "zeebe.bpmn": decision_process("zeebe", "", '<bpmn:extensionElements><zeebe:calledDecision '
                                                    'decisionId="risk" resultVariable="r"/></bpmn:extensionElements>'),
        "risk.dmn": dmn,
    }
    with sessions() as session:
        deploy(session, files, None, "admin")
        results = {key: start_instance(session, ADMIN, definition_key=key, variables={"amount": 5000})
                   for key in ("single", "as_list", "zeebe")}
        assert {k: i.variables.get("r") for k, i in results.items()} == {
            "single": "high", "as_list": [{"risk": "high"}], "zeebe": "high"}
        assert all("risk" not in i.variables for i in results.values())


def test_a_local_input_hides_a_process_variable_only_while_the_task_runs(sessions):
    body = ('<bpmn:startEvent id="start"/><bpmn:scriptTask id="work" scriptFormat="python">'
            '<bpmn:extensionElements><camunda:inputOutput>'
            '<camunda:inputParameter name="text">${text.toUpperCase()}</camunda:inputParameter>'
            '<camunda:outputParameter name="shout">${text}</camunda:outputParameter>'
            '</camunda:inputOutput></bpmn:extensionElements><bpmn:script>seen = text</bpmn:script></bpmn:scriptTask>'
            '<bpmn:endEvent id="end"/>' + flow("f1", "start", "work") + flow("f2", "work", "end"))
    instance, _, _ = run(sessions, {"h.bpmn": bpmn_document(body, "hide")}, "hide", {"text": "hi"})
    assert instance.variables["text"] == "hi"
    assert instance.variables["shout"] == "HI" and instance.variables["seen"] == "HI"


def test_a_user_task_input_shadows_a_process_variable_until_the_task_completes(sessions):
    from engine.instances.commands import get_instance, patch_variables
    from engine.tasks.user_tasks import complete_task

    body = ('<bpmn:startEvent id="start"/><bpmn:userTask id="check"><bpmn:extensionElements><zeebe:ioMapping>'
            '<zeebe:input source="=&quot;draft of &quot; + text" target="text"/>'
            '<zeebe:input source="=2" target="attempts"/>'
            '</zeebe:ioMapping></bpmn:extensionElements></bpmn:userTask><bpmn:endEvent id="end"/>'
            + flow("f1", "start", "check") + flow("f2", "check", "end"))
    instance, [task], _ = run(sessions, {"s.bpmn": bpmn_document(body, "shadow")}, "shadow", {"text": "hi"})
    # While it waits, the process sees its own `text`, not the task's local one, and no `attempts`.
    assert instance.variables == {"text": "hi"}
    with sessions() as session:
        # A process variable set meanwhile is what the process has after the task, not the local value.
        patch_variables(session, instance.id, ADMIN, {"text": "changed", "other": 1})
        session.commit()
        assert get_instance(session, instance.id).variables == {"text": "changed", "other": 1}
        done = complete_task(session, task.id, ADMIN, {"text": "typed into the form", "ok": True})
        session.commit()
        assert done.state == "completed", done.error
        # Submitted values named like an input set the local one, which goes with the task (as in Camunda).
        assert done.variables == {"text": "changed", "other": 1, "ok": True}


def multi_instance_script(loop: str, script: str = "line = item * 10") -> bytes:
    return bpmn_document(f'<bpmn:startEvent id="start"/><bpmn:scriptTask id="price" scriptFormat="python">{loop}'
                         f'<bpmn:script>{script}</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="end"/>'
                         + flow("f1", "start", "price") + flow("f2", "price", "end"), "mi")


@pytest.mark.parametrize("sequential", ["true", "false"])
def test_the_element_variable_is_local_to_each_iteration(sessions, sequential):
    from helpers import REPRO

    repro = {"r.bpmn": (REPRO / "mi-input-element-exists.bpmn").read_bytes()}
    instance, _, _ = run(sessions, repro, "miInputExists", {"items": [1, 2], "item": 0})
    assert instance.state == "completed", instance.error
    assert instance.variables == {"items": [1, 2], "item": 0}
    zeebe = ('<bpmn:multiInstanceLoopCharacteristics isSequential="{}"><bpmn:extensionElements>'
             '<zeebe:loopCharacteristics inputCollection="=items" inputElement="item" outputCollection="lines" '
             'outputElement="=line"/></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>')
    instance, _, _ = run(sessions, {"z.bpmn": multi_instance_script(zeebe.format(sequential))}, "mi",
                         {"items": [1, 2], "item": 0, "line": "mine"})
    assert instance.state == "completed", instance.error
    assert instance.variables == {"items": [1, 2], "item": 0, "line": "mine", "lines": [10, 20]}
    camunda = (f'<bpmn:multiInstanceLoopCharacteristics isSequential="{sequential}" camunda:collection="items" '
               'camunda:elementVariable="item"/>')
    instance, _, _ = run(sessions, {"c.bpmn": multi_instance_script(camunda)}, "mi", {"items": [1, 2], "item": 0})
    assert instance.state == "completed", instance.error
    assert instance.variables["item"] == 0


@pytest.mark.parametrize("sequential", ["true", "false"])
def test_a_missing_collection_is_named_in_the_error(sessions, sequential):
    loops = {
        "zeebe": (f'<bpmn:multiInstanceLoopCharacteristics isSequential="{sequential}"><bpmn:extensionElements>'
                  '<zeebe:loopCharacteristics inputCollection="=items" inputElement="item"/>'
                  '</bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>'),
        "camunda": (f'<bpmn:multiInstanceLoopCharacteristics isSequential="{sequential}" camunda:collection="items" '
                    'camunda:elementVariable="item"/>'),
    }
    for name, loop in loops.items():
        instance, _, _ = run(sessions, {f"{name}.bpmn": multi_instance_script(loop)}, "mi", {"things": [1]})
        assert instance.state == "failed", name
        assert instance.error["message"].startswith(
            "the collection variable 'items' of multi-instance activity price does not exist"), name
        assert instance.error["activity_id"] == "price", name
