"""Reading Camunda 8 (`zeebe:`) extensions of one element."""
from __future__ import annotations

from lxml import etree

from bpmn.extensions.values import text_value
from bpmn.namespaces import bpmn, zeebe

BPMN_EXTENSIONS = bpmn("extensionElements")


def _first(node: etree._Element, tag: str) -> etree._Element | None:
    holder = node.find(BPMN_EXTENSIONS)
    return None if holder is None else holder.find(zeebe(tag))


def _names(text: str | None) -> list[str] | str:
    """Static comma lists become lists; a FEEL expression (`=...`) stays an expression."""
    if text and text.strip().startswith("="):
        return text.strip()
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _user_task(node: etree._Element, dct: dict) -> None:
    assignment = {}
    if (found := _first(node, "assignmentDefinition")) is not None:
        assignment.update(assignee=found.get("assignee"),
                          candidate_groups=_names(found.get("candidateGroups")),
                          candidate_users=_names(found.get("candidateUsers")))
    if (found := _first(node, "taskSchedule")) is not None:
        assignment.update(due_date=found.get("dueDate"), follow_up_date=found.get("followUpDate"))
    if (found := _first(node, "priorityDefinition")) is not None:
        assignment["priority"] = found.get("priority")
    if assignment:
        dct["assignment"] = {k: v for k, v in assignment.items() if v not in (None, [], "")}
    if (found := _first(node, "formDefinition")) is not None:
        dct["form"] = {k: v for k, v in (("form_id", found.get("formId")), ("key", found.get("formKey")),
                                          ("external_reference", found.get("externalReference"))) if v}
    if _first(node, "userTask") is not None:
        dct["zeebe_user_task"] = True


def _io(node: etree._Element, dct: dict) -> None:
    mapping = _first(node, "ioMapping")
    if mapping is None:
        return
    for kind, tag in (("inputs", "input"), ("outputs", "output")):
        params = [{"name": p.get("target"), "value": text_value(p.get("source"))}
                  for p in mapping.findall(zeebe(tag))]
        if params:
            dct[kind] = params


def read_zeebe(node: etree._Element) -> dict:
    """Everything Fuse reads from an element's zeebe: extension elements."""
    dct: dict = {}
    if node.find(BPMN_EXTENSIONS) is None:  # most elements have none: skip the lookups
        return dct
    _io(node, dct)
    _user_task(node, dct)
    if (found := _first(node, "taskDefinition")) is not None:
        dct["handler"] = {"kind": "job", "type": found.get("type"), "retries": found.get("retries")}
    if (found := _first(node, "taskHeaders")) is not None:
        dct["task_headers"] = {h.get("key"): h.get("value") for h in found.findall(zeebe("header"))}
    if (found := _first(node, "properties")) is not None:
        dct["properties"] = {p.get("name"): p.get("value") for p in found.findall(zeebe("property"))}
    if (found := _first(node, "calledElement")) is not None:
        dct["call"] = {"process_id": found.get("processId"),
                       "propagate_all_child_variables": found.get("propagateAllChildVariables", "true") == "true",
                       "propagate_all_parent_variables": found.get("propagateAllParentVariables", "true") == "true"}
    if (found := _first(node, "calledDecision")) is not None:
        dct["decision"] = {"decision_id": found.get("decisionId"), "result_variable": found.get("resultVariable")}
    if (found := _first(node, "script")) is not None:
        dct["script"] = {"expression": found.get("expression"), "result_variable": found.get("resultVariable")}
    if (found := _first(node, "subscription")) is not None:
        dct["subscription"] = {"correlation_key": found.get("correlationKey")}
    if (found := _first(node, "userTaskForm")) is not None:
        dct["form"] = {**dct.get("form", {}), "embedded": found.text or "", "embedded_id": found.get("id")}
    return dct
