"""Parameter values as Camunda writes them: text, `${...}`/`=...` expressions, lists, maps, scripts."""
from __future__ import annotations

from lxml import etree

from bpmn.expressions.juel import is_juel

from bpmn.namespaces import camunda


def text_value(text: str | None) -> dict:
    """Literal text, or an expression when it is JUEL (`${...}`) or FEEL (`=...`)."""
    text = (text or "").strip()
    if text.startswith("=") or is_juel(text):
        return {"expression": text}
    return {"text": text}


def camunda_value(node: etree._Element) -> dict:
    """The value of a camunda:inputParameter/outputParameter/entry element."""
    for child in node:
        if child.tag == camunda("list"):
            return {"list": [camunda_value(item) for item in child if isinstance(item.tag, str)]}
        if child.tag == camunda("map"):
            return {"map": {entry.get("key"): camunda_value(entry) for entry in child
                            if entry.tag == camunda("entry")}}
        if child.tag == camunda("script"):
            return {"script": child.text or "", "format": child.get("scriptFormat")}
        if child.tag == camunda("value"):
            return text_value(child.text)
    return text_value(node.text)
