"""load_form reads every supported format from bytes or parsed JSON; the refund sample's form works."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from forms.loader import FORMATS, load_form
from forms.model import FieldError, FormError, FormModel
from forms.resources import form_problems, is_form_file
from forms.validation import validate_submission

REFUND_FORM = Path(__file__).with_name("refund-approval.form")


@pytest.fixture(scope="module")
def refund():
    return load_form("camunda-form", REFUND_FORM.read_bytes(), "refund-approval.form")


def test_the_refund_approval_form_is_a_deployable_camunda_form():
    document = json.loads(REFUND_FORM.read_bytes())
    assert document["id"] == "refund-approval"
    assert is_form_file(REFUND_FORM.name)
    assert form_problems({REFUND_FORM.name: REFUND_FORM.read_bytes()}) == []


def test_the_refund_approval_form_shows_the_request_and_asks_for_a_decision(refund):
    fields = refund.ui_schema["fields"]
    assert refund.ui_schema["order"] == ["amount", "reason", "approved", "comment"]
    assert fields["amount"]["readonly"] is True and fields["amount"]["label"] == "Amount"
    assert fields["reason"]["readonly"] is True and fields["reason"]["widget"] == "textarea"
    assert fields["approved"]["widget"] == "radio"
    assert fields["approved"]["options"] == [{"value": True, "label": "Approve"}, {"value": False, "label": "Reject"}]
    assert refund.schema["required"] == ["approved"]
    assert refund.schema["properties"]["comment"]["maxLength"] == 500
    assert refund.warnings == []


def test_an_approval_from_the_task_page_becomes_a_boolean(refund):
    data, errors = validate_submission(refund, {"amount": 250, "reason": "late", "approved": "true",
                                                "comment": "fine"})
    assert errors == []
    assert data["approved"] is True


def test_a_refund_decision_is_required_and_comments_are_limited(refund):
    _, errors = validate_submission(refund, {"comment": "x" * 501})
    assert errors == [FieldError("/approved", "Decision is required"),
                      FieldError("/comment", "Comment must be at most 500 characters long")]


def test_each_kind_reads_bytes_or_parsed_documents():
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    fields = [{"id": "n", "label": "N", "type": "long", "default_value": None, "properties": [], "validation": []}]
    documents = {
        "camunda-form": {"components": [{"type": "number", "key": "n", "decimalDigits": 0}]},
        "json-schema": schema,
        "form-fields": fields,
    }
    assert set(documents) == set(FORMATS)
    for kind, document in documents.items():
        for given in (document, json.dumps(document).encode()):
            model = load_form(kind, given, f"n.{kind}")
            assert isinstance(model, FormModel)
            assert model.schema["properties"]["n"]["type"] == "integer"


def test_form_fields_may_come_as_a_whole_serialized_form():
    model = load_form("form-fields", {"key": "review", "fields": [
        {"id": "ok", "label": "OK", "type": "boolean", "default_value": "true", "properties": [],
         "validation": []}]}, "review")
    assert model.defaults == {"ok": True}


def test_a_json_schema_form_takes_its_ui_document_as_bytes():
    model = load_form("json-schema", b'{"type": "object", "properties": {"note": {"type": "string"}}}', "note",
                      ui_document=b'{"note": {"ui:widget": "textarea"}}')
    assert model.ui_schema["fields"]["note"]["widget"] == "textarea"


@pytest.mark.parametrize("kind, document, message", [
    ("camunda-form", b"{not json", "is not valid JSON"),
    ("camunda-form", b"\xff\xfe", "is not valid JSON"),
    ("camunda-form", b'["components"]', "not a Camunda form"),
    ("form-fields", b'{"fields": 3}', "must be a list of field objects"),
    ("json-schema", b'{"type": "object", "properties": {"a": {"minimum": "one"}}}', "not valid JSON Schema"),
    ("word-document", b"{}", "unknown form kind"),
])
def test_unreadable_documents_raise_form_errors(kind, document, message):
    with pytest.raises(FormError, match=message):
        load_form(kind, document, "broken")
