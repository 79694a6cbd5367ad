"""/engine-rest's GET /incident and history (process instances, activity instances, variable instances) through
the Flask test client: Camunda's DTOs, filters, and only what the caller may read."""
from __future__ import annotations

from helpers import EXTERNAL, deploy, service_model, start, user_task_process

ROOT = "/engine-rest"


def get(client, headers, path, **query):
    response = client.get(f"{ROOT}{path}", headers=headers, query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def test_incidents_of_a_handler_and_of_a_worker(client, auth):
    deploy(client, auth["demo"], ("m.bpmn", service_model("m", 'camunda:class="nobody_registered_this"')),
           ("e.bpmn", service_model("e", EXTERNAL)))
    handler = start(client, auth["demo"], "m").json["id"]
    worker = start(client, auth["demo"], "e").json["id"]
    locked = client.post(f"{ROOT}/external-task/fetchAndLock", headers=auth["robot"], json={
        "workerId": "w", "maxTasks": 1, "topics": [{"topicName": "billing", "lockDuration": 1000}]}).json
    client.post(f"{ROOT}/external-task/{locked[0]['id']}/failure", headers=auth["robot"],
                json={"workerId": "w", "errorMessage": "card gateway down", "retries": 0})
    everything = get(client, auth["demo"], "/incident")
    assert {i["processInstanceId"] for i in everything} == {handler, worker}
    [failed_job] = get(client, auth["demo"], "/incident", processInstanceId=handler)
    assert failed_job["incidentType"] == "failedJob" and "nobody_registered_this" in failed_job["incidentMessage"]
    assert failed_job["activityId"] == "call" and failed_job["processDefinitionId"].startswith("m:")
    assert failed_job["incidentTimestamp"].endswith("+0000") and failed_job["rootCauseIncidentId"] == failed_job["id"]
    [external] = get(client, auth["demo"], "/incident", incidentType="failedExternalTask")
    assert external["processInstanceId"] == worker and external["incidentMessage"] == "card gateway down"
    assert get(client, auth["demo"], "/incident/count", incidentType="failedJob") == {"count": 1}
    assert get(client, auth["demo"], "/incident/count") == {"count": 2}
    assert get(client, auth["demo"], "/incident", incidentMessageLike="card%")[0]["id"] == external["id"]
    assert get(client, auth["demo"], f"/incident/{external['id']}") == external
    assert client.get(f"{ROOT}/incident", headers=auth["alice"]).status_code == 403
    missing = client.get(f"{ROOT}/incident/nope", headers=auth["demo"])
    assert missing.status_code == 404 and missing.json["type"] == "InvalidRequestException"
    retried = client.post(f"/api/v1/incidents/{failed_job['id']}/resolve", headers=auth["demo"],
                          json={"variables": {}})
    assert retried.status_code == 200
    assert get(client, auth["demo"], "/incident/count") == {"count": 1}  # only open incidents are listed


def test_historic_process_instances_in_every_state(client, auth):
    deploy(client, auth["demo"], ("a.bpmn", user_task_process("approval")))
    running = start(client, auth["alice"], "approval", business_key="r-1").json["id"]
    finished = start(client, auth["alice"], "approval", business_key="f-1").json
    client.post(f"/api/v1/tasks/{finished['open_tasks'][0]['id']}/complete", headers=auth["alice"],
                json={"variables": {"ok": True}})
    stopped = start(client, auth["alice"], "approval", business_key="t-1").json["id"]
    client.delete(f"/api/v1/process-instances/{stopped}", headers=auth["alice"])
    listed = {i["businessKey"]: i for i in get(client, auth["alice"], "/history/process-instance")}
    assert {k: i["state"] for k, i in listed.items()} == {
        "r-1": "ACTIVE", "f-1": "COMPLETED", "t-1": "EXTERNALLY_TERMINATED"}
    done = listed["f-1"]
    assert done["endTime"] is not None and done["durationInMillis"] >= 0 and done["startUserId"] == "alice"
    assert done["processDefinitionKey"] == "approval" and done["processDefinitionVersion"] == 1
    assert listed["r-1"]["endTime"] is None and listed["r-1"]["durationInMillis"] is None
    assert [i["id"] for i in get(client, auth["alice"], "/history/process-instance", unfinished="true")] == [running]
    assert len(get(client, auth["alice"], "/history/process-instance", finished="true")) == 2
    assert get(client, auth["alice"], "/history/process-instance", state="COMPLETED")[0]["businessKey"] == "f-1"
    assert get(client, auth["alice"], "/history/process-instance/count",
               processInstanceBusinessKeyLike="%-1") == {"count": 3}
    assert get(client, auth["alice"], f"/history/process-instance/{finished['id']}")["state"] == "COMPLETED"
    assert get(client, auth["bob"], "/history/process-instance") == []  # bob reads none of them
    assert client.get(f"{ROOT}/history/process-instance/{running}", headers=auth["bob"]).status_code == 404
    bad = client.get(f"{ROOT}/history/process-instance", headers=auth["alice"], query_string={"state": "DONE"})
    assert bad.status_code == 400


def test_historic_activity_instances_pair_the_audit_trail(client, auth):
    deploy(client, auth["demo"], ("a.bpmn", user_task_process("approval")))
    started = start(client, auth["alice"], "approval").json
    task_id = started["open_tasks"][0]["id"]
    waiting = get(client, auth["alice"], "/history/activity-instance", processInstanceId=started["id"])
    assert [(a["activityId"], a["endTime"] is None) for a in waiting] == [("start", False), ("approve", True)]
    assert waiting[1]["taskId"] == task_id and waiting[1]["activityType"] == "userTask"
    client.post(f"/api/v1/tasks/{task_id}/claim", headers=auth["alice"])
    client.post(f"/api/v1/tasks/{task_id}/complete", headers=auth["alice"], json={"variables": {}})
    done = get(client, auth["alice"], "/history/activity-instance", processInstanceId=started["id"],
               sortBy="startTime", sortOrder="asc")
    assert [a["activityId"] for a in done] == ["start", "approve", "end"]
    assert all(a["endTime"] is not None and a["canceled"] is False for a in done)
    assert done[1]["assignee"] == "alice" and done[1]["durationInMillis"] >= 0
    assert get(client, auth["alice"], "/history/activity-instance/count", processInstanceId=started["id"],
               activityId="approve") == {"count": 1}
    assert get(client, auth["bob"], "/history/activity-instance", processInstanceId=started["id"]) == []


def test_historic_variable_instances_are_typed_as_written(client, auth):
    deploy(client, auth["demo"], ("a.bpmn", user_task_process("approval")))
    started = client.post(f"{ROOT}/process-definition/key/approval/start", headers=auth["alice"], json={
        "variables": {"amount": {"value": 5, "type": "Long"}, "note": {"value": "hi"}}}).json
    found = get(client, auth["alice"], "/history/variable-instance", processInstanceId=started["id"],
                sortBy="variableName", sortOrder="asc")
    assert [(v["name"], v["type"], v["value"]) for v in found] == [("amount", "Long", 5), ("note", "String", "hi")]
    assert found[0]["id"] == f"{started['id']}:amount" and found[0]["state"] == "CREATED"
    assert get(client, auth["alice"], "/history/variable-instance", variableNameLike="am%")[0]["name"] == "amount"
    assert get(client, auth["alice"], "/history/variable-instance/count", variableName="note") == {"count": 1}
    assert get(client, auth["bob"], "/history/variable-instance") == []


def test_like_patterns_are_bounded(client, auth):
    """Many % make a LIKE match try very many ways (SQLite's, and the names matched in Python here)."""
    deploy(client, auth["demo"], ("a.bpmn", user_task_process("approval")))
    client.post(f"{ROOT}/process-definition/key/approval/start", headers=auth["alice"], json={
        "variables": {"x" * 2000: {"value": 1}}})
    many = client.get(f"{ROOT}/history/variable-instance", headers=auth["alice"],
                      query_string={"variableNameLike": "%x" * 6 + "y"})
    assert many.status_code == 400 and "at most 5 wildcards" in many.json["message"]
    runs = get(client, auth["alice"], "/history/variable-instance", variableNameLike="%%%%%%%%%%%%%%%%%%%%y")
    assert runs == []  # runs of % are one wildcard
    assert len(get(client, auth["alice"], "/history/variable-instance", variableNameLike="x%x%x%x%x")) == 1
    for path, name in (("/task", "nameLike"), ("/process-instance", "businessKeyLike"), ("/deployment", "nameLike")):
        assert client.get(f"{ROOT}{path}", headers=auth["demo"],
                          query_string={name: "%a" * 6}).status_code == 400, path
