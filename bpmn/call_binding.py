"""Which process a call activity calls: a key and a binding, as Camunda 7 and 8 write them.

Camunda 7: calledElement + camunda:calledElementBinding (latest, the default; deployment; version with
camunda:calledElementVersion; versionTag with camunda:calledElementVersionTag). Camunda 8: zeebe:calledElement
processId + bindingType (latest, the default; deployment; versionTag with versionTag).

A process called with binding `deployment` is compiled into its caller's specs (it comes from the same files);
every other binding is resolved by the engine from the deployed definitions when the call activity starts. The
call activity's spec names its sub-process spec by `spec_name`, which says both (see `parse_spec_name`).
"""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from bpmn.namespaces import bpmn, camunda, zeebe

BINDINGS = ("latest", "deployment", "version", "versionTag")
# Spec names of call activities resolved at run time: KEY@latest, KEY@version:N, KEY@versionTag:TAG.
SEPARATOR = "@"


class BindingError(ValueError):
    """The call activity's binding cannot be followed (its message says why)."""


@dataclass(frozen=True)
class CallBinding:
    key: str
    binding: str = "latest"
    version: int | None = None
    version_tag: str | None = None

    @property
    def resolved_at_run_time(self) -> bool:
        return self.binding != "deployment"

    @property
    def spec_name(self) -> str:
        """The name the call activity's sub-process spec goes by in an instance."""
        if self.binding == "deployment":
            return self.key
        detail = {"version": f":{self.version}", "versionTag": f":{self.version_tag}"}.get(self.binding, "")
        return f"{self.key}{SEPARATOR}{self.binding}{detail}"

    def describe(self) -> str:
        """In words, for messages: "process 'invoice' (version 3)"."""
        detail = {"latest": "latest version", "deployment": "from the caller's deployment",
                  "version": f"version {self.version}", "versionTag": f"version tag {self.version_tag}"}
        return f"process '{self.key}' ({detail[self.binding]})"


def parse_spec_name(name: str) -> CallBinding | None:
    """The binding a run-time spec name stands for; None for names compiled in (sub-processes, deployment)."""
    key, separator, rest = name.rpartition(SEPARATOR)
    if not separator or not key:
        return None
    binding, _, detail = rest.partition(":")
    if binding == "latest":
        return CallBinding(key)
    if binding == "version" and detail.isdigit():
        return CallBinding(key, binding, version=int(detail))
    if binding == "versionTag" and detail:
        return CallBinding(key, binding, version_tag=detail)
    return None


def _zeebe_called_element(node: etree._Element) -> etree._Element | None:
    for holder in node.findall(bpmn("extensionElements")):
        found = holder.find(zeebe("calledElement"))
        if found is not None:
            return found
    return None


def call_binding(node: etree._Element) -> CallBinding | None:
    """The binding of a callActivity element (None when it names no process); BindingError when it cannot be
    followed."""
    called = _zeebe_called_element(node)
    if node.get("calledElement"):
        key = node.get("calledElement")
        binding = node.get(camunda("calledElementBinding")) or "latest"
        version, tag = node.get(camunda("calledElementVersion")), node.get(camunda("calledElementVersionTag"))
    elif called is not None and called.get("processId"):
        key, binding = called.get("processId"), called.get("bindingType") or "latest"
        version, tag = None, called.get("versionTag")
    else:
        return None
    if binding not in BINDINGS:
        raise BindingError(f"calledElementBinding '{binding}' is not one of {', '.join(BINDINGS)}")
    if binding == "version":
        if not (version or "").strip().isdigit():
            raise BindingError(f"calledElementBinding 'version' needs calledElementVersion as a whole number, "
                               f"not '{version or ''}'")
        return CallBinding(key, binding, version=int(version))
    if binding == "versionTag":
        if not (tag or "").strip():
            raise BindingError("calledElementBinding 'versionTag' needs a version tag (calledElementVersionTag)")
        return CallBinding(key, binding, version_tag=tag.strip())
    return CallBinding(key, binding)


def version_tag(process: etree._Element) -> str | None:
    """A process's version tag: camunda:versionTag, or Camunda 8's zeebe:versionTag value."""
    if process.get(camunda("versionTag")):
        return process.get(camunda("versionTag"))
    for holder in process.findall(bpmn("extensionElements")):
        found = holder.find(zeebe("versionTag"))
        if found is not None and found.get("value"):
            return found.get("value")
    return None
