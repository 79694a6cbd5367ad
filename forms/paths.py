"""Variable paths: dotted keys become nested objects, and errors point into the data with JSON pointers."""
from __future__ import annotations

from typing import Any, Iterable


def split_path(path: str) -> list[str]:
    """The parts of a dotted variable path ("address.city" -> ["address", "city"])."""
    return [part for part in str(path).split(".") if part]


def ui_key(parts: Iterable[str | int]) -> str:
    """The UI key of a data location: list indexes collapse to "[]" ("items", 1, "qty" -> "items[].qty")."""
    key = ""
    for part in parts:
        if isinstance(part, int):
            key += "[]"
        else:
            key += f".{part}" if key else str(part)
    return key


def json_pointer(parts: Iterable[str | int]) -> str:
    """An RFC 6901 pointer to a data location ("items", 0, "qty" -> "/items/0/qty")."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def object_schema() -> dict:
    return {"type": "object", "properties": {}}


def place_property(container: dict, parts: list[str], prop: dict, required: bool) -> bool:
    """Put `prop` at `parts` under `container`, creating the objects in between.

    A required leaf makes every object on its way required too, since the value cannot be there
    without them. False when a non-object property already sits on the way.
    """
    node = container
    for part in parts[:-1]:
        child = node["properties"].setdefault(part, object_schema())
        if child.get("type") != "object" or "properties" not in child:
            return False
        if required:
            _require(node, part)
        node = child
    node["properties"][parts[-1]] = prop
    if required:
        _require(node, parts[-1])
    return True


def _require(node: dict, name: str) -> None:
    required = node.setdefault("required", [])
    if name not in required:
        required.append(name)


def place_value(data: dict, parts: list[str], value: Any) -> None:
    """Set `value` at `parts` in nested dicts, creating the dicts in between."""
    for part in parts[:-1]:
        child = data.get(part)
        if not isinstance(child, dict):
            child = data[part] = {}
        data = child
    data[parts[-1]] = value


def resolve(root: dict, node: Any) -> dict:
    """The schema `node` stands for: a local `$ref` ("#/$defs/money") is followed, and the keywords
    beside it (a title, a description) are kept over the target's, as draft 2020-12 reads them."""
    for _ in range(32):  # a cycle of references must not hang the server
        if not (isinstance(node, dict) and str(node.get("$ref", "")).startswith("#")):
            break
        target: Any = root
        for part in node["$ref"][1:].split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part, {}) if isinstance(target, dict) else {}
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        node = {**target, **siblings} if isinstance(target, dict) else siblings
    return node if isinstance(node, dict) else {}
