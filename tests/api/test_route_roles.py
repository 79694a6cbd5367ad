"""Every operation of the OpenAPI document, called by every kind of caller, answers as its row in
api/permissions.py says (issue 13, hole 9).

The expectations come from the rule objects of the table (ADMIN, WORKER, INSTANCE_READER...), not from a list
of routes kept here: a route the document lists without a row in the table fails, and so does a rule this
test does not know. Who is denied gets exactly the rule's answer (401 without a token, 403 without the group,
404 for an instance or task one may not read), as application/problem+json; who is let through never gets it
(401 never, 404 never on a readable object, 403 only where the table says the engine checks further with a 403).

The object of the instance and task routes is an instance alice started, whose open task (with a form) is offered
to her group (finance): she and the admin may read it, bob (sales), carol (no group) and robot (worker) may not.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from api.permissions import (
    ADMIN, INSTANCE_READER, METRICS, PUBLIC, ROUTES, SIGNED_IN, SIGNED_IN_PAGE, TASK_READER, WORKER, WORKER_GROUPS,
    Rule,
)
from helpers import bpmn_document, deploy, flow, form_task_process, start

PROBLEM = "application/problem+json"
DENIED_TYPES = {401: "urn:fuse:problem:unauthorized", 403: "urn:fuse:problem:forbidden",
                404: "urn:fuse:problem:not-found"}
# /engine-rest answers in Camunda 7's error body, with Camunda's exception names.
CAMUNDA_DENIED_TYPES = {401: "AuthenticationException", 403: "AuthorizationException", 404: "InvalidRequestException"}


def denied_as_expected(path: str, answer, status: int) -> bool:
    if answer.status_code != status:
        return False
    if path.startswith("/engine-rest/"):
        return answer.content_type == "application/json" and answer.json["type"] == CAMUNDA_DENIED_TYPES[status]
    return answer.content_type == PROBLEM and answer.json["type"] == DENIED_TYPES[status]


@dataclass(frozen=True)
class Role:
    label: str
    user: str | None  # None: no token
    reads_the_object: bool = False


# In this order: the admin last, so what it changes (a grant removed, an instance terminated) comes after the rest.
ROLES = (Role("anonymous", None), Role("signed in, no group", "carol"), Role("worker", "robot"),
         Role("not a reader (sales)", "bob"), Role("starter and candidate (finance)", "alice", reads_the_object=True),
         Role("admin", "demo", reads_the_object=True))


def denial(rule: Rule, role: Role, groups: set[str]) -> int | None:
    """The status the rule answers this caller (in these groups) with before any view runs, or None if it lets
    it through."""
    if rule in (PUBLIC, METRICS, SIGNED_IN_PAGE):
        return None
    assert rule in (SIGNED_IN, ADMIN, WORKER, INSTANCE_READER, TASK_READER), f"a rule this test does not know: {rule}"
    if role.user is None:
        return 401
    if rule is ADMIN and "admin" not in groups:
        return 403
    if rule is WORKER and not WORKER_GROUPS & groups:
        return 403
    if rule in (INSTANCE_READER, TASK_READER) and not role.reads_the_object:
        return 404
    return None


@pytest.fixture
def objects(client, auth) -> dict[str, str]:
    """A real object for every path parameter: alice's instance and task, an incident, a grant..."""
    broken = bpmn_document('<bpmn:startEvent id="start"/><bpmn:serviceTask id="call" camunda:class="nobody"/>'
                           '<bpmn:endEvent id="end"/>' + flow("f1", "start", "call") + flow("f2", "call", "end"),
                           "broken")
    deployed = deploy(client, auth["demo"], ("approve.bpmn", form_task_process("approve")), ("broken.bpmn", broken))
    assert deployed.status_code == 201, deployed.json
    instance = start(client, auth["alice"], "approve").json
    # /engine-rest shows running instances only: its walk gets one of its own, which the API's terminate leaves.
    camunda_instance = start(client, auth["alice"], "approve", {"amount": 5}).json
    assert start(client, auth["demo"], "broken").status_code == 201
    [incident] = client.get("/api/v1/incidents", headers=auth["demo"]).json
    grant = client.post("/api/v1/authorizations", headers=auth["demo"], json={
        "resource_type": "process_definition", "resource_id": "approve", "group_id": "nobody", "permissions": ["READ"]})
    return {"deployment_id": deployed.json["id"], "definition_id": deployed.json["definitions"][0]["id"],
            "instance_id": instance["id"], "task_id": instance["open_tasks"][0]["id"],
            "incident_id": incident["id"], "authorization_id": str(grant.json["id"]),
            "camunda_instance_id": camunda_instance["id"], "key": "approve", "name": "amount"}


@pytest.fixture(autouse=True)
def no_lockout(monkeypatch):
    """Dozens of anonymous calls are failed authentications: they must answer 401, not the rate limit's 429."""
    monkeypatch.setenv("FUSE_AUTH_FAILURE_LIMIT", "10000 per minute")


def operations(client) -> list[tuple[str, str]]:
    document = client.get("/api/v1/openapi.json").json
    # Deletions last, so that what they remove is still there for every other operation.
    return sorted(((method.upper(), path) for path, item in document["paths"].items() for method in item),
                  key=lambda operation: (operation[0] == "DELETE", -operation[1].count("/"), operation[1],
                                         operation[0]))


def test_every_operation_answers_every_caller_as_the_permission_table_says(app, client, auth, objects):
    groups = {role.user: set(client.get("/api/v1/me", headers=auth[role.user]).json["groups"])
              for role in ROLES if role.user}
    assert "admin" in groups["demo"] and "worker" in groups["robot"] and not groups["carol"]
    assert not {"admin", "worker", "finance"} & groups["bob"] and "finance" in groups["alice"]
    adapter = app.url_map.bind("localhost")
    walked, wrong = 0, []
    for method, template in operations(client):
        ids = {**objects, "instance_id": objects["camunda_instance_id"]} if template.startswith("/engine-rest/") \
            else objects
        path = template.format(**ids)
        endpoint, _ = adapter.match(path, method=method)
        assert endpoint in ROUTES, f"{method} {template} ({endpoint}) has no row in api/permissions.py"
        rule, further = ROUTES[endpoint]
        removed = False  # a DELETE one caller made leaves nothing for the next one: its 404 is right
        for role in ROLES:
            headers = auth[role.user] if role.user else {}
            answer = client.open(path, method=method, headers=headers, json={} if method != "GET" else None)
            walked += 1
            expected = denial(rule, role, groups.get(role.user, set()))
            if expected is not None:
                if not denied_as_expected(template, answer, expected):
                    wrong.append(f"{method} {template} as {role.label}: {answer.status_code}, expected {expected} "
                                 f"({rule.who})")
                continue
            refused = {401} | ({404} if rule in (INSTANCE_READER, TASK_READER) else set())
            if "(403)" not in further:
                refused.add(403)
            if method == "DELETE" and answer.status_code < 300:
                removed = True
            elif removed and answer.status_code == 404:
                continue
            if answer.status_code in refused or answer.status_code >= 500:
                wrong.append(f"{method} {template} as {role.label}: {answer.status_code} although the rule "
                             f"({rule.who}) lets it through: {answer.get_data(as_text=True)[:200]}")
    assert wrong == [], "\n".join(wrong)
    assert walked == len(operations(client)) * len(ROLES) > 40 * len(ROLES)


def test_the_walk_knows_every_rule_of_the_table():
    """A new kind of rule needs its expectation above before it can be used in the table."""
    for endpoint, (rule, _) in ROUTES.items():
        denial(rule, ROLES[-1], {"admin"})
