"""Fuse's own forms: NAME.schema.json plus an optional react-jsonschema-form style NAME.uischema.json."""
from __future__ import annotations

import pytest

from forms.json_schema import from_json_schema
from forms.model import FieldError, FormError
from forms.validation import validate_submission

TRAVEL_REQUEST = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Travel request",
    "type": "object",
    "required": ["traveller", "destination", "nights"],
    "$defs": {"money": {"type": "number", "minimum": 0, "multipleOf": 0.01}},
    "properties": {
        "traveller": {"type": "string", "title": "Traveller", "minLength": 2},
        "email": {"type": "string", "format": "email", "title": "Email"},
        "destination": {"type": "string", "title": "Destination", "enum": ["Berlin", "Paris"]},
        "nights": {"type": "integer", "title": "Nights", "minimum": 1, "maximum": 14, "default": 2},
        "budget": {"$ref": "#/$defs/money", "title": "Budget"},
        "travel_class": {"title": "Class", "oneOf": [{"const": "economy", "title": "Economy"},
                                                     {"const": "business", "title": "Business"}]},
        "departure": {"type": "string", "format": "date", "title": "Departure"},
        "needs_visa": {"type": "boolean", "default": False},
        "notes": {"type": "string", "description": "Anything else"},
        "meals": {"type": "array", "items": {"type": "string", "enum": ["veg", "halal"]}, "uniqueItems": True},
        "address": {"type": "object", "title": "Address", "required": ["city"],
                    "properties": {"city": {"type": "string", "title": "City", "default": "Berlin"}}},
        "legs": {"type": "array", "title": "Legs", "items": {
            "type": "object", "required": ["km"],
            "properties": {"from": {"type": "string"}, "km": {"type": "integer", "minimum": 1}}}},
    },
}
TRAVEL_UI = {
    "ui:order": ["destination", "traveller", "*", "notes"],
    "traveller": {"ui:readonly": True, "ui:options": {"rows": 3}},
    "notes": {"ui:widget": "textarea", "ui:help": "Shown under the field", "ui:placeholder": "e.g. late arrival"},
    "travel_class": {"ui:widget": "radio"},
    "meals": {"ui:widget": "checkboxes", "ui:title": "Meals"},
    "legs": {"items": {"km": {"ui:title": "Distance"}}},
}


@pytest.fixture(scope="module")
def travel():
    return from_json_schema(TRAVEL_REQUEST, TRAVEL_UI, "travel-request")


def test_the_schema_is_used_as_written(travel):
    assert travel.schema == TRAVEL_REQUEST
    assert travel.schema is not TRAVEL_REQUEST
    assert travel.warnings == []


def test_ui_hints_are_derived_from_the_schema(travel):
    fields = travel.ui_schema["fields"]
    assert fields["destination"]["widget"] == "select" and fields["destination"]["required"] is True
    assert fields["destination"]["options"] == [{"value": "Berlin", "label": "Berlin"},
                                                {"value": "Paris", "label": "Paris"}]
    assert fields["email"]["widget"] == "email" and fields["departure"]["widget"] == "date"
    assert fields["nights"]["widget"] == "number" and fields["needs_visa"]["widget"] == "checkbox"
    assert fields["budget"]["label"] == "Budget" and fields["budget"]["widget"] == "number"
    assert fields["travel_class"]["options"] == [{"value": "economy", "label": "Economy"},
                                                 {"value": "business", "label": "Business"}]
    assert fields["address"]["widget"] == "group" and fields["address"]["children"] == ["address.city"]
    assert fields["legs"]["widget"] == "dynamiclist" and fields["legs"]["children"] == ["legs[].from", "legs[].km"]


def test_rjsf_ui_schema_sets_order_widgets_help_and_placeholders(travel):
    fields = travel.ui_schema["fields"]
    assert travel.ui_schema["order"] == ["destination", "traveller", "email", "nights", "budget", "travel_class",
                                         "departure", "needs_visa", "meals", "address", "legs", "notes"]
    assert fields["notes"] == {"label": "notes", "widget": "textarea", "readonly": False, "required": False,
                               "description": "Shown under the field", "placeholder": "e.g. late arrival"}
    assert fields["travel_class"]["widget"] == "radio"
    assert fields["meals"]["widget"] == "checklist" and fields["meals"]["label"] == "Meals"
    assert fields["traveller"]["readonly"] is True and fields["traveller"]["widget_options"] == {"rows": 3}
    assert fields["legs[].km"]["label"] == "Distance"


def test_defaults_are_collected_nested(travel):
    assert travel.defaults == {"nights": 2, "needs_visa": False, "address": {"city": "Berlin"}}


def test_a_correct_submission_is_coerced_and_accepted(travel):
    data, errors = validate_submission(travel, {
        "traveller": "Ada", "destination": "Berlin", "nights": "3", "budget": "0.29", "travel_class": "economy",
        "departure": "2024-05-01", "needs_visa": "on", "meals": "veg", "address": {"city": "Bonn"},
        "legs": [{"from": "Berlin", "km": "3"}]})
    assert errors == []
    assert data["nights"] == 3 and data["budget"] == 0.29 and data["needs_visa"] is True
    assert data["meals"] == ["veg"] and data["legs"] == [{"from": "Berlin", "km": 3}]


def test_errors_use_labels_and_point_into_nested_data(travel):
    _, errors = validate_submission(travel, {
        "traveller": "A", "destination": "Rome", "nights": 0, "budget": "-1", "travel_class": "first",
        "legs": [{"km": 0}, {}], "address": {}})
    assert errors == [
        FieldError("/traveller", "Traveller must be at least 2 characters long"),
        FieldError("/destination", "Destination must be one of: Berlin, Paris"),
        FieldError("/nights", "Nights must be at least 1"),
        FieldError("/budget", "Budget must be at least 0"),
        FieldError("/travel_class", "Class must be one of: Economy, Business"),
        FieldError("/address/city", "City is required"),
        FieldError("/legs/0/km", "Distance must be at least 1"),
        FieldError("/legs/1/km", "Distance is required"),
    ]


def test_a_ui_document_in_fuse_shape_refines_fields_and_order():
    model = from_json_schema({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}},
                             {"order": ["b", "a"], "fields": {"a": {"widget": "textarea", "label": "First"}}}, "f")
    assert model.ui_schema["order"] == ["b", "a"]
    assert model.ui_schema["fields"]["a"]["widget"] == "textarea" and model.ui_schema["fields"]["a"]["label"] == "First"


def test_rjsf_enum_names_label_the_options():
    model = from_json_schema({"type": "object", "properties": {"size": {
        "type": "string", "enum": ["s", "m"], "enumNames": ["Small", "Medium"]}}}, None, "shirt")
    assert model.ui_schema["fields"]["size"]["options"] == [{"value": "s", "label": "Small"},
                                                            {"value": "m", "label": "Medium"}]


def test_unknown_widgets_and_other_dialects_warn():
    model = from_json_schema({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                              "properties": {"colour": {"type": "string"}}},
                             {"colour": {"ui:widget": "colour-wheel"}}, "paint")
    assert model.warnings == [
        "form paint: declares http://json-schema.org/draft-07/schema#; Fuse validates it as draft 2020-12",
        "form paint: field 'colour' asks for the widget 'colour-wheel', which Fuse does not have; it is shown as text",
    ]


@pytest.mark.parametrize("schema, message", [
    ({"type": "object", "properties": {"a": {"type": "strin"}}}, "not valid JSON Schema"),
    ({"type": "array", "items": {}}, "must describe an object"),
    (["not", "a", "schema"], "must be a JSON object"),
])
def test_unreadable_schemas_are_refused(schema, message):
    with pytest.raises(FormError, match=message):
        from_json_schema(schema, None, "broken")
