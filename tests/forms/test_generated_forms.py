"""Camunda 7 generated task forms (camunda:formData) become the same model as every other form."""
from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from lxml import etree
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG

from forms.generated import from_form_fields
from forms.model import FieldError
from forms.validation import validate_submission


def field(ident, kind="string", label=None, default="", properties=(), validation=(), options=None):
    """A form field exactly as SpiffWorkflow's camunda serializer writes it."""
    data = {"id": ident, "label": label if label is not None else ident.title(), "type": kind,
            "default_value": default, "properties": [{"id": k, "value": v} for k, v in properties],
            "validation": [{"name": n, "config": c} for n, c in validation]}
    if options is not None:
        data["options"] = [{"id": k, "name": v} for k, v in options]
    return data


# "Review invoice" as a Camunda 7 modeler writes it with <camunda:formData>.
REVIEW_INVOICE = [
    field("supplier", label="Supplier", validation=[("required", None), ("minlength", "2"), ("maxlength", "40")]),
    field("amount", "long", label="Amount", default="100", validation=[("required", None), ("min", "1"),
                                                                       ("max", "10000")]),
    field("urgent", "boolean", label="Urgent", default="false"),
    field("due", "date", label="Due date", properties=[("datePattern", "dd/MM/yyyy")]),
    field("received_at", "date", label="Received", properties=[("datePattern", "dd.MM.yyyy HH:mm")]),
    field("category", "enum", label="Category", default="goods",
          options=[("goods", "Goods"), ("services", "Services")]),
    field("invoice_id", label="Invoice", validation=[("readonly", None)], default="${invoiceId}"),
]


@pytest.fixture(scope="module")
def review():
    return from_form_fields(REVIEW_INVOICE, "review-invoice")


def test_field_types_map_to_json_schema_types(review):
    Draft202012Validator.check_schema(review.schema)
    props = review.schema["properties"]
    assert props["supplier"] == {"type": "string", "title": "Supplier", "minLength": 2, "maxLength": 40}
    assert props["amount"] == {"type": "integer", "title": "Amount", "minimum": 1, "maximum": 10000, "default": 100}
    assert props["urgent"]["type"] == "boolean"
    assert props["due"]["format"] == "date" and props["received_at"]["format"] == "date-time"
    assert props["category"]["enum"] == ["goods", "services"]
    assert review.schema["required"] == ["supplier", "amount"]
    assert review.warnings == []


def test_ui_hints_keep_field_order_labels_options_and_date_patterns(review):
    fields = review.ui_schema["fields"]
    assert review.ui_schema["order"] == [f["id"] for f in REVIEW_INVOICE]
    assert fields["category"]["widget"] == "select"
    assert fields["category"]["options"] == [{"value": "goods", "label": "Goods"},
                                             {"value": "services", "label": "Services"}]
    assert fields["due"]["widget"] == "date" and fields["due"]["pattern_hint"] == "dd/MM/yyyy"
    assert fields["received_at"]["widget"] == "datetime"
    assert fields["invoice_id"]["readonly"] is True and review.schema["properties"]["invoice_id"]["readOnly"]


def test_defaults_are_typed_and_expressions_are_left_to_the_engine(review):
    assert review.defaults == {"amount": 100, "urgent": False, "category": "goods"}
    assert review.ui_schema["fields"]["invoice_id"]["default_expression"] == "${invoiceId}"


def test_dates_typed_in_the_field_pattern_are_stored_as_iso(review):
    data, errors = validate_submission(review, {"supplier": "ACME", "amount": "250", "urgent": "on",
                                                "due": "31/12/2024", "received_at": "02.01.2025 09:30"})
    assert errors == []
    assert data == {"supplier": "ACME", "amount": 250, "urgent": True, "due": "2024-12-31",
                    "received_at": "2025-01-02T09:30:00"}


def test_constraints_are_checked_with_pointers_in_form_order(review):
    _, errors = validate_submission(review, {"supplier": "", "amount": "0", "due": "2024-13-01",
                                             "category": "rent"})
    assert errors == [FieldError("/supplier", "Supplier is required"),
                      FieldError("/amount", "Amount must be at least 1"),
                      FieldError("/due", "Due date must be a date (YYYY-MM-DD)"),
                      FieldError("/category", "Category must be one of: Goods, Services")]


def test_custom_types_validators_and_bad_defaults_warn():
    model = from_form_fields([
        field("blob", "bytes"),
        field("owner", validation=[("validator", "com.acme.OwnerCheck")]),
        field("count", "long", default="many"),
        field("flag", "boolean", validation=[("maxlength", "3")]),
    ], "odd-form")
    assert model.warnings == [
        "form odd-form: field 'blob' has the custom type 'bytes'; its values are not checked",
        "form odd-form: field 'owner' has the validator 'validator', which Fuse cannot run; it is not checked",
        "form odd-form: field 'count' has the default 'many', which the field itself would refuse; it is ignored",
        "form odd-form: field 'flag' has the validator maxlength='3', which does not fit a boolean field",
    ]
    assert model.schema["properties"]["blob"] == {"title": "Blob"}
    assert model.defaults == {}


APPROVE_TASK = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://fuse.test">
  <bpmn:process id="approve" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="review" name="Review" camunda:formKey="review">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="amount" label="Amount" type="long" defaultValue="100">
            <camunda:validation><camunda:constraint name="min" config="1"/></camunda:validation>
          </camunda:formField>
          <camunda:formField id="kind" type="enum">
            <camunda:value id="refund" name="Refund"/><camunda:value id="credit" name="Credit note"/>
          </camunda:formField>
        </camunda:formData>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_fields_as_spiffworkflow_serializes_a_camunda_7_user_task():
    parser = CamundaParser()
    parser.add_bpmn_xml(etree.fromstring(APPROVE_TASK), filename="approve.bpmn")
    task = parser.get_spec("approve").task_specs["review"]
    fields = BpmnWorkflowSerializer.configure(DEFAULT_CONFIG).convert(task)["form"]["fields"]
    model = from_form_fields(fields, "review")
    assert model.schema["properties"] == {
        "amount": {"type": "integer", "title": "Amount", "minimum": 1, "default": 100},
        "kind": {"type": "string", "enum": ["refund", "credit"], "title": "kind"}}
    assert model.defaults == {"amount": 100} and model.warnings == []
    assert validate_submission(model, {"amount": "5", "kind": "credit"}) == ({"amount": 5, "kind": "credit"}, [])
