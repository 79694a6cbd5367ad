"""Reading Camunda 7 (`camunda:`) extensions of one element."""
from __future__ import annotations

from lxml import etree

from bpmn.extensions.values import camunda_value
from bpmn.namespaces import bpmn, camunda, spiff

HANDLER_ATTRIBUTES = (("class", "class"), ("expression", "expression"),
                      ("delegateExpression", "delegate_expression"))


def _extension(node: etree._Element, tag: str) -> list[etree._Element]:
    found = []
    for holder in node.findall(bpmn("extensionElements")):
        found.extend(holder.iter(camunda(tag)))
    return found


def _attr(node: etree._Element, name: str) -> str | None:
    return node.get(camunda(name))


def _io(node: etree._Element, dct: dict) -> None:
    for io in _extension(node, "inputOutput"):
        for kind, tag in (("inputs", "inputParameter"), ("outputs", "outputParameter")):
            params = [{"name": p.get("name"), "value": camunda_value(p)} for p in io.findall(camunda(tag))]
            if params:
                dct.setdefault(kind, []).extend(params)


def _handler(node: etree._Element, dct: dict) -> None:
    if _attr(node, "type") == "external":
        dct["handler"] = {"kind": "external", "topic": _attr(node, "topic")}
    for attribute, kind in HANDLER_ATTRIBUTES:
        if _attr(node, attribute):
            dct["handler"] = {"kind": kind, kind: _attr(node, attribute)}


def _call(node: etree._Element, dct: dict) -> None:
    mappings = {"in": [], "out": []}
    for direction in ("in", "out"):
        for item in _extension(node, direction):
            mappings[direction].append({key: item.get(key) for key in
                                        ("source", "sourceExpression", "target", "variables", "local", "businessKey")
                                        if item.get(key) is not None})
    if mappings["in"] or mappings["out"]:
        dct["call"] = {**dct.get("call", {}), **mappings}


def _form(node: etree._Element) -> dict:
    """camunda:formKey, camunda:formRef (+ binding, version) and generated camunda:formData fields."""
    form: dict = {}
    if _attr(node, "formKey"):
        form["key"] = _attr(node, "formKey")
    if _attr(node, "formRef"):
        form.update(ref=_attr(node, "formRef"), binding=_attr(node, "formRefBinding") or "latest",
                    version=_attr(node, "formRefVersion"))
    fields = [_form_field(field) for field in _extension(node, "formField")]
    if fields:
        form["fields"] = fields
    return form


def _form_field(field: etree._Element) -> dict:
    """One camunda:formField, in the shape SpiffWorkflow's Camunda form serializer uses."""
    return {
        "id": field.get("id"), "label": field.get("label"), "type": field.get("type"),
        "default_value": field.get("defaultValue"),
        "properties": [{"id": p.get("id"), "value": p.get("value")} for p in field.iter(camunda("property"))],
        "validation": [{"name": c.get("name"), "config": c.get("config")} for c in field.iter(camunda("constraint"))],
        "options": [{"id": v.get("id"), "name": v.get("name")} for v in field.iter(camunda("value"))],
    }


# Where a caught error or escalation puts its code and message (on the event definition element).
CAUGHT_EVENT_VARIABLES = {
    "errorEventDefinition": (("errorCodeVariable", "error_code_variable"),
                             ("errorMessageVariable", "error_message_variable")),
    "escalationEventDefinition": (("escalationCodeVariable", "escalation_code_variable"),),
}


def _caught_event(node: etree._Element, dct: dict) -> None:
    for tag, attributes in CAUGHT_EVENT_VARIABLES.items():
        definition = node.find(bpmn(tag))
        for attribute, key in attributes if definition is not None else ():
            if definition.get(camunda(attribute)):
                dct[key] = definition.get(camunda(attribute))


def read_camunda(node: etree._Element) -> dict:
    """Everything Fuse reads from an element's camunda: attributes and extension elements."""
    dct: dict = {}
    # Only the element's own properties, not those of its form fields.
    properties = {p.get("name"): p.get("value") for p in _extension(node, "property")
                  if p.getparent().getparent().tag == bpmn("extensionElements")}
    for holder in node.findall(bpmn("extensionElements")):  # spiff-arena writes spiffworkflow:properties
        properties.update({p.get("name"): p.get("value") for p in holder.iter(spiff("property"))})
    if properties:
        dct["properties"] = properties
    _io(node, dct)
    _handler(node, dct)
    _call(node, dct)
    _caught_event(node, dct)
    if _attr(node, "resultVariable") is not None:
        dct["result_variable"] = _attr(node, "resultVariable")
    for attributes, key in ((("asyncBefore", "async"), "async_before"), (("asyncAfter",), "async_after")):
        values = [_attr(node, a) for a in attributes if _attr(node, a) is not None]
        if values:
            # camunda:async is Camunda 7's older spelling of asyncBefore; Camunda honours either being true.
            dct[key] = "true" in values
    cycles = _extension(node, "failedJobRetryTimeCycle")
    if cycles and (cycles[0].text or "").strip():
        dct["retry_time_cycle"] = cycles[0].text.strip()
    form = _form(node)
    if form:
        dct["form"] = form
    if _attr(node, "mapDecisionResult"):
        dct["map_decision_result"] = _attr(node, "mapDecisionResult")
    if _attr(node, "initiator"):
        dct["initiator"] = _attr(node, "initiator")
    return dct


def candidate_starters(process: etree._Element) -> dict | None:
    """camunda:candidateStarterUsers/Groups of a process (comma-separated names), or None if it names neither."""
    found = {kind: sorted({name.strip() for name in (_attr(process, attribute) or "").split(",") if name.strip()})
             for kind, attribute in (("users", "candidateStarterUsers"), ("groups", "candidateStarterGroups"))}
    return found if found["users"] or found["groups"] else None
