"""Errors about models: what is wrong, in which file, at which element and line."""
from __future__ import annotations

from dataclasses import dataclass, asdict


@dataclass(frozen=True)
class ElementProblem:
    """One reason a model cannot be deployed or run, pinned to a BPMN element."""

    element_id: str | None
    line: int | None
    message: str
    file: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def problem(node, message: str) -> ElementProblem:
    """An ElementProblem about an XML element, pinned to its id and line."""
    return ElementProblem(element_id=node.get("id"), line=node.sourceline, message=message)


class XmlError(Exception):
    """The bytes are not acceptable XML (malformed, hostile or too large)."""

    def __init__(self, message: str, *, file: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message, self.file, self.line, self.column = message, file, line, column


class ModelProblems(Exception):
    """The XML is fine but the model cannot be run; carries every problem found."""

    def __init__(self, problems: list[ElementProblem], warnings: list[ElementProblem] | None = None):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems
        self.warnings = warnings or []


class ModelTooLarge(XmlError):
    """The file is over a size limit an operator sets (bytes or elements); names the setting."""

    def __init__(self, message: str, *, file: str, setting: str, limit: int):
        super().__init__(message, file=file)
        self.setting, self.limit = setting, limit


class CompileTimeout(Exception):
    """Compiling took longer than the operator allows (FUSE_COMPILE_TIMEOUT_S)."""

    def __init__(self, seconds: float):
        super().__init__(f"compiling the model took longer than {seconds:g} s, the limit (FUSE_COMPILE_TIMEOUT_S)")
        self.seconds = seconds
