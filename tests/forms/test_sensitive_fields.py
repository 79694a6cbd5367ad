"""Form fields marked sensitive, in every form format, and how the history masks them."""
from __future__ import annotations

from engine.history.sensitive import SensitiveNames
from forms.loader import load_form
from forms.sensitive import sensitive_fields


def test_json_schema_marks_write_only_and_x_sensitive_fields_at_any_depth():
    schema = {"type": "object", "$defs": {"secret": {"type": "string", "writeOnly": True}},
              "properties": {"pin": {"$ref": "#/$defs/secret"}, "name": {"type": "string"},
                             "card": {"type": "object", "properties": {"cvc": {"type": "string", "x-sensitive": True}}},
                             "items": {"type": "array", "items": {"type": "object", "properties": {
                                 "code": {"type": "string", "writeOnly": True}, "qty": {"type": "integer"}}}}}}
    assert sensitive_fields(load_form("json-schema", schema, "f")) == ["card.cvc", "items[].code", "pin"]


def test_camunda_form_components_with_the_sensitive_property():
    form = {"components": [
        {"type": "textfield", "key": "iban", "properties": {"sensitive": "true"}},
        {"type": "textfield", "key": "holder", "properties": {"sensitive": "false"}},
        {"type": "dynamiclist", "path": "cards", "components": [
            {"type": "textfield", "key": "number", "properties": {"sensitive": "true"}}]}]}
    assert sensitive_fields(load_form("camunda-form", form, "f")) == ["cards[].number", "iban"]


def test_camunda_7_form_fields_with_the_sensitive_property():
    fields = [{"id": "pin", "type": "string", "properties": [{"id": "sensitive", "value": "true"}]},
              {"id": "name", "type": "string"}]
    assert sensitive_fields(load_form("form-fields", fields, "f")) == ["pin"]


def test_masking_follows_field_paths_into_lists_and_names_at_any_depth():
    names = SensitiveNames().with_fields(["cards[].number", "account.iban"])
    masked, which = names.mask({
        "cards": [{"number": "4111", "holder": "Ann"}, {"number": "5500"}],
        "account": {"iban": "DE1", "bank": "B", "login": {"password": "p"}},
        "note": "ok", "iban": "top-level is a different path"})
    assert masked == {"cards": [{"number": "***", "holder": "Ann"}, {"number": "***"}],
                      "account": {"iban": "***", "bank": "B", "login": {"password": "***"}},
                      "note": "ok", "iban": "top-level is a different path"}
    assert which == ["cards", "account"]


def test_nothing_masked_leaves_values_as_they_are():
    value = {"x": [1, {"y": 2}]}
    masked, which = SensitiveNames().mask(value)
    assert masked == value and masked["x"] is value["x"] and which == []
