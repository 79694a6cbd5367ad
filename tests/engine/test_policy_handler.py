"""The `policy` handler: CEL policies deployed with the model decide allow / step-up / deny, leave the
matched rules in the history, and a broken policy is a technical failure that names the rule."""
import json
import time
from datetime import timedelta

import pytest

from engine.handlers.base import BpmnError, HandlerContext
from engine.identity.users import Actor
from engine.store.models import utcnow
from engine.handlers.policy import check_policy_document, handle
from engine.handlers.policy_document import compiled_policy

REFUND_POLICY = {
    "id": "refund-policy",
    "description": "Who may refund how much, from where",
    "default": "allow",
    "score": "double(session.trust_score) * 0.7 + (user.mfa_level >= 2 ? 30.0 : 0.0)",
    "rules": [
        {"id": "untrusted-session", "when": "score < 40.0", "effect": "deny",
         "reason": "the session's trust score is too low"},
        {"id": "outside-office", "when": "!ip_in(session.ip, ['10.0.0.0/8', '192.168.0.0/16'])", "effect": "deny",
         "reason": "refunds are only made from the office network"},
        {"id": "mfa-for-large-refunds", "when": "amount > 1000.0 && user.mfa_level < 2", "effect": "step_up",
         "reason": "refunds over 1000 need MFA level 2"},
        {"id": "stale-session", "when": "session.age_s > 3600", "effect": "step_up",
         "reason": "the session is older than an hour"},
        {"id": "finance-only-above-5000", "when": "amount > 5000.0 && !('finance' in user.roles)",
         "effect": "deny", "reason": "refunds over 5000 are for finance"},
    ],
}


def policy_file(**changes) -> bytes:
    return json.dumps({**REFUND_POLICY, **changes}).encode()


def context_with(content: bytes, name: str = "refund.policy.json", **kwargs) -> HandlerContext:
    files = {name: content}
    return HandlerContext(instance_id="i-1", business_key="order-7", activity_id="CheckPolicy", attempt=1,
                          resource=lambda wanted: files[wanted], **kwargs)


def refund(amount=200.0, roles=("clerk",), mfa_level=2, age_s=120, ip="10.1.2.3", trust_score=90, **extra):
    return {"policy": "refund.policy.json", "amount": amount,
            "user": {"id": "u-42", "roles": list(roles), "mfa_level": mfa_level},
            "session": {"age_s": age_s, "ip": ip, "trust_score": trust_score}, **extra}


def refusal(inputs, context) -> BpmnError:
    with pytest.raises(BpmnError) as info:
        handle(inputs, context)
    return info.value


def test_ordinary_refund_is_allowed_when_no_rule_matches():
    context = context_with(policy_file())
    outputs = handle(refund(), context)
    assert outputs == {"decision": "allow", "score": 93.0, "reasons": [], "matched": []}
    assert context.audit == [("policy_evaluated", {"policy": "refund-policy", "decision": "allow",
                                                   "score": 93.0, "matched": [],
                                                   "person": {"user": "", "trust_score": None}})]


def test_large_refund_by_a_clerk_is_denied_with_reasons_in_history():
    context = context_with(policy_file())
    err = refusal(refund(amount=8000.0), context)
    assert err.code == "POLICY_DENIED"
    assert err.message == "refunds over 5000 are for finance"
    assert err.variables == {"decision": "deny", "score": 93.0, "reasons": ["refunds over 5000 are for finance"],
                             "matched": ["finance-only-above-5000"]}
    assert context.audit == [("policy_evaluated", {
        "policy": "refund-policy", "decision": "deny", "score": 93.0,
        "matched": [{"id": "finance-only-above-5000", "effect": "deny",
                     "reason": "refunds over 5000 are for finance"}],
        "person": {"user": "", "trust_score": None}})]


def test_large_refund_with_low_mfa_asks_for_step_up():
    context = context_with(policy_file())
    err = refusal(refund(amount=1500.0, mfa_level=1, trust_score=100), context)
    assert err.code == "STEP_UP_REQUIRED"
    assert err.message == "refunds over 1000 need MFA level 2"
    assert err.variables["decision"] == "step_up"
    assert err.variables["matched"] == ["mfa-for-large-refunds"]
    assert context.audit[0][1]["decision"] == "step_up"


def test_deny_outweighs_step_up_and_every_matched_rule_is_reported():
    context = context_with(policy_file())
    err = refusal(refund(amount=8000.0, age_s=7200), context)
    assert err.code == "POLICY_DENIED"
    assert err.message == "refunds over 5000 are for finance"  # the rules that decided
    assert err.variables["matched"] == ["stale-session", "finance-only-above-5000"]
    assert err.variables["reasons"] == ["the session is older than an hour", "refunds over 5000 are for finance"]
    assert [m["effect"] for m in context.audit[0][1]["matched"]] == ["step_up", "deny"]


def test_trust_score_comes_from_the_score_expression_and_feeds_the_rules():
    # 50 * 0.7 + 0 (no MFA) = 35 < 40: untrusted
    context = context_with(policy_file())
    err = refusal(refund(mfa_level=0, trust_score=50), context)
    assert err.code == "POLICY_DENIED"
    assert err.variables["score"] == 35.0
    assert err.variables["matched"] == ["untrusted-session"]
    assert context.audit[0][1]["score"] == 35.0


def test_policy_without_score_expression_outputs_no_score():
    rules = [rule for rule in REFUND_POLICY["rules"] if rule["id"] != "untrusted-session"]
    outputs = handle(refund(), context_with(policy_file(score=None, rules=rules)))
    assert outputs["score"] is None


def test_rule_using_score_without_a_score_expression_is_reported_at_deploy():
    problems = check_policy_document(policy_file(score=None), "refund.policy.json")
    assert problems == ["refund.policy.json: rule 'untrusted-session': `when` uses `score`, "
                        "but the policy has no `score` expression"]


def test_refund_from_outside_the_office_network_is_denied():
    err = refusal(refund(ip="203.0.113.9"), context_with(policy_file()))
    assert err.variables["matched"] == ["outside-office"]
    assert handle(refund(ip="192.168.4.20"), context_with(policy_file()))["decision"] == "allow"


def test_ip_allow_list_understands_ipv6():
    rule = {"id": "v6-office", "when": "ip_in(session.ip, ['2001:db8::/32'])", "effect": "allow",
            "reason": "office IPv6 range"}
    content = policy_file(score=None, default="deny", rules=[rule])
    assert handle(refund(ip="2001:db8::7"), context_with(content))["matched"] == ["v6-office"]
    assert refusal(refund(ip="10.0.0.1"), context_with(content)).code == "POLICY_DENIED"


def test_finance_role_may_refund_large_amounts():
    outputs = handle(refund(amount=8000.0, roles=("clerk", "finance")), context_with(policy_file()))
    assert outputs["decision"] == "allow"


def test_attribute_rules_use_cel_string_functions():
    rule = {"id": "eu-staff", "when": "user.email.endsWith('@example.eu') && user.country in ['DE', 'FR']",
            "effect": "allow", "reason": "EU staff"}
    content = policy_file(score=None, default="deny", rules=[rule])
    inputs = refund()
    inputs["user"].update(email="ana@example.eu", country="FR")
    assert handle(inputs, context_with(content)) == {"decision": "allow", "score": None, "reasons": ["EU staff"],
                                                    "matched": ["eu-staff"]}
    inputs["user"]["country"] = "US"
    err = refusal(inputs, context_with(content))
    assert err.message == "no rule matched; the default of policy refund-policy is deny"


def test_policy_file_can_come_from_task_config():
    inputs = refund()
    del inputs["policy"]
    context = context_with(policy_file(), config={"policy": "refund.policy.json"})
    assert handle(inputs, context)["decision"] == "allow"


def test_rule_that_fails_at_evaluation_is_a_technical_error_naming_the_rule():
    rule = {"id": "vip", "when": "user.vip_level > 2", "effect": "allow", "reason": "VIP"}
    with pytest.raises(ValueError) as info:
        handle(refund(), context_with(policy_file(rules=[rule])))
    message = str(info.value)
    assert "refund-policy" in message and "'vip'" in message and "vip_level" in message


def test_rule_that_does_not_compile_is_a_technical_error_naming_the_rule():
    rule = {"id": "broken", "when": "amount >", "effect": "deny", "reason": "never"}
    with pytest.raises(ValueError) as info:
        handle(refund(), context_with(policy_file(rules=[rule])))
    message = str(info.value)
    assert "refund.policy.json" in message and "'broken'" in message and "does not compile" in message
    assert "Syntax error" in message


def test_policy_that_is_not_json_is_a_technical_error():
    with pytest.raises(ValueError, match="refund.policy.json: not a JSON document"):
        handle(refund(), context_with(b"rules: [oops"))


def test_check_policy_document_reports_a_non_compiling_rule():
    rules = REFUND_POLICY["rules"] + [{"id": "typo", "when": "amount >> 3", "effect": "deny", "reason": "x"}]
    problems = check_policy_document(policy_file(rules=rules), "refund.policy.json")
    assert len(problems) == 1
    assert problems[0].startswith("refund.policy.json: rule 'typo': `when` does not compile:")


def test_check_policy_document_accepts_a_good_policy_and_lists_structural_problems():
    assert check_policy_document(policy_file(), "refund.policy.json") == []
    bad = {"id": "p", "default": "maybe", "rules": [
        {"id": "a", "when": "true", "effect": "deny", "reason": "r"},
        {"id": "a", "when": "true", "effect": "block"},
        "not a rule",
    ]}
    problems = check_policy_document(json.dumps(bad).encode(), "p.policy.json")
    assert problems == [
        "p.policy.json: `default` must be one of allow, step_up, deny, not 'maybe'",
        "p.policy.json: rule 'a': the id is already used by an earlier rule",
        "p.policy.json: rule 'a': `reason` must be a non-empty string",
        "p.policy.json: rule 'a': `effect` must be one of allow, step_up, deny, not 'block'",
        "p.policy.json: rule #3 is not a JSON object",
    ]


def test_five_rule_policy_evaluates_in_microseconds_once_compiled():
    context = context_with(policy_file())
    inputs = refund()
    handle(inputs, context)  # compiles and caches
    calls = 2000
    started = time.perf_counter()
    for _ in range(calls):
        handle(inputs, context)
    per_call_us = (time.perf_counter() - started) / calls * 1e6
    print(f"\n5-rule policy + score: {per_call_us:.1f} µs per evaluation (compiled cache warm)")
    assert per_call_us < 2000  # generous bound for slow CI machines; typically tens of µs


def test_policy_is_compiled_once_per_content_and_a_changed_file_takes_effect():
    first = policy_file()
    assert compiled_policy(first, "refund.policy.json") is compiled_policy(bytes(first), "refund.policy.json")
    stricter = policy_file(default="deny", rules=[])
    assert compiled_policy(stricter, "refund.policy.json") is not compiled_policy(first, "refund.policy.json")
    assert refusal(refund(), context_with(stricter)).code == "POLICY_DENIED"


# --- the person acting (context.actor, engine.identity.person) ----------------------------------------------

PEOPLE = {"id": "people", "default": "allow", "rules": [
    {"id": "own", "when": "person.user == requester", "effect": "deny", "reason": "not your own request"},
    {"id": "mfa", "when": "!person.second_factor", "effect": "step_up", "reason": "a second factor is needed",
     "requires": {"second_factor": True}},
    {"id": "fresh", "when": "person.auth_age_minutes == null || person.auth_age_minutes > 10.0",
     "effect": "step_up", "reason": "sign in again", "requires": {"max_auth_age_minutes": 10}},
    {"id": "fresher", "when": "'finance' in person.groups && person.auth_age_minutes > 5.0", "effect": "step_up",
     "reason": "finance signs in again after 5 minutes", "requires": {"max_auth_age_minutes": 5}},
]}


def person_policy(**changes) -> bytes:
    return json.dumps({**PEOPLE, **changes}).encode()


def acting(name="ana", amr=("pwd",), minutes_ago=2.0, groups=("finance",)) -> Actor:
    return Actor(name, frozenset(groups), utcnow() - timedelta(minutes=minutes_ago), amr, "10.0.0.5")


def people_context(actor: Actor | None) -> HandlerContext:
    return context_with(person_policy(), "people.policy.json", actor=actor)


def test_step_up_names_the_person_why_and_the_stricter_of_what_the_rules_require():
    err = refusal({"policy": "people.policy.json", "requester": "bob"}, people_context(acting(minutes_ago=30)))
    assert err.code == "STEP_UP_REQUIRED"
    assert err.variables["step_up_user"] == "ana"
    assert err.variables["step_up_reasons"] == ["a second factor is needed", "sign in again",
                                                "finance signs in again after 5 minutes"]
    assert err.variables["step_up_requires"] == {"second_factor": True, "max_auth_age_minutes": 5}


def test_a_person_who_shows_what_is_asked_goes_on():
    outputs = handle({"policy": "people.policy.json", "requester": "bob"},
                     people_context(acting(amr=("pwd", "otp"), minutes_ago=1)))
    assert outputs == {"decision": "allow", "score": None, "reasons": [], "matched": []}


def test_a_deny_on_the_person_outweighs_the_step_ups_and_carries_no_step_up_variables():
    context = people_context(acting(name="bob"))
    err = refusal({"policy": "people.policy.json", "requester": "bob"}, context)
    assert err.code == "POLICY_DENIED" and err.message == "not your own request"
    assert "step_up_user" not in err.variables
    assert context.audit[0][1]["person"] == {"user": "bob", "trust_score": None}


def test_nobody_fails_closed_and_a_default_step_up_gives_its_own_reason():
    err = refusal({"policy": "people.policy.json", "requester": "bob"}, people_context(None))
    assert err.variables["step_up_user"] == "" and err.variables["matched"] == ["mfa", "fresh"]
    content = person_policy(default="step_up", rules=[])
    err = refusal({"policy": "people.policy.json"}, context_with(content, "people.policy.json", actor=acting()))
    assert err.variables["step_up_reasons"] == ["no rule matched; the default of policy people is step_up"]
    assert err.variables["step_up_requires"] == {}


def test_an_input_named_person_does_not_replace_the_person_acting():
    forged = {"user": "bob", "second_factor": True, "auth_age_minutes": 0.0, "groups": []}
    err = refusal({"policy": "people.policy.json", "requester": "bob", "person": forged},
                  people_context(acting(minutes_ago=1)))
    assert err.code == "STEP_UP_REQUIRED" and err.variables["step_up_user"] == "ana"  # not denied as bob


def test_the_history_names_the_person_and_never_more_of_them():
    context = people_context(acting(minutes_ago=30))
    refusal({"policy": "people.policy.json", "requester": "bob"}, context)
    [(kind, data)] = context.audit
    assert kind == "policy_evaluated" and data["person"] == {"user": "ana", "trust_score": None}
    assert [m.get("requires") for m in data["matched"]] == [
        {"second_factor": True}, {"max_auth_age_minutes": 10}, {"max_auth_age_minutes": 5}]


def test_requires_is_checked_with_the_policy():
    assert check_policy_document(person_policy(), "people.policy.json") == []
    rules = [
        {"id": "a", "when": "true", "effect": "step_up", "reason": "r", "requires": ["second_factor"]},
        {"id": "b", "when": "true", "effect": "step_up", "reason": "r",
         "requires": {"second_factor": "yes", "max_auth_age_minutes": 0, "group": "finance"}},
        {"id": "c", "when": "true", "effect": "deny", "reason": "r", "requires": {"second_factor": True}},
        {"id": "d", "when": "true", "effect": "step_up", "reason": "r", "requires": {"max_auth_age_minutes": 2.5}},
        {"id": "e", "when": "true", "effect": "step_up", "reason": "r", "requires": {"max_auth_age_minutes": True}},
    ]
    assert check_policy_document(person_policy(rules=rules), "p.policy.json") == [
        ("p.policy.json: rule 'a': `requires` must be a JSON object such as "
         '{"second_factor": true, "max_auth_age_minutes": 10}'),
        "p.policy.json: rule 'b': `requires` has an unknown key 'group' (known: max_auth_age_minutes, second_factor)",
        "p.policy.json: rule 'b': `requires.second_factor` must be true or false, not 'yes'",
        "p.policy.json: rule 'b': `requires.max_auth_age_minutes` must be a whole number of minutes from 1, not 0",
        "p.policy.json: rule 'c': `requires` is for step_up rules, not deny",
        "p.policy.json: rule 'd': `requires.max_auth_age_minutes` must be a whole number of minutes from 1, not 2.5",
        "p.policy.json: rule 'e': `requires.max_auth_age_minutes` must be a whole number of minutes from 1, not True",
    ]
