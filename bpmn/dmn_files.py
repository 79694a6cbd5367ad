"""DMN files as SpiffWorkflow 3.2 can read them, and the problems it would crash on, named in words.

SpiffWorkflow finds DMN elements only under the prefix `dmn` or the default namespace, reads one
decision per file, and only decision tables; an element without an id or a rule with more entries than
its table has columns makes it fail with a bare IndexError, KeyError or XPathEvalError naming nothing.
These are checked first, so that each problem names its element (or line, for an element without an id).
"""
from __future__ import annotations

import copy

from lxml import etree

from bpmn.errors import ElementProblem, problem

DMN_NAMESPACES = frozenset({
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",       # DMN 1.1
    "http://www.omg.org/spec/DMN/20180521/MODEL/",        # DMN 1.2
    "https://www.omg.org/spec/DMN/20191111/MODEL/",       # DMN 1.3
    "https://www.omg.org/spec/DMN/20211108/MODEL/",       # DMN 1.4
    "https://www.omg.org/spec/DMN/20230324/MODEL/",       # DMN 1.5
})
# Elements SpiffWorkflow reads by their id (a missing one is a KeyError).
NEEDS_ID = ("decision", "decisionTable", "input", "output", "rule", "inputEntry", "outputEntry")


def dmn_problems(root: etree._Element) -> list[ElementProblem]:
    """What keeps SpiffWorkflow from reading this DMN document; empty when it can."""
    namespace = etree.QName(root).namespace
    if namespace not in DMN_NAMESPACES or etree.QName(root).localname != "definitions":
        return [problem(root, f"root element is {etree.QName(root).localname} in namespace {namespace or 'none'}, "
                              "not a DMN definitions element (DMN 1.1 to 1.5)")]
    decisions = root.findall(_dmn(namespace, "decision"))
    if not decisions:
        return [problem(root, "the file defines no decision: a DMN file holds the decision table a business rule "
                              "task names")]
    found = [problem(extra, f"decision '{_label(extra)}' is not the first decision of the file: Fuse reads one "
                            "decision per DMN file, put each in a file of its own") for extra in decisions[1:]]
    found += [problem(node, f"this {etree.QName(node).localname} of decision '{_label(decisions[0])}' has no id")
              for tag in NEEDS_ID for node in decisions[0].iter(_dmn(namespace, tag)) if not node.get("id")]
    table = decisions[0].find(_dmn(namespace, "decisionTable"))
    if table is None:
        found.append(problem(decisions[0], f"decision '{_label(decisions[0])}' has no decision table: Fuse decides "
                                           "decision tables only (not literal expressions, contexts or "
                                           "invocations)"))
        return found
    return found + _rule_widths(table, namespace)


def _dmn(namespace: str, tag: str) -> str:
    return f"{{{namespace}}}{tag}"


def _rule_widths(table: etree._Element, namespace: str) -> list[ElementProblem]:
    """Rules with more input or output entries than the table has inputs or outputs."""
    found = []
    for kind in ("input", "output"):
        columns = len(table.findall(_dmn(namespace, kind)))
        for rule in table.findall(_dmn(namespace, "rule")):
            entries = len(rule.findall(_dmn(namespace, f"{kind}Entry")))
            if entries > columns:
                found.append(problem(rule, f"rule '{_label(rule)}' has {entries} {kind} entries but the table "
                                           f"has {columns} {kind}{'s' if columns != 1 else ''}"))
    return found


def _label(node: etree._Element) -> str:
    return node.get("name") or node.get("id") or etree.QName(node).localname


def readable_by_spiff(root: etree._Element) -> etree._Element:
    """The document with its DMN namespace also declared as the default one, where SpiffWorkflow looks
    for it (a copy, when the file binds it to another prefix, such as Trisotech's `semantic:`)."""
    namespace = etree.QName(root).namespace
    if namespace in (root.nsmap.get(None), root.nsmap.get("dmn")):
        return root
    readable = etree.Element(root.tag, attrib=dict(root.attrib), nsmap={**root.nsmap, None: namespace})
    readable.extend(copy.deepcopy(child) for child in root)
    return readable
