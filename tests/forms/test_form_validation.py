"""Submissions are coerced to the form's types and checked on the server, one error per field."""
from __future__ import annotations

import datetime as dt

import pytest

from forms.camunda_forms import from_form_js
from forms.model import FieldError
from forms.validation import validate_submission

# An expense claim as Camunda Modeler saves it; every field type the server has to read.
EXPENSE_CLAIM = {
    "schemaVersion": 16,
    "id": "expense-claim",
    "type": "default",
    "components": [
        {"type": "textfield", "key": "employee", "label": "Employee", "validate": {"required": True, "minLength": 3}},
        {"type": "textfield", "key": "email", "label": "Email", "validate": {"validationType": "email"}},
        {"type": "textfield", "key": "phone", "label": "Phone", "validate": {"validationType": "phone"}},
        {"type": "textfield", "key": "cost_center", "label": "Cost center", "validate": {"pattern": "^CC-[0-9]{4}$"}},
        {"type": "textarea", "key": "purpose", "label": "Purpose", "validate": {"maxLength": 20}},
        {"type": "number", "key": "total", "label": "Total", "decimalDigits": 2,
         "validate": {"required": True, "min": 0.01, "max": 5000}},
        {"type": "number", "key": "nights", "label": "Nights", "decimalDigits": 0, "increment": 1},
        {"type": "checkbox", "key": "receipts", "label": "Receipts attached", "validate": {"required": True}},
        {"type": "checkbox", "key": "urgent", "label": "Urgent"},
        {"type": "radio", "key": "approved", "label": "Decision",
         "values": [{"label": "Approve", "value": True}, {"label": "Reject", "value": False}]},
        {"type": "select", "key": "currency", "label": "Currency",
         "values": [{"label": "Euro", "value": "EUR"}, {"label": "Dollar", "value": "USD"}]},
        {"type": "select", "key": "level", "label": "Level", "values": [{"label": "One", "value": 1},
                                                                        {"label": "Two", "value": 2}]},
        {"type": "checklist", "key": "categories", "label": "Categories",
         "values": [{"label": "Travel", "value": "travel"}, {"label": "Meals", "value": "meals"}]},
        {"type": "taglist", "key": "labels", "label": "Labels", "valuesKey": "known_labels"},
        {"type": "datetime", "key": "spent_on", "label": "Spent on", "subtype": "date"},
        {"type": "datetime", "key": "departure", "label": "Departure", "subtype": "datetime"},
        {"type": "datetime", "key": "pickup", "label": "Pickup", "subtype": "time"},
        {"type": "group", "path": "address", "label": "Address", "components": [
            {"type": "textfield", "key": "city", "label": "City", "validate": {"required": True}}]},
        {"type": "dynamiclist", "path": "items", "label": "Items", "components": [
            {"type": "textfield", "key": "what", "label": "What"},
            {"type": "number", "key": "qty", "label": "Quantity", "decimalDigits": 0,
             "validate": {"required": True, "min": 1}}]},
    ],
}

VALID = {"employee": "Ada Lovelace", "total": 12.5, "receipts": True, "address": {"city": "Berlin"}}


@pytest.fixture(scope="module")
def claim():
    return from_form_js(EXPENSE_CLAIM, "expense-claim.form")


def errors_of(model, data) -> dict[str, str]:
    return {error.field: error.message for error in validate_submission(model, data)[1]}


def test_a_correct_submission_has_no_errors_and_keeps_its_values(claim):
    full = {**VALID, "email": "ada@example.com", "phone": "+4930664040900", "cost_center": "CC-1234",
            "purpose": "conference", "nights": 2, "urgent": False, "approved": True, "currency": "EUR",
            "level": 2, "categories": ["travel"], "labels": ["q3"], "spent_on": "2024-03-01",
            "departure": "2024-03-01T08:15:00+01:00", "pickup": "07:30",
            "items": [{"what": "taxi", "qty": 1}, {"qty": 3}]}
    assert validate_submission(claim, full) == (full, [])


def test_text_from_an_html_form_is_coerced_to_the_form_types(claim):
    data, errors = validate_submission(claim, {
        "employee": "Ada Lovelace", "total": "12.50", "nights": "3", "receipts": "on", "urgent": "false",
        "approved": "true", "level": "2", "categories": "meals", "address": {"city": "Berlin"},
        "items": [{"qty": "2"}, {"what": "hotel", "qty": 4.0}]})
    assert errors == []
    assert data["total"] == 12.5 and data["nights"] == 3 and isinstance(data["nights"], int)
    assert data["receipts"] is True and data["urgent"] is False and data["approved"] is True
    assert data["level"] == 2 and data["categories"] == ["meals"]
    assert data["items"] == [{"qty": 2}, {"what": "hotel", "qty": 4}]


def test_dates_and_times_are_normalised_to_iso_8601(claim):
    data, errors = validate_submission(claim, {
        **VALID, "spent_on": dt.date(2024, 3, 1), "departure": "2024-03-01T08:15Z", "pickup": "07:30:00"})
    assert errors == []
    assert data["spent_on"] == "2024-03-01"
    assert data["departure"] == "2024-03-01T08:15:00+00:00"
    assert data["pickup"] == "07:30"
    data, _ = validate_submission(claim, {**VALID, "spent_on": "2024-03-01T00:00:00.000Z",
                                          "departure": dt.datetime(2024, 3, 1, 9, 0)})
    assert data["spent_on"] == "2024-03-01" and data["departure"] == "2024-03-01T09:00:00"


def test_unknown_keys_are_kept_as_process_variables(claim):
    data, errors = validate_submission(claim, {**VALID, "order": {"id": 7, "lines": [1, 2]}, "note": "42"})
    assert errors == []
    assert data["order"] == {"id": 7, "lines": [1, 2]} and data["note"] == "42"


def test_missing_required_fields_are_reported_with_pointers(claim):
    assert errors_of(claim, {}) == {
        "/employee": "Employee is required", "/total": "Total is required",
        "/receipts": "Receipts attached is required", "/address": "Address is required"}


def test_empty_values_count_as_missing(claim):
    errors = errors_of(claim, {"employee": "", "total": "", "receipts": False, "address": {"city": None},
                               "nights": "", "spent_on": ""})
    assert errors == {"/employee": "Employee is required", "/total": "Total is required",
                      "/receipts": "Receipts attached must be ticked", "/address/city": "City is required"}


def test_empty_optional_values_are_dropped_rather_than_refused(claim):
    data, errors = validate_submission(claim, {**VALID, "nights": "", "spent_on": "", "currency": None,
                                               "purpose": ""})
    assert errors == []
    assert "nights" not in data and "spent_on" not in data and "currency" not in data
    assert data["purpose"] == ""


@pytest.mark.parametrize("field, value, pointer, message", [
    ("employee", "Al", "/employee", "Employee must be at least 3 characters long"),
    ("purpose", "x" * 21, "/purpose", "Purpose must be at most 20 characters long"),
    ("email", "ada@", "/email", "Email must be an email address"),
    ("phone", "030 1234", "/phone", "Phone must be an international number such as +4930664040900"),
    ("cost_center", "CC-12", "/cost_center", "Cost center must match the pattern ^CC-[0-9]{4}$"),
    ("total", "0", "/total", "Total must be at least 0.01"),
    ("total", 5000.01, "/total", "Total must be at most 5000"),
    ("total", "12.345", "/total", "Total must have at most 2 decimal digits"),
    ("total", "twelve", "/total", "Total must be a number"),
    ("nights", "2.5", "/nights", "Nights must be a whole number"),
    ("urgent", "perhaps", "/urgent", "Urgent must be true or false"),
    ("approved", "maybe", "/approved", "Decision must be one of: Approve, Reject"),
    ("currency", "GBP", "/currency", "Currency must be one of: Euro, Dollar"),
    ("categories", ["travel", "golf"], "/categories/1", "Categories must be one of: Travel, Meals"),
    ("categories", ["travel", "travel"], "/categories", "Categories must not list the same value twice"),
    ("spent_on", "01/03/2024", "/spent_on", "Spent on must be a date (YYYY-MM-DD)"),
    ("spent_on", "2024-02-30", "/spent_on", "Spent on must be a date (YYYY-MM-DD)"),
    ("spent_on", "2024-02-29T22:00:00Z", "/spent_on", "Spent on must be a date (YYYY-MM-DD)"),
    ("departure", "tomorrow", "/departure", "Departure must be a date and time (YYYY-MM-DDTHH:MM)"),
    ("pickup", "25:00", "/pickup", "Pickup must be a time (HH:MM)"),
    ("address", "Berlin", "/address", "Address must be a group of fields"),
    ("items", {"qty": 1}, "/items", "Items must be a list"),
])
def test_each_field_type_reports_a_human_error_at_its_pointer(claim, field, value, pointer, message):
    assert errors_of(claim, {**VALID, field: value}) == {pointer: message}


def test_dynamic_list_errors_point_at_the_item(claim):
    errors = errors_of(claim, {**VALID, "items": [{"qty": 1}, {"qty": "0"}, {"what": "taxi"}]})
    assert errors == {"/items/1/qty": "Quantity must be at least 1", "/items/2/qty": "Quantity is required"}


def test_nested_group_errors_point_into_the_object(claim):
    assert validate_submission(claim, {**VALID, "address": {"city": 12}})[1] == []  # a number is fine as text
    assert errors_of(claim, {**VALID, "address": {"city": ""}}) == {"/address/city": "City is required"}


def test_one_error_per_field_the_most_basic_one(claim):
    assert errors_of(claim, {**VALID, "total": -0.001}) == {"/total": "Total must be at least 0.01"}
    errors = validate_submission(claim, {**VALID, "employee": "Al", "total": None})[1]
    assert errors == [FieldError("/employee", "Employee must be at least 3 characters long"),
                      FieldError("/total", "Total is required")]


def test_a_submission_that_is_not_an_object_is_one_error(claim):
    assert validate_submission(claim, ["a"])[1] == [FieldError("", "The form data must be an object of field values")]


def test_field_errors_serialise_for_problem_responses():
    assert FieldError("/items/0/qty", "Quantity is required").as_dict() == {
        "field": "/items/0/qty", "message": "Quantity is required"}
