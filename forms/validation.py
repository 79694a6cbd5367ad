"""Server-side validation of a form submission: coerce to the form's types, then check with jsonschema.

    validate_submission(model, data) -> (coerced data, [FieldError])

Validation is jsonschema's (draft 2020-12) with format checks for email, phone, date, date-time and
time; Fuse adds only the coercion (forms.coercion) and the wording (forms.messages).
"""
from __future__ import annotations

import re
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Iterator

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError

from forms.coercion import coerce_data
from forms.messages import field_errors
from forms.model import FieldError, FormModel

# The address check form-js and the HTML standard use: jsonschema's own only looks for an "@".
EMAIL = re.compile(r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
                   r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")
# International numbers as form-js asks for them (+4930664040900 or 004930664040900).
PHONE = re.compile(r"^(?:\+|00)[1-9][0-9]{5,22}$")

FORMATS = FormatChecker()


@FORMATS.checks("email")
def _email(value: Any) -> bool:
    return not isinstance(value, str) or EMAIL.match(value) is not None


@FORMATS.checks("phone")
def _phone(value: Any) -> bool:
    return not isinstance(value, str) or PHONE.match(value) is not None


# date-time and time need an optional package in jsonschema; Python's ISO reader is enough here.
@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: Any) -> bool:
    return not isinstance(value, str) or ("T" in value.upper() and datetime.fromisoformat(value) is not None)


@FORMATS.checks("time", raises=ValueError)
def _time(value: Any) -> bool:
    return not isinstance(value, str) or time.fromisoformat(value) is not None


def _exact_multiple_of(validator, step: Any, instance: Any, schema: dict) -> Iterator[ValidationError]:
    """`multipleOf` in decimal arithmetic: with floats, 0.29 is not a multiple of 0.01."""
    if not validator.is_type(instance, "number"):
        return
    try:
        remainder = Decimal(str(instance)) % Decimal(str(step))
    except InvalidOperation:
        return
    if remainder != 0:
        yield ValidationError(f"{instance!r} is not a multiple of {step}")


FormValidator = validators.extend(Draft202012Validator, {"multipleOf": _exact_multiple_of})


def validate_submission(model: FormModel, data: dict) -> tuple[dict, list[FieldError]]:
    """The submission coerced to the form's types, and one error per field that is still wrong."""
    if not isinstance(data, dict):
        return data, [FieldError("", "The form data must be an object of field values")]
    validator = FormValidator(model.schema, format_checker=FORMATS)
    fields = model.ui_schema.get("fields", {})
    coerced = coerce_data(model.schema, data, fields,
                          accepts=lambda node, value: validator.evolve(schema=node).is_valid(value))
    best: dict[str, tuple[int, FieldError]] = {}
    for error in validator.iter_errors(coerced):
        rank = _rank(error)
        for field_error in field_errors(error, fields):
            # One error per field, the most basic one; fields stay in the order jsonschema met them.
            if field_error.field not in best or rank < best[field_error.field][0]:
                best[field_error.field] = (rank, field_error)
    # Report in the form's order (jsonschema checks `required` after the properties).
    position = {name: index for index, name in enumerate(model.schema.get("properties") or {})}
    return coerced, sorted((field_error for _, field_error in best.values()),
                           key=lambda error: position.get(_top_name(error.field), len(position)))


def _top_name(pointer: str) -> str:
    return pointer.split("/")[1].replace("~1", "/").replace("~0", "~") if pointer else ""


def _rank(error: ValidationError) -> int:
    """Lower is more basic: a missing value, then the choices offered, then a wrong type, then bounds."""
    order = ("required", "enum", "const", "type", "format")
    return order.index(error.validator) if error.validator in order else len(order)
