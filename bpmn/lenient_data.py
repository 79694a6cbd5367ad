"""Data rewrites: data stores and data associations SpiffWorkflow 3.2 cannot parse.

SpiffWorkflow resolves a `bpmn:dataStore` by its *name* in the parser's DATA_STORE_CLASSES and
refuses the whole file when a name has no class; Fuse registers none yet. A data association must
lead to a data object (found in the task's own scope or the one just above it) or to an
implemented data store; anything else is a parse error, and a data object two scopes up makes its
parser loop forever. Data objects otherwise work as they are.
"""
from __future__ import annotations

from lxml import etree

from bpmn.namespaces import bpmn
from bpmn.lenient_xml import FLOW_NODE_TAGS, SCOPE_TAGS, Adjustment, label, local
from bpmn.parser import FuseParser

_DIRECTIONS = {"dataInputAssociation": ("sourceRef", "reads from"),
               "dataOutputAssociation": ("targetRef", "writes to")}


def data_stores(root: etree._Element) -> list[Adjustment]:
    """Remove data stores with no implementation and every association SpiffWorkflow cannot resolve."""
    implemented = set(FuseParser.DATA_STORE_CLASSES)
    found, kept = [], set()
    for store in list(root.iter(bpmn("dataStore"))):
        if store.get("name") in implemented:
            kept.add(store.get("id"))
            continue
        store.getparent().remove(store)
        found.append(Adjustment(store.get("id"), store.sourceline, (
            f"data store '{label(store)}' removed: Fuse has no data store implementations yet, and "
            "SpiffWorkflow refuses a file that declares one without an implementation")))
    by_id = {node.get("id"): node for node in root.iter() if isinstance(node.tag, str) and node.get("id")}
    for association in list(root.iter(*(bpmn(tag) for tag in _DIRECTIONS))):
        ref_tag, verb = _DIRECTIONS[local(association)]
        owner = association.getparent()
        if local(owner) not in FLOW_NODE_TAGS:
            continue  # SpiffWorkflow reads associations only on flow nodes
        for ref in association.findall(bpmn(ref_tag)):
            # SpiffWorkflow looks the id up verbatim; a modeller's stray whitespace is no reason to fail.
            ref.text = (ref.text or "").strip()
            target = by_id.get(ref.text)  # None when the reference names nothing
            if target is not None and local(target) == "dataObject" and _data_object_visible(ref.text, owner):
                found.append(_refer_through_reference(ref, target, association, owner, by_id))
                continue
            problem = _unresolvable(target, ref.text, owner, kept)
            if problem:
                owner.remove(association)
                found.append(Adjustment(association.get("id") or owner.get("id"), association.sourceline,
                                        f"'{label(owner)}' {verb} {problem}: data association removed"))
                break
    return found


def _refer_through_reference(ref, data_object, association, owner, by_id) -> Adjustment:
    """Point an association at a data object reference instead of the data object itself.

    BPMN lets an association name the data object directly; SpiffWorkflow only follows data object
    references, so one is added next to the data object (or the one added before is reused).
    """
    wanted = f"{data_object.get('id')}__ref"
    if wanted not in by_id:
        reference = etree.Element(bpmn("dataObjectReference"), id=wanted, dataObjectRef=data_object.get("id"))
        if data_object.get("name"):
            reference.set("name", data_object.get("name"))
        data_object.addnext(reference)
        reference.tail = data_object.tail
        by_id[wanted] = reference
    ref.text = wanted
    verb = _DIRECTIONS[local(association)][1]
    return Adjustment(association.get("id") or owner.get("id"), association.sourceline, (
        f"'{label(owner)}' {verb} data object '{label(data_object)}' directly: pointed the association at "
        "a data object reference, the only form SpiffWorkflow follows"))


def _unresolvable(target: etree._Element | None, ref_id: str, owner: etree._Element, kept: set) -> str | None:
    """Why SpiffWorkflow could not resolve the data side of an association, or None if it can."""
    kind = local(target) if target is not None else None
    if kind == "dataStoreReference":
        if target.get("dataStoreRef") in kept:
            return None
        return (f"data store '{label(target)}', which has no implementation in Fuse yet "
                "(reads find nothing, writes are not kept)")
    if kind == "dataObjectReference":
        if _data_object_visible(target.get("dataObjectRef"), owner):
            return None
        nested = len(list(owner.iterancestors(*(bpmn(tag) for tag in SCOPE_TAGS)))) > 1
        return (f"data object '{label(target)}', which is not defined in its own scope or the one just above "
                "it: SpiffWorkflow 3.2 looks no further" + (" (its parser would hang)" if nested else ""))
    if target is None:
        return f"'{ref_id}', which is not an element of the file"
    return (f"{kind or 'element'} '{label(target)}': SpiffWorkflow maps only data objects and data stores "
            "into tasks")


def _data_object_visible(data_object_id: str | None, owner: etree._Element) -> bool:
    """SpiffWorkflow's parser finds a data object in the owner's scope or its parent scope only."""
    enclosing = list(owner.iterancestors(*(bpmn(tag) for tag in SCOPE_TAGS)))[:2]
    return any(obj.get("id") == data_object_id
               for scope in enclosing for obj in scope.findall(bpmn("dataObject")))
