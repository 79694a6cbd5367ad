"""Reading XML safely: no DTDs, no entity expansion, no network, limits on bytes and elements."""
from __future__ import annotations

from itertools import islice

from lxml import etree

from bpmn.errors import ModelTooLarge, XmlError
from bpmn.limits import max_model_bytes, max_model_elements


def _parser() -> etree.XMLParser:
    # A parser per call: lxml parsers are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, remove_blank_text=False,
    )


def read_xml(data: bytes, file: str) -> etree._Element:
    """Parse `data` into an element tree, or raise XmlError naming the file, line and column.

    Any DOCTYPE is refused outright: BPMN never needs one, and it is where entity-expansion
    and external-entity attacks live. The declared encoding is honoured (not only UTF-8).
    """
    if len(data) > (limit := max_model_bytes()):
        raise ModelTooLarge(f"{file} is {len(data):,} bytes; the limit is {limit:,} (FUSE_MAX_MODEL_BYTES)",
                            file=file, setting="FUSE_MAX_MODEL_BYTES", limit=limit)
    if not data.strip():
        raise XmlError(f"{file} is empty", file=file, line=1, column=1)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as err:
        line, column = err.position if err.position else (err.lineno, None)
        raise XmlError(f"{file}: {err.msg}", file=file, line=line, column=column) from None
    if root.getroottree().docinfo.doctype:
        line, column = _position(data, b"<!DOCTYPE")
        raise XmlError(f"{file}: DOCTYPE declarations are not allowed", file=file, line=line, column=column)
    _check_element_count(root, file)
    return root


def _check_element_count(root: etree._Element, file: str) -> None:
    """Bytes alone do not bound the work: short elements make many tasks per kilobyte."""
    limit = max_model_elements()
    if sum(1 for _ in islice(root.iter(), limit + 1)) > limit:
        raise ModelTooLarge(f"{file} has more than {limit:,} XML elements, the limit (FUSE_MAX_MODEL_ELEMENTS)",
                            file=file, setting="FUSE_MAX_MODEL_ELEMENTS", limit=limit)


def _position(data: bytes, needle: bytes) -> tuple[int, int]:
    """1-based line and column of the first `needle` in `data` (1, 1 if absent)."""
    offset = data.find(needle)
    if offset < 0:
        return 1, 1
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1
