"""Form files deployed next to BPMN models: which names are forms, and are they readable."""
from __future__ import annotations

import json

from bpmn.errors import ElementProblem

FORM_SUFFIXES = (".form", ".schema.json", ".uischema.json")


def is_form_file(name: str) -> bool:
    return name.lower().endswith(FORM_SUFFIXES)


def form_problems(files: dict[str, bytes]) -> list[ElementProblem]:
    """A problem for every form file that is not a JSON object (forms are all JSON)."""
    problems = []
    for name, data in files.items():
        if not is_form_file(name):
            continue
        try:
            document = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            line = getattr(err, "lineno", None)
            problems.append(ElementProblem(None, line, f"form {name} is not valid JSON: {err}", name))
            continue
        if not isinstance(document, dict):
            problems.append(ElementProblem(None, 1, f"form {name} must be a JSON object", name))
    return problems
