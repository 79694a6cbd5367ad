"""Compensation: completed activities are undone by their handlers, newest first, each at most once."""
from __future__ import annotations

import pytest

from bpmn.compiler import compile_models
from bpmn.errors import ModelProblems
from engine.deployment.deploy import deploy
from engine.handlers import registry
from engine.handlers.base import BpmnError
from engine.history.reading import instance_history
from engine.identity.users import Actor
from engine.instances.commands import get_instance, open_tasks, start_instance, terminate_instance
from engine.tasks.user_tasks import complete_task
from engine.worker.worker import Worker
from helpers import bpmn_document, flow, script_task

ADMIN = Actor("admin", frozenset({"admin", "finance"}))
THROW = '<bpmn:intermediateThrowEvent id="{id}"><bpmn:compensateEventDefinition {ref}/></bpmn:intermediateThrowEvent>'


def throw(event_id: str, activity_ref: str | None = None) -> str:
    return THROW.format(id=event_id, ref=f'activityRef="{activity_ref}"' if activity_ref else "")


def handler_for(activity_id: str, handler: str) -> str:
    """A compensation boundary event on `activity_id`, associated with `handler` (already marked)."""
    handler_id = handler.split('id="', 1)[1].split('"', 1)[0]
    return (f'<bpmn:boundaryEvent id="{activity_id}_compensation" attachedToRef="{activity_id}">'
            '<bpmn:compensateEventDefinition/></bpmn:boundaryEvent>' + handler
            + f'<bpmn:association id="{activity_id}_undo" associationDirection="One" '
              f'sourceRef="{activity_id}_compensation" targetRef="{handler_id}"/>')


def undo_script(activity_id: str, script: str) -> str:
    handler = script_task(f"undo_{activity_id}", script)
    return handler.replace("<bpmn:scriptTask ", '<bpmn:scriptTask isForCompensation="true" ')


def undoable(activity_id: str, script: str, undo: str | None = None) -> str:
    """A script task whose handler appends '<activity><x>' to `undone` (or runs `undo`)."""
    undo = undo or f"undone = undone + ['{activity_id}' + str(x)]"
    return script_task(activity_id, script) + handler_for(activity_id, undo_script(activity_id, undo))


def chain(*ids: str) -> str:
    return "".join(flow(f"f_{a}_{b}", a, b) for a, b in zip(ids, ids[1:]))


def sequence(body: str, *ids: str, key: str = "p", extra: str = "") -> bytes:
    return bpmn_document('<bpmn:startEvent id="start"/>' + body + '<bpmn:endEvent id="end"/>'
                         + chain("start", *ids, "end"), key, extra=extra)


def run(session, model: bytes, variables: dict | None = None, key: str = "p"):
    deploy(session, {f"{key}.bpmn": model}, None, "admin")
    return start_instance(session, ADMIN, definition_key=key, variables={"undone": [], **(variables or {})})


def events(session, instance_id: str, *types: str) -> list[tuple[str, str]]:
    return [(e.type, e.activity_id) for e in instance_history(session, instance_id) if e.type in types]


def compensated(session, instance_id: str) -> list[str]:
    return [activity for _, activity in events(session, instance_id, "activity_compensated")]


def test_completed_activities_are_compensated_newest_first_each_with_its_own_data(sessions):
    model = sequence(undoable("a", "x = 1") + undoable("b", "x = 2") + undoable("c", "x = 3") + throw("undo")
                     + script_task("after", "seen = undone"), "a", "b", "c", "undo", "after")
    with sessions() as session:
        done = run(session, model)
        assert done.state == "completed"
        # Each handler sees the x its activity set; what a handler sets flows on to the next one and after.
        assert done.variables["undone"] == done.variables["seen"] == ["c3", "b2", "a1"]
        assert done.variables["x"] == 3
        assert events(session, done.id, "compensation_started", "activity_compensated", "activity_completed") == [
            ("activity_completed", "start"), ("activity_completed", "a"), ("activity_completed", "b"),
            ("activity_completed", "c"), ("compensation_started", "undo"),
            ("activity_completed", "undo_c"), ("activity_compensated", "c"),
            ("activity_completed", "undo_b"), ("activity_compensated", "b"),
            ("activity_completed", "undo_a"), ("activity_compensated", "a"),
            ("activity_completed", "undo"), ("activity_completed", "after"), ("activity_completed", "end")]
        history = instance_history(session, done.id)
        started = next(e for e in history if e.type == "compensation_started")
        assert started.data == {"activity_ref": None, "activities": ["c", "b", "a"]}
        assert [e.data for e in history if e.type == "activity_compensated"][0] == {"handler": "undo_c",
                                                                                   "thrown_by": "undo"}
        assert "undo_a__compensation_start" not in {e.activity_id for e in history}


def test_each_handler_sees_what_the_handler_before_it_wrote(sessions):
    # The hotel step starts the list of undone steps; its handler still sees the refund appended before it.
    hotel = undoable("hotel", "undone = []; x = 1", "undone = undone + ['cancel ' + str(x)]")
    charge = undoable("charge", "x = 2", "undone = undone + ['refund ' + str(x)]")
    model = sequence(hotel + charge + throw("undo"), "hotel", "charge", "undo")
    with sessions() as session:
        deploy(session, {"p.bpmn": model}, None, "admin")
        done = start_instance(session, ADMIN, definition_key="p", variables={})
        assert done.state == "completed", done.error
        # Chained in one scope as in Camunda; each still sees the x its own activity set.
        assert done.variables["undone"] == ["refund 2", "cancel 1"]


def test_activities_never_reached_or_not_completed_are_not_compensated(sessions):
    body = ('<bpmn:parallelGateway id="fork"/>' + undoable("a", "x = 1")
            + '<bpmn:userTask id="review"/>' + handler_for("review", undo_script("review", "undone = ['review']"))
            + '<bpmn:exclusiveGateway id="choose" default="f_skip"/>' + undoable("never", "x = 9")
            + throw("undo") + '<bpmn:parallelGateway id="join"/>')
    model = bpmn_document('<bpmn:startEvent id="start"/>' + body + '<bpmn:endEvent id="end"/>'
                          + flow("f1", "start", "fork") + flow("f2", "fork", "a") + flow("f3", "fork", "review")
                          + flow("f4", "a", "choose") + flow("f_never", "choose", "never", "go_on == True")
                          + flow("f_skip", "choose", "undo") + flow("f5", "never", "undo")
                          + flow("f6", "undo", "join") + flow("f7", "review", "join") + flow("f8", "join", "end"))
    with sessions() as session:
        waiting = run(session, model, {"go_on": False})
        assert waiting.state == "active" and compensated(session, waiting.id) == ["a"]
        [review] = open_tasks(session, waiting.id)  # it completes after the throw: nothing undoes it
        done = complete_task(session, review.id, ADMIN, {})
        assert done.state == "completed"
        assert compensated(session, done.id) == ["a"]


def test_a_second_throw_compensates_only_what_completed_since(sessions):
    model = sequence(undoable("a", "x = 1") + throw("first") + undoable("b", "x = 2") + throw("second")
                     + throw("third"), "a", "first", "b", "second", "third")
    with sessions() as session:
        done = run(session, model)
        assert done.variables["undone"] == ["a1", "b2"]
        assert compensated(session, done.id) == ["a", "b"]
        started = [e.data["activities"] for e in instance_history(session, done.id) if e.type == "compensation_started"]
        assert started == [["a"], ["b"], []]


def test_activity_ref_compensates_that_activity_only(sessions):
    model = sequence(undoable("a", "x = 1") + undoable("b", "x = 2") + throw("just_a", "a") + throw("rest"),
                     "a", "b", "just_a", "rest")
    with sessions() as session:
        done = run(session, model)
        assert done.variables["undone"] == ["a1", "b2"]
        assert [(e.activity_id, e.data["activity_ref"]) for e in instance_history(session, done.id)
                if e.type == "compensation_started"] == [("just_a", "a"), ("rest", None)]


def sub_process(sub_id: str, inner: str, *ids: str, extra: str = "") -> str:
    return (f'<bpmn:subProcess id="{sub_id}"><bpmn:startEvent id="{sub_id}_start"/>{inner}'
            f'<bpmn:endEvent id="{sub_id}_end"/>{chain(f"{sub_id}_start", *ids, f"{sub_id}_end")}{extra}'
            '</bpmn:subProcess>')


def test_a_completed_sub_process_is_compensated_through_its_own_activities(sessions):
    inner = undoable("a", "x = 1") + script_task("plain", "y = 1") + undoable("b", "x = 2")
    model = sequence(undoable("before", "x = 0") + sub_process("booking", inner, "a", "plain", "b") + throw("undo"),
                     "before", "booking", "undo")
    with sessions() as session:
        done = run(session, model)
        assert done.variables["undone"] == ["b2", "a1", "before0"]
        assert compensated(session, done.id) == ["b", "a", "booking", "before"]
        booking = next(e for e in instance_history(session, done.id)
                       if e.type == "activity_compensated" and e.activity_id == "booking")
        assert booking.data["handler"] is None


def test_a_sub_process_with_its_own_handler_is_compensated_by_it_alone(sessions):
    inner = undoable("a", "x = 1")
    handler = undo_script("booking", "undone = undone + ['whole booking']")
    model = sequence(sub_process("booking", inner, "a") + handler_for("booking", handler) + throw("undo"),
                     "booking", "undo")
    with sessions() as session:
        done = run(session, model)
        assert done.variables["undone"] == ["whole booking"]
        assert compensated(session, done.id) == ["booking"]


def test_a_throw_inside_a_sub_process_compensates_that_sub_process_only(sessions):
    inner = undoable("a", "x = 1") + throw("inner_undo")
    model = sequence(undoable("before", "x = 0") + sub_process("booking", inner, "a", "inner_undo"),
                     "before", "booking")
    with sessions() as session:
        done = run(session, model)
        assert done.state == "completed" and done.variables["undone"] == ["a1"]


def test_compensation_event_sub_process_runs_when_its_sub_process_is_compensated(sessions):
    handler = ('<bpmn:subProcess id="on_undo" triggeredByEvent="true"><bpmn:startEvent id="on_undo_start">'
               '<bpmn:compensateEventDefinition/></bpmn:startEvent>'
               + script_task("tell", "undone = undone + ['told ' + str(x)]") + throw("undo_inside")
               + '<bpmn:endEvent id="on_undo_end"/>' + chain("on_undo_start", "tell", "undo_inside", "on_undo_end")
               + '</bpmn:subProcess>')
    inner = undoable("a", "x = 1") + undoable("b", "x = 2")
    model = sequence(sub_process("booking", inner, "a", "b", extra=handler) + script_task("later", "x = 7")
                     + throw("undo"), "booking", "later", "undo")
    with sessions() as session:
        done = run(session, model)
        assert done.state == "completed", done.error
        # The event sub-process sees what the sub-process left (x = 2), then compensates its inside.
        assert done.variables["undone"] == ["told 2", "b2", "a1"]
        assert compensated(session, done.id) == ["b", "a", "booking"]
        whole = next(e for e in instance_history(session, done.id)
                     if e.type == "activity_compensated" and e.activity_id == "booking")
        assert whole.data["handler"] == "on_undo"


@registry.register("reserve_hotel")
def reserve_hotel(inputs, context):
    return {"booking": f"B-{inputs['hotel']}"}


@pytest.mark.parametrize("sequential", ["true", "false"])
def test_every_completed_multi_instance_iteration_is_compensated_with_its_element(sessions, sequential):
    task = (f'<bpmn:serviceTask id="book" camunda:class="reserve_hotel"><bpmn:multiInstanceLoopCharacteristics '
            f'isSequential="{sequential}" camunda:collection="hotels" camunda:elementVariable="hotel"/>'
            '</bpmn:serviceTask>')
    undo = undo_script("book", "undone = undone + [hotel + ':' + booking]")
    model = sequence(task + handler_for("book", undo) + throw("undo"), "book", "undo")
    with sessions() as session:
        done = run(session, model, {"hotels": ["h1", "h2", "h3"]})
        assert done.state == "completed", done.error
        assert done.variables["undone"] == ["h3:B-h3", "h2:B-h2", "h1:B-h1"]
        assert compensated(session, done.id) == ["book", "book", "book"]


def test_cancelling_a_transaction_compensates_it_then_leaves_by_the_cancel_boundary_event(sessions):
    inner = (undoable("reserve", "x = 1") + undoable("charge", "x = 2")
             + '<bpmn:exclusiveGateway id="ok" default="f_ok"/><bpmn:endEvent id="cancel">'
               '<bpmn:cancelEventDefinition/></bpmn:endEvent><bpmn:endEvent id="tx_end"/>')
    transaction = ('<bpmn:transaction id="tx"><bpmn:startEvent id="tx_start"/>' + inner
                   + chain("tx_start", "reserve", "charge", "ok") + flow("f_ok", "ok", "tx_end")
                   + flow("f_cancel", "ok", "cancel", "fail == True") + '</bpmn:transaction>'
                   + '<bpmn:boundaryEvent id="cancelled" attachedToRef="tx"><bpmn:cancelEventDefinition/>'
                     '</bpmn:boundaryEvent>')
    model = bpmn_document('<bpmn:startEvent id="start"/>' + undoable("outer", "x = 0") + transaction
                          + script_task("after_cancel", "path = 'cancelled'") + throw("undo_all")
                          + script_task("after_tx", "path = 'done'") + '<bpmn:endEvent id="end"/>'
                          + '<bpmn:endEvent id="end_cancelled"/>'
                          + chain("start", "outer", "tx", "after_tx", "end")
                          + chain("cancelled", "after_cancel", "undo_all", "end_cancelled"))
    with sessions() as session:
        failed = run(session, model, {"fail": True})
        assert failed.state == "completed", failed.error
        # The transaction's activities, newest first; the transaction left by its cancel boundary
        # did not complete, so compensating the process later undoes only `outer`.
        assert failed.variables["undone"] == ["charge2", "reserve1", "outer0"]
        assert failed.variables["path"] == "cancelled"
        assert events(session, failed.id, "compensation_started")[0] == ("compensation_started", "cancel")
        assert compensated(session, failed.id) == ["charge", "reserve", "outer"]
        passed = start_instance(session, ADMIN, definition_key="p", variables={"undone": [], "fail": False})
        assert passed.variables["path"] == "done" and passed.variables["undone"] == []


def test_compensation_waits_durably_for_a_user_task_handler(sessions):
    refund = ('<bpmn:userTask id="refund" name="Refund the card" isForCompensation="true" '
              'camunda:candidateGroups="finance"/>')
    model = sequence(script_task("charge", "charge_id = 'C-1'") + handler_for("charge", refund)
                     + undoable("ship", "x = 1") + throw("undo") + script_task("after", "finished = True"),
                     "charge", "ship", "undo", "after")
    with sessions() as session:
        waiting = run(session, model)
        session.commit()
        assert waiting.state == "active" and waiting.variables["undone"] == ["ship1"]
        assert [a["activity_id"] for a in waiting.active_activities] == ["undo", "refund"]
        instance_id = waiting.id
    with sessions() as session:  # a new command: the instance is read back from its saved state
        [task] = open_tasks(session, instance_id)
        assert task.activity_id == "refund" and task.candidate_groups == ["finance"]
        done = complete_task(session, task.id, ADMIN, {"refunded": "C-1"})
        session.commit()
    with sessions() as session:
        done = get_instance(session, instance_id)
        assert done.state == "completed" and done.variables["finished"] is True
        assert done.variables["refunded"] == "C-1" and done.variables["charge_id"] == "C-1"
        assert compensated(session, instance_id) == ["ship", "charge"]
        assert ("activity_completed", "refund") in events(session, instance_id, "activity_completed")


def test_terminating_an_instance_cancels_the_waiting_handler(sessions):
    refund = '<bpmn:userTask id="refund" isForCompensation="true"/>'
    model = sequence(script_task("charge", "x = 1") + handler_for("charge", refund) + throw("undo"),
                     "charge", "undo")
    with sessions() as session:
        waiting = run(session, model)
        [task] = open_tasks(session, waiting.id)
        terminate_instance(session, waiting.id, ADMIN, "changed my mind")
        session.commit()
        assert get_instance(session, waiting.id).state == "terminated" and open_tasks(session, waiting.id) == []
        assert ("activity_cancelled", "refund") in events(session, waiting.id, "activity_cancelled")
        assert compensated(session, waiting.id) == []


@registry.register("cancel_reservation")
def cancel_reservation(inputs, context):
    return {"cancelled": inputs["reservation"], "cancelled_by": context.activity_id}


def test_a_service_task_handler_calls_its_handler(sessions):
    cancel = '<bpmn:serviceTask id="cancel" isForCompensation="true" camunda:class="cancel_reservation"/>'
    model = sequence(script_task("reserve", "reservation = 'R-9'") + handler_for("reserve", cancel)
                     + script_task("forget", "reservation = None") + throw("undo"), "reserve", "forget", "undo")
    with sessions() as session:
        done = run(session, model)
        assert done.state == "completed", done.error
        assert done.variables["cancelled"] == "R-9" and done.variables["cancelled_by"] == "cancel"


@registry.register("charge_card")
def charge_card(inputs, context):
    if inputs["amount"] > inputs["limit"]:
        raise BpmnError("DECLINED", f"{inputs['amount']} is over the limit")
    return {"charged": inputs["amount"]}


DECLINED = '<bpmn:error id="declined" errorCode="DECLINED"/>'
CHARGE = '<bpmn:serviceTask id="charge" camunda:class="charge_card"/>'


def test_an_error_caught_by_a_boundary_event_leads_to_compensating_what_completed(sessions):
    body = (undoable("hotel", "x = 1") + undoable("flight", "x = 2") + CHARGE
            + '<bpmn:boundaryEvent id="was_declined" attachedToRef="charge"><bpmn:errorEventDefinition '
              'errorRef="declined"/></bpmn:boundaryEvent>' + throw("undo") + '<bpmn:endEvent id="failed"/>')
    flows = chain("start", "hotel", "flight", "charge", "end") + chain("was_declined", "undo", "failed")
    model = bpmn_document('<bpmn:startEvent id="start"/>' + body + '<bpmn:endEvent id="end"/>' + flows,
                          extra=DECLINED)
    with sessions() as session:
        declined = run(session, model, {"amount": 500, "limit": 100})
        assert declined.state == "completed", declined.error
        assert declined.variables["undone"] == ["flight2", "hotel1"]
        charged = start_instance(session, ADMIN, definition_key="p", variables={"undone": [], "amount": 50,
                                                                              "limit": 100})
        assert charged.variables["charged"] == 50 and charged.variables["undone"] == []


def test_an_error_event_sub_process_compensates_the_scope_that_holds_it(sessions):
    on_error = ('<bpmn:subProcess id="on_decline" triggeredByEvent="true"><bpmn:startEvent id="declined_start">'
                '<bpmn:errorEventDefinition errorRef="declined"/></bpmn:startEvent>' + throw("undo")
                + '<bpmn:endEvent id="on_decline_end"/>' + chain("declined_start", "undo", "on_decline_end")
                + '</bpmn:subProcess>')
    model = sequence(undoable("hotel", "x = 1") + undoable("flight", "x = 2") + CHARGE + on_error,
                     "hotel", "flight", "charge", extra=DECLINED)
    with sessions() as session:
        declined = run(session, model, {"amount": 500, "limit": 100})
        assert declined.state == "completed", declined.error
        assert compensated(session, declined.id) == ["flight", "hotel"]


@registry.register("release_seat")
def release_seat(inputs, context):
    if context.attempt == 1:
        raise ConnectionError("the airline did not answer")
    return {"released": inputs["seat"], "attempt": context.attempt}


def test_a_failing_service_task_handler_is_retried_by_the_worker(sessions):
    release = ('<bpmn:serviceTask id="release" isForCompensation="true" camunda:class="release_seat">'
               '<bpmn:extensionElements><camunda:failedJobRetryTimeCycle>R3/PT0S</camunda:failedJobRetryTimeCycle>'
               '</bpmn:extensionElements></bpmn:serviceTask>')
    model = sequence(script_task("hold", "seat = '12A'") + handler_for("hold", release) + throw("undo"),
                     "hold", "undo")
    with sessions() as session:
        waiting = run(session, model)
        session.commit()
        assert waiting.state == "active" and compensated(session, waiting.id) == []
        instance_id = waiting.id
    Worker(sessions).run_once()
    with sessions() as session:
        done = get_instance(session, instance_id)
        assert done.state == "completed", done.error
        assert done.variables["released"] == "12A" and done.variables["attempt"] == 2
        assert compensated(session, instance_id) == ["hold"]


def test_a_compensation_end_event_compensates_then_ends(sessions):
    model = bpmn_document('<bpmn:startEvent id="start"/>' + undoable("a", "x = 1")
                          + '<bpmn:endEvent id="undo_end"><bpmn:compensateEventDefinition/></bpmn:endEvent>'
                          + chain("start", "a", "undo_end"))
    with sessions() as session:
        done = run(session, model)
        assert done.state == "completed" and done.variables["undone"] == ["a1"]


def problems(body: str) -> list[tuple[str, str]]:
    with pytest.raises(ModelProblems) as refused:
        compile_models({"p.bpmn": sequence(body)})
    return [(p.element_id, p.message) for p in refused.value.problems]


def test_compensation_that_cannot_run_is_refused_naming_the_element():
    lonely = ('<bpmn:task id="t"/><bpmn:boundaryEvent id="b" attachedToRef="t"><bpmn:compensateEventDefinition/>'
              '</bpmn:boundaryEvent>')
    [(element, message)] = problems(lonely)
    assert element == "b" and "no handler" in message
    [(element, message)] = problems(undoable("a", "x = 1") + throw("wrong", "nowhere"))
    assert element == "wrong" and "activityRef 'nowhere'" in message
    flowing = undoable("a", "x = 1") + flow("bad", "undo_a", "end")
    assert ("undo_a", ) == tuple(e for e, m in problems(flowing) if "no sequence flows" in m)
    top_level = ('<bpmn:subProcess id="es" triggeredByEvent="true"><bpmn:startEvent id="es_start">'
                 '<bpmn:compensateEventDefinition/></bpmn:startEvent></bpmn:subProcess>')
    assert [e for e, m in problems(top_level) if "belongs in a sub-process" in m] == ["es"]
    catching = '<bpmn:intermediateCatchEvent id="c"><bpmn:compensateEventDefinition/></bpmn:intermediateCatchEvent>'
    assert [e for e, m in problems(catching) if "no compensation catch event" in m] == ["c"]
    second = ('<bpmn:boundaryEvent id="again" attachedToRef="a"><bpmn:compensateEventDefinition/>'
              '</bpmn:boundaryEvent>' + undo_script("b", "y = 1")
              + '<bpmn:association id="again_undo" sourceRef="again" targetRef="undo_b"/>')
    assert [e for e, m in problems(undoable("a", "x = 1") + second) if "second compensation" in m] == ["again"]
    on_handler = '<bpmn:boundaryEvent id="hb" attachedToRef="undo_a"><bpmn:signalEventDefinition/></bpmn:boundaryEvent>'
    assert [e for e, m in problems(undoable("a", "x = 1") + on_handler) if "on a compensation handler" in m] == [
        "undo_a"]
