"""Make BPMN that the spec allows but SpiffWorkflow 3.2 refuses runnable, and say what was changed.

    adjustments = make_runnable(definitions)   # rewrites the lxml tree in place

Rewrites (each reported as an Adjustment naming the element and its line in the file):
- prefixed (QName) references are read as plain ids (valid BPMN: not reported), and an errorRef naming
  no bpmn:error as the error code, as Camunda reads it (lenient_refs);
- data stores without an implementation, and data associations SpiffWorkflow cannot resolve, are
  removed (lenient_data);
- unconditioned, non-default flows out of exclusive/inclusive gateways get a default or `True`;
- implicit splits (a task or event with several outgoing flows) get an explicit gateway;
- a scope without a start event gets one leading to every node without an incoming flow;
- nodes without an outgoing flow get a flow to an added end event (lenient_flow).
New elements get ids derived from the element they serve (`<id>__split`, `<scope>__start`,
`<scope>__end`) and no diagram shapes. Executability is left to the caller: see force_executable.
"""
from __future__ import annotations

import re

from lxml import etree

from bpmn.namespaces import bpmn, camunda
from bpmn.lenient_data import data_stores
from bpmn.lenient_refs import resolve_qname_refs, undeclared_errors
from bpmn.lenient_flow import gateway_conditions, implicit_splits, missing_end, missing_start
from bpmn.lenient_xml import Adjustment, Scope, document_ids, scopes
from bpmn.limits import check_deadline

__all__ = ["Adjustment", "make_runnable", "force_executable"]

# Gateway conditions come before splits so they only judge the modeller's own gateways, and start
# before end so an empty sub-process is finished by its own start rewrite.
_SCOPE_REWRITES = (gateway_conditions, implicit_splits, missing_start, missing_end)


def make_runnable(root: etree._Element) -> list[Adjustment]:
    """Rewrite a parsed `bpmn:definitions` element in place so that SpiffWorkflow can parse what
    BPMN 2.0 allows; return every change, in document order of the scopes.

    Every process and sub-process (transactions and ad hoc ones included) is rewritten, executable
    or not. Running it twice changes nothing the second time.
    """
    resolve_qname_refs(root)  # valid BPMN written another way: nothing to report
    adjustments = undeclared_errors(root) + data_stores(root) + feel_by_language(root) + collection_variables(root)
    ids = document_ids(root)
    for element in scopes(root):
        check_deadline()
        scope = Scope(element, ids)
        for rewrite in _SCOPE_REWRITES:
            adjustments.extend(rewrite(scope))
    return adjustments


FEEL_LANGUAGES = ("feel", "https://www.omg.org/spec/dmn/20191111/feel/", "http://www.omg.org/spec/feel/20140401")


def feel_by_language(root: etree._Element) -> list[Adjustment]:
    """A condition whose `language` says FEEL is written without the leading '=' Camunda 8 uses;
    Fuse tells its expression dialects apart by that '=', so add it."""
    adjusted = []
    for condition in root.iter(bpmn("conditionExpression")):
        language = (condition.get("language") or "").strip().lower()
        text = (condition.text or "").strip()
        if language.rstrip("/") in {lang.rstrip("/") for lang in FEEL_LANGUAGES} and text and not text.startswith("="):
            condition.text = "=" + text
            flow = condition.getparent()
            adjusted.append(Adjustment(flow.get("id"), condition.sourceline,
                                       f"condition in language {condition.get('language')} read as FEEL"))
        if language.rstrip("/") in {lang.rstrip("/") for lang in FEEL_LANGUAGES}:
            del condition.attrib["language"]
    return adjusted


SIMPLE_REFERENCE = re.compile(r"^\s*[$#]\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\s*$")


def collection_variables(root: etree._Element) -> list[Adjustment]:
    """camunda:collection="${items}" names the variable `items`; SpiffWorkflow wants the bare name."""
    adjusted = []
    attribute = camunda("collection")
    for loop in root.iter(bpmn("multiInstanceLoopCharacteristics")):
        if (match := SIMPLE_REFERENCE.match(loop.get(attribute) or "")):
            loop.set(attribute, match.group(1))
            owner = loop.getparent()
            adjusted.append(Adjustment(owner.get("id"), loop.sourceline,
                                       f"camunda:collection {match.group(0).strip()} read as variable {match.group(1)}"))
    return adjusted


def force_executable(root: etree._Element) -> list[str]:
    """Mark every process isExecutable="true"; return the ids of those that were not.

    SpiffWorkflow refuses to build a spec for a non-executable process; the caller decides whether
    to parse one anyway (for viewing or validation) and uses the ids to tell the user.
    """
    changed = []
    for process in root.iter(bpmn("process")):
        if process.get("isExecutable", "true") != "true":
            changed.append(process.get("id"))
            process.set("isExecutable", "true")
    return changed
