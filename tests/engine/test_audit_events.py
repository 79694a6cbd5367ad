"""Complete events: who did it, what data changed (secrets masked), which way gateways went and why."""
from __future__ import annotations

import json

from engine.deployment.deploy import deploy
from engine.handlers import registry
from engine.history.reading import instance_history
from engine.identity.users import Actor
from engine.instances.commands import get_instance, open_tasks, patch_variables, start_instance
from engine.store.models import ProcessDefinition
from engine.tasks.user_tasks import complete_task
from helpers import bpmn_document, flow, one_script_process, script_task

ADMIN = Actor("admin", frozenset({"admin"}))
ALICE = Actor("alice", frozenset({"finance"}))


def run(session, files: dict[str, bytes], key: str, variables: dict | None = None):
    deploy(session, files, None, "admin")
    row = start_instance(session, ADMIN, definition_key=key, variables=variables or {})
    session.commit()
    return row


def events(session, instance_id: str, kind: str | None = None) -> list:
    session.expire_all()
    found = instance_history(session, instance_id)
    return [e for e in found if kind is None or e.type == kind]


def complete_only_task(session, instance_id: str, variables: dict, actor: Actor = ALICE):
    [task] = open_tasks(session, instance_id)
    row = complete_task(session, task.id, actor, variables)
    session.commit()
    return row


# ------------------------------------------------------------------------------ variables_changed

def test_a_change_says_what_was_set_what_it_was_before_and_what_was_removed(sessions):
    with sessions() as session:
        row = run(session, {"p.bpmn": one_script_process("x = 2\nz = 3\ndel y")}, "p", {"x": 1, "y": 5})
        [change] = events(session, row.id, "variables_changed")
        assert change.data == {"set": {"x": 2, "z": 3}, "before": {"x": 1, "y": 5}, "removed": ["y"], "masked": []}
        assert change.activity_id == "work" and change.actor == "engine"


def test_a_caller_changing_variables_is_recorded_in_the_same_shape(sessions):
    with sessions() as session:
        row = run(session, {"u.bpmn": _user_task("u")}, "u", {"note": "a"})
        patch_variables(session, row.id, ADMIN, {"note": "b", "extra": 1})
        session.commit()
        change = events(session, row.id, "variables_changed")[-1]
        assert change.actor == "admin"
        assert change.data == {"set": {"note": "b", "extra": 1}, "before": {"note": "a"}, "removed": [],
                               "masked": []}


# ----------------------------------------------------------------------------------------- masking

def test_secrets_are_masked_in_the_history_but_kept_in_the_variables(sessions):
    start = {"password": "hunter2", "amount": 5, "profile": {"api_key": "k-1", "name": "Ann"},
             "cards": [{"card_number": "4111", "holder": "Ann"}]}
    with sessions() as session:
        row = run(session, {"p.bpmn": one_script_process('user_token = "t-9"\npassword = "changed"')}, "p", start)
        [first] = events(session, row.id, "instance_started")
        assert first.data["variables"] == {"password": "***", "amount": 5, "profile": {"api_key": "***", "name": "Ann"},
                                           "cards": [{"card_number": "***", "holder": "Ann"}]}
        assert first.data["masked"] == ["cards", "password", "profile"]
        [change] = events(session, row.id, "variables_changed")
        assert change.data == {"set": {"user_token": "***", "password": "***"}, "before": {"password": "***"},
                               "removed": [], "masked": ["password", "user_token"]}
        variables = get_instance(session, row.id).variables
        assert variables["password"] == "changed" and variables["user_token"] == "t-9"
        assert variables["profile"]["api_key"] == "k-1"


def test_more_sensitive_names_come_from_the_environment(sessions, monkeypatch):
    monkeypatch.setenv("FUSE_SENSITIVE_VARIABLES", "pin, iban")
    with sessions() as session:
        start = {"PIN_code": "1234", "Iban": "DE1", "x": 1}
        row = run(session, {"p.bpmn": one_script_process("ok = True")}, "p", start)
        [first] = events(session, row.id, "instance_started")
        assert first.data["variables"] == {"PIN_code": "***", "Iban": "***", "x": 1}


LOGIN_SCHEMA = {"type": "object", "properties": {
    "pin": {"type": "string", "writeOnly": True}, "note": {"type": "string"},
    "card": {"type": "object", "properties": {"cvc": {"type": "string", "x-sensitive": True},
                                              "brand": {"type": "string"}}}}}


def _user_task(key: str, attributes: str = "") -> bytes:
    return bpmn_document(f'<bpmn:startEvent id="start"/><bpmn:userTask id="enter" name="Enter" {attributes}/>'
                         + script_task("after", "seen = True") + '<bpmn:endEvent id="end"/>'
                         + flow("f1", "start", "enter") + flow("f2", "enter", "after") + flow("f3", "after", "end"),
                         key)


def test_fields_a_json_schema_form_marks_sensitive_are_masked(sessions):
    files = {"l.bpmn": _user_task("l", 'camunda:formKey="json:login"'),
             "login.schema.json": json.dumps(LOGIN_SCHEMA).encode()}
    with sessions() as session:
        row = run(session, files, "l")
        definition = session.get(ProcessDefinition, row.definition_id)
        assert definition.activities["enter"]["sensitive_fields"] == ["card.cvc", "pin"]
        complete_only_task(session, row.id, {"pin": "0000", "note": "hi", "card": {"cvc": "123", "brand": "visa"}})
        [completed] = events(session, row.id, "task_completed")
        assert completed.actor == "alice"
        assert completed.data["variables"] == {"pin": "***", "note": "hi", "card": {"cvc": "***", "brand": "visa"}}
        assert completed.data["masked"] == ["card", "pin"]
        change = next(e for e in events(session, row.id, "variables_changed") if e.activity_id == "enter")
        assert change.actor == "alice" and change.data["set"]["pin"] == "***"
        assert change.data["masked"] == ["card", "pin"]
        assert get_instance(session, row.id).variables["card"] == {"cvc": "123", "brand": "visa"}


CARD_FORM = {"id": "card-form", "type": "default", "components": [
    {"type": "textfield", "key": "cardCode", "label": "Code", "properties": {"sensitive": "true"}},
    {"type": "textfield", "key": "holder", "label": "Holder"}]}


def test_camunda_form_components_with_the_sensitive_property_are_masked(sessions):
    files = {"c.bpmn": _user_task("c", 'camunda:formKey="camunda-forms:deployment:card.form"'),
             "card.form": json.dumps(CARD_FORM).encode()}
    with sessions() as session:
        row = run(session, files, "c")
        complete_only_task(session, row.id, {"cardCode": "9999", "holder": "Ann"})
        [completed] = events(session, row.id, "task_completed")
        assert completed.data["variables"] == {"cardCode": "***", "holder": "Ann"}
        later = next(e for e in events(session, row.id, "variables_changed") if e.activity_id == "after")
        assert later.data["set"] == {"seen": True}


# ---------------------------------------------------------------------------------------- gateways

def _routing(gateway: str = "exclusiveGateway", default: bool = True) -> bytes:
    attributes = ' default="f_small"' if default else ""
    return bpmn_document(
        f'<bpmn:startEvent id="start"/><bpmn:{gateway} id="route"{attributes}/>'
        + script_task("big", "path = 'big'") + script_task("vip", "tag = 'vip'")
        + script_task("small", "path = 'small'")
        + '<bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/><bpmn:endEvent id="e3"/>'
        + flow("f0", "start", "route") + flow("f_big", "route", "big", "amount > 100")
        + flow("f_vip", "route", "vip", "tier == 'gold' and amount > 0") + flow("f_small", "route", "small")
        + flow("f4", "big", "e1") + flow("f5", "vip", "e2") + flow("f6", "small", "e3"), "route")


def test_an_exclusive_gateway_records_the_flow_it_took_and_the_values_it_read(sessions):
    with sessions() as session:
        row = run(session, {"r.bpmn": _routing()}, "route", {"amount": 500, "tier": "gold", "other": 1})
        [decided] = events(session, row.id, "gateway_decided")
        assert decided.activity_id == "route" and decided.actor == "engine"
        assert decided.data == {
            "type": "exclusiveGateway",
            "taken": [{"flow_id": "f_big", "target": "big", "condition": "amount > 100"}],
            "inputs": {"amount": 500, "tier": "gold"},
            "sources": {"amount": {"seq": 1, "activity_id": None}, "tier": {"seq": 1, "activity_id": None}}}


def test_the_default_flow_is_recorded_without_a_condition(sessions):
    with sessions() as session:
        row = run(session, {"r.bpmn": _routing()}, "route", {"amount": 5, "tier": "none"})
        [decided] = events(session, row.id, "gateway_decided")
        assert decided.data["taken"] == [{"flow_id": "f_small", "target": "small", "condition": None}]


def test_an_inclusive_gateway_records_every_flow_it_took(sessions):
    with sessions() as session:
        row = run(session, {"r.bpmn": _routing("inclusiveGateway")}, "route", {"amount": 500, "tier": "gold"})
        [decided] = events(session, row.id, "gateway_decided")
        assert sorted(t["flow_id"] for t in decided.data["taken"]) == ["f_big", "f_vip"]
        assert decided.data["type"] == "inclusiveGateway"


def test_masked_values_stay_masked_in_a_gateway_decision(sessions):
    model = bpmn_document(
        '<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="route" default="f_no"/>'
        + '<bpmn:endEvent id="yes"/><bpmn:endEvent id="no"/>' + flow("f0", "start", "route")
        + flow("f_yes", "route", "yes", "secret_score > 3") + flow("f_no", "route", "no"), "m")
    with sessions() as session:
        row = run(session, {"m.bpmn": model}, "m", {"secret_score": 7})
        [decided] = events(session, row.id, "gateway_decided")
        assert decided.data["inputs"] == {"secret_score": "***"} and decided.data["masked"] == ["secret_score"]
        assert decided.data["taken"][0]["flow_id"] == "f_yes"


SCORE_POLICY = {"id": "scoring", "default": "allow", "score": "double(amount) / 10.0",
                "rules": [{"id": "known", "when": "tier == 'gold'", "effect": "allow", "reason": "a gold customer"}]}


def test_a_branch_taken_on_a_policy_score_points_at_the_policy_evaluation(sessions):
    inputs = ('<bpmn:extensionElements><camunda:inputOutput>'
              '<camunda:inputParameter name="policy">scoring.policy.json</camunda:inputParameter>'
              '<camunda:inputParameter name="amount">${amount}</camunda:inputParameter>'
              '<camunda:inputParameter name="tier">${tier}</camunda:inputParameter>'
              '<camunda:inputParameter name="api_token">${api_token}</camunda:inputParameter>'
              '</camunda:inputOutput></bpmn:extensionElements>')
    model = bpmn_document(
        f'<bpmn:startEvent id="start"/><bpmn:serviceTask id="check" name="Check" camunda:class="policy">{inputs}'
        '</bpmn:serviceTask><bpmn:exclusiveGateway id="route" default="f_manual"/>'
        + script_task("auto", "handled = 'auto'") + script_task("manual", "handled = 'manual'")
        + '<bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>'
        + flow("f0", "start", "check") + flow("f1", "check", "route") + flow("f_auto", "route", "auto", "score >= 50")
        + flow("f_manual", "route", "manual") + flow("f2", "auto", "e1") + flow("f3", "manual", "e2"), "scored")
    files = {"s.bpmn": model, "scoring.policy.json": json.dumps(SCORE_POLICY).encode()}
    with sessions() as session:
        row = run(session, files, "scored", {"amount": 800, "tier": "gold", "api_token": "tok-1"})
        assert row.state == "completed" and get_instance(session, row.id).variables["handled"] == "auto"
        history = events(session, row.id)
        by_seq = {e.seq: e for e in history}
        [decided] = [e for e in history if e.type == "gateway_decided"]
        assert decided.data["taken"] == [{"flow_id": "f_auto", "target": "auto", "condition": "score >= 50"}]
        assert decided.data["inputs"] == {"score": 80}
        source = decided.data["sources"]["score"]
        assert source["activity_id"] == "check" and by_seq[source["seq"]].type == "variables_changed"
        [evidence] = source["evidence"]
        evaluated = by_seq[evidence["seq"]]
        assert evidence["type"] == evaluated.type == "policy_evaluated" and evaluated.actor == "handler:policy"
        assert evaluated.data["policy"] == "scoring" and evaluated.data["score"] == 80
        [called] = [e for e in history if e.type == "handler_called"]
        assert called.actor == "handler:policy" and called.data["inputs"]["api_token"] == "***"
        assert called.data["inputs"]["amount"] == 800
        completed = next(e for e in history if e.type == "activity_completed" and e.activity_id == "check")
        assert completed.actor == "handler:policy"


@registry.register("audit_classifier")
def audit_classifier(inputs, context):
    label = "urgent" if "now" in inputs.get("text", "") else "normal"
    context.record("ai_inference", {"provider": "test", "label": label, "confidence": 0.91, "model": "m@1"})
    return {"label": label}


def test_a_branch_taken_on_a_model_label_points_at_the_inference(sessions):
    model = bpmn_document(
        '<bpmn:startEvent id="start"/><bpmn:serviceTask id="classify" camunda:class="audit_classifier"/>'
        '<bpmn:exclusiveGateway id="route" default="f_later"/><bpmn:endEvent id="fast"/><bpmn:endEvent id="later"/>'
        + flow("f0", "start", "classify") + flow("f1", "classify", "route")
        + flow("f_fast", "route", "fast", "label == 'urgent'") + flow("f_later", "route", "later"), "triage")
    with sessions() as session:
        row = run(session, {"t.bpmn": model}, "triage", {"text": "help now"})
        history = events(session, row.id)
        [decided] = [e for e in history if e.type == "gateway_decided"]
        assert decided.data["taken"][0]["flow_id"] == "f_fast" and decided.data["inputs"] == {"label": "urgent"}
        [evidence] = decided.data["sources"]["label"]["evidence"]
        assert evidence["type"] == "ai_inference"
        assert next(e for e in history if e.seq == evidence["seq"]).data["label"] == "urgent"
        assert get_instance(session, row.id).variable_sources["label"] == decided.data["sources"]["label"]


def test_start_form_fields_marked_sensitive_are_masked_in_the_start_event(sessions):
    schema = {"type": "object", "properties": {"pin": {"type": "string", "writeOnly": True},
                                               "name": {"type": "string"}}}
    model = bpmn_document('<bpmn:startEvent id="start" camunda:formKey="json:signup"/><bpmn:endEvent id="end"/>'
                          + flow("f1", "start", "end"), "signup")
    with sessions() as session:
        row = run(session, {"s.bpmn": model, "signup.schema.json": json.dumps(schema).encode()}, "signup",
                  {"pin": "4321", "name": "Ann"})
        [first] = events(session, row.id, "instance_started")
        assert first.data["variables"] == {"pin": "***", "name": "Ann"} and first.data["masked"] == ["pin"]
        assert get_instance(session, row.id).variables["pin"] == "4321"


def test_sensitive_names_match_whole_words_however_the_name_is_written():
    from engine.history.sensitive import SensitiveNames

    names = SensitiveNames()
    masked = ["password", "userPassword", "db_password", "apiKey", "APIKey", "api-key", "clientSecret",
              "csrf_token", "accessTokens", "cardNumber", "SSN", "credentials"]
    kept = ["processName", "classname", "addressNumber", "tokenizer", "passport", "cardholder"]
    assert [n for n in masked + kept if names._sensitive((n,))] == masked
