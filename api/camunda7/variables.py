"""Camunda 7's typed variables, {"value": ..., "type": ..., "valueInfo": {...}}, both ways.

Fuse stores variables as JSON values. Writing, each typed value becomes the JSON value a process sees:
String, Integer (32 bit), Short, Long (64 bit), Double and Boolean as themselves; Date as an ISO 8601 string
with its offset; Json as the JSON it holds (a process can read its fields); Object only with
valueInfo.serializationDataFormat "application/json", as the JSON it holds (Java-serialized objects are
refused with 400: nothing here can read them); Null as null. Bytes and File are refused with 400.

The declared type is remembered per instance (engine.instances.variable_types), so reading a variable gives
the type it was written with: Long stays Long, a Date comes back in Camunda's `yyyy-MM-dd'T'HH:mm:ss.SSSZ`,
Json as its JSON text. A value written without a type (or set by the process itself) gets the type Camunda
would infer: String, Integer (Long beyond 32 bits), Double, Boolean, Null; an object or array is Json, where
Camunda would Java-serialize it into an Object no client outside the JVM can read. A declared type that no
longer fits the value (a script gave the variable a value of another kind) gives way to the inferred one.
"""
from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime

from api.camunda7.errors import CamundaError
from engine.instances.variable_types import declared_types
from engine.store.models import ProcessInstance

INT32, INT16, INT64 = 2**31, 2**15, 2**63
JSON_FORMAT = "application/json"
# Camunda's REST names are case-insensitive in their first letter ("string" or "String"): by lower case.
TYPE_NAMES = {name.lower(): name for name in
              ("String", "Integer", "Short", "Long", "Double", "Boolean", "Date", "Json", "Xml", "Object", "Null")}
REFUSED_TYPES = {"bytes", "file"}
CAMUNDA_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$")


def _bad(name: str, message: str) -> CamundaError:
    return CamundaError(400, "InvalidRequestException", f"Cannot set variable {name}: {message}")


# --- writing: Camunda's typed value -> (JSON value, declared type) -----------------------------------------

def parse_date(text: str) -> datetime:
    """A date as Camunda writes it (yyyy-MM-dd'T'HH:mm:ss.SSSZ; also with Z or +hh:mm); no offset means UTC."""
    if not isinstance(text, str) or not CAMUNDA_DATE.match(text):
        raise ValueError(f"{text!r} is not a date in the format yyyy-MM-dd'T'HH:mm:ss.SSSZ")
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_date(moment: datetime) -> str:
    """Camunda's date format, yyyy-MM-dd'T'HH:mm:ss.SSSZ (e.g. 2024-05-01T09:30:00.000+0000); naive is UTC."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}" + moment.strftime("%z")


def _integer(value, bound: int, type_name: str) -> int:
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not -bound <= value < bound:
        raise ValueError(f"{value!r} is not a value of type {type_name}")
    return value


def _double(value) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{value!r} is not a value of type Double")
    return float(value)


def _boolean(value) -> bool:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not a value of type Boolean")  # noqa: TRY004 - a wrong value, said as 400
    return value


def _json_text(value, type_name: str):
    if not isinstance(value, str):
        return value  # already JSON: a client that sent the structure itself
    try:
        return json.loads(value)
    except ValueError:
        raise ValueError(f"the value of a {type_name} variable must be JSON text") from None


def _object(value, info: dict):
    data_format = info.get("serializationDataFormat")
    if data_format != JSON_FORMAT:
        raise ValueError(f"an Object must be serialized as {JSON_FORMAT} (valueInfo.serializationDataFormat), "
                         f"not {data_format or 'Java serialization'}: Java-serialized objects are not accepted; "
                         "send the object as Json, or as Object in application/json")
    return _json_text(value, "Object")


def _convert(type_name: str, value, info: dict):
    if type_name == "Null":
        if value is not None:
            raise ValueError("a Null variable has no value")
        return None
    if value is None:
        return None  # Camunda allows a null of any type; the type is kept
    if type_name in ("String", "Xml"):
        if isinstance(value, (dict, list)):
            raise ValueError(f"{json.dumps(value)[:80]} is not a value of type {type_name}")
        return value if isinstance(value, str) else json.dumps(value)
    if type_name == "Date":
        return parse_date(value).isoformat(timespec="milliseconds")
    converters = {"Integer": lambda: _integer(value, INT32, "Integer"), "Short": lambda: _integer(value, INT16, "Short"),
                  "Long": lambda: _integer(value, INT64, "Long"), "Double": lambda: _double(value),
                  "Boolean": lambda: _boolean(value), "Json": lambda: _json_text(value, "Json"),
                  "Object": lambda: _object(value, info)}
    return converters[type_name]()


def declared_value(name: str, typed) -> tuple[object, dict | None]:
    """One typed value from a request: (the JSON value to store, the declared type or None if untyped)."""
    if not isinstance(typed, dict):
        raise _bad(name, 'a variable is an object {"value": ..., "type": ..., "valueInfo": {...}}')
    value, type_given, info = typed.get("value"), typed.get("type"), typed.get("valueInfo") or {}
    if not isinstance(info, dict):
        raise _bad(name, "valueInfo must be an object")
    if type_given is None:
        return value, None
    if not isinstance(type_given, str) or type_given.lower() in REFUSED_TYPES:
        raise _bad(name, f"variables of type {type_given} are not supported")
    type_name = TYPE_NAMES.get(type_given.lower())
    if type_name is None:
        raise _bad(name, f"unsupported value type '{type_given}'")
    try:
        converted = _convert(type_name, value, info)
    except ValueError as err:
        raise _bad(name, str(err)) from None
    kept_info = ({"objectTypeName": info.get("objectTypeName"), "serializationDataFormat": JSON_FORMAT}
                 if type_name == "Object" else {})
    return converted, {"type": type_name, "valueInfo": kept_info}


def declared_values(variables) -> tuple[dict, dict[str, dict | None]]:
    """A request's {name: typed value} map: (values to store, {name: declared type or None})."""
    if variables is None:
        return {}, {}
    if not isinstance(variables, dict):
        raise CamundaError(400, "InvalidRequestException", "variables must be an object of typed values by name")
    values, types = {}, {}
    for name, typed in variables.items():
        values[name], types[name] = declared_value(name, typed)
    return values, types


# --- reading: JSON value (+ declared type) -> Camunda's typed value ---------------------------------------

def inferred_type(value) -> str:
    """The type Camunda would give a value written without one (objects and arrays: Json, see above)."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer" if -INT32 <= value < INT32 else "Long"
    if isinstance(value, float):
        return "Double"
    if isinstance(value, str):
        return "String"
    return "Json"


def _fits(type_name: str, value) -> bool:
    if value is None or type_name in ("Json", "Object"):
        return True
    checks = {
        "String": lambda: isinstance(value, str), "Xml": lambda: isinstance(value, str),
        "Integer": lambda: inferred_type(value) == "Integer",
        "Short": lambda: inferred_type(value) == "Integer" and -INT16 <= value < INT16,
        "Long": lambda: inferred_type(value) in ("Integer", "Long") and -INT64 <= value < INT64,
        "Double": lambda: inferred_type(value) in ("Integer", "Long", "Double"),
        "Boolean": lambda: isinstance(value, bool), "Null": lambda: False,
        "Date": lambda: _is_date(value),
    }
    return checks.get(type_name, lambda: False)()


def _is_date(value) -> bool:
    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def typed_value(value, declared: dict | None = None, deserialize: bool = True) -> dict:
    """A stored value as Camunda's {value, type, valueInfo}, in its declared type when that still fits."""
    type_name = declared["type"] if declared and _fits(declared["type"], value) else inferred_type(value)
    info = dict(declared.get("valueInfo") or {}) if declared and declared["type"] == type_name else {}
    if value is not None:
        if type_name == "Date":
            value = format_date(datetime.fromisoformat(value))
        elif type_name == "Double":
            value = float(value)
        elif type_name == "Json" or (type_name == "Object" and not deserialize):
            value = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if type_name == "Object":
        info = {"objectTypeName": info.get("objectTypeName"), "serializationDataFormat": JSON_FORMAT}
    return {"type": type_name, "value": value, "valueInfo": info}


def typed_values(variables: dict, declared: dict[str, dict], deserialize: bool = True) -> dict:
    """Every variable as a typed value, by name."""
    return {name: typed_value(value, declared.get(name), deserialize) for name, value in variables.items()}


def form_field_type(field_schema: dict) -> dict:
    """The declared type of a form field from its JSON Schema (Camunda's form field types long, boolean, date...)."""
    kind, data_format = field_schema.get("type"), field_schema.get("format")
    if kind == "string" and data_format in ("date", "date-time"):
        return {"type": "Date", "valueInfo": {}}
    names = {"integer": "Long", "number": "Double", "boolean": "Boolean", "object": "Json", "array": "Json"}
    return {"type": names.get(kind, "String"), "valueInfo": {}}


def typed_form_fields(schema: dict, data: dict, names: str | None = None) -> dict:
    """A form's fields (its JSON Schema `schema`) with their values in `data`, as typed values by name, only
    those listed in `names` (comma-separated, Camunda's variableNames) when it is given."""
    fields = schema.get("properties", {})
    if names:
        wanted = names.split(",")
        fields = {name: field for name, field in fields.items() if name in wanted}
    return {name: typed_value(data.get(name), form_field_type(field)) for name, field in fields.items()}


def typed_instance_variables(row: ProcessInstance, deserialize: bool = True) -> dict:
    """An instance's variables as typed values, each in the type it was written with (when that still fits)."""
    return typed_values(row.variables or {}, declared_types(row), deserialize)
