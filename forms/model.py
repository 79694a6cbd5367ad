"""The one form model every format becomes: a JSON Schema for the data and UI hints for people.

    FormModel.schema      JSON Schema (draft 2020-12), type object, properties by variable path
    FormModel.ui_schema   {"order": [top-level paths], "fields": {path: {"label", "widget", ...}}}
    FormModel.defaults    default values, nested like the data
    FormModel.warnings    what a format asked for that Fuse could not honour, naming form and component

UI paths are the variable path with dots ("address.city"); the fields of a dynamic list's items
are written "items[].qty". Group and dynamic-list entries list their members under "children".
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


class FormError(Exception):
    """A form document cannot be read (not JSON, wrong shape, an invalid schema)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class FormModel:
    schema: dict
    ui_schema: dict
    defaults: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FieldError:
    """One field of a submission that is not acceptable; `field` is a JSON pointer ("/items/0/qty")."""

    field: str
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


def empty_schema() -> dict:
    """An object schema with no properties yet, declaring the dialect Fuse speaks."""
    return {"$schema": SCHEMA_DIALECT, "type": "object", "properties": {}}
