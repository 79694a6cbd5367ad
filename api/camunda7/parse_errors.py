"""A model that cannot be deployed, as Camunda 7 reports it: 400 ParseException whose message starts with
"ENGINE-09005 Could not parse BPMN process." (Camunda Modeler recognises the prefix and shows the problems)
and whose details list, per resource, the errors and warnings with line, column and element ids."""
from __future__ import annotations

from collections import defaultdict

from api.camunda7.errors import CamundaError
from bpmn.errors import ElementProblem
from engine.errors import InvalidModel, MalformedXml

PREFIX = "ENGINE-09005 Could not parse BPMN process."


def _entry(message: str, line: int | None, column: int | None, element_id: str | None) -> dict:
    return {"message": message, "line": line or 0, "column": column or 0, "mainElementId": element_id,
            "elementIds": [element_id] if element_id else []}


def parse_exception(err: InvalidModel | MalformedXml, file_names: list[str]) -> CamundaError:
    """The ParseException for a deployment Fuse refused as malformed XML or an invalid model."""
    details: dict[str, dict] = defaultdict(lambda: {"errors": [], "warnings": []})
    if isinstance(err, MalformedXml):
        details[err.extra["file"]]["errors"].append(_entry(err.detail, err.extra["line"], err.extra["column"], None))
    else:
        only = file_names[0] if len(file_names) == 1 else None
        for problem in err.errors:
            problem: ElementProblem
            details[problem.file or only or "unknown"]["errors"].append(
                _entry(problem.message, problem.line, None, problem.element_id))
    lines = [f"* {e['message']} | resource {name} | line {e['line']} | column {e['column']}"
             + (f" | element {e['mainElementId']}" if e["mainElementId"] else "")
             for name, found in details.items() for e in found["errors"]]
    message = f"{PREFIX} Errors in {', '.join(details)}:\n" + "\n".join(lines)
    return CamundaError(400, "ParseException", message, details=dict(details))
