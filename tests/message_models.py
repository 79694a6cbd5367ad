"""Models that wait for, start at or are cancelled by messages and signals (the message tests' and the Camunda 7
clients')."""
from __future__ import annotations

from helpers import bpmn_document, flow

DEFS = ('<bpmn:message id="m_paid" name="payment-received"><bpmn:extensionElements>'
        '<zeebe:subscription correlationKey="=orderId"/></bpmn:extensionElements></bpmn:message>'
        '<bpmn:message id="m_order" name="order-placed"/><bpmn:message id="m_cancel" name="cancel"/>'
        '<bpmn:signal id="s_maint" name="maintenance"/>')


def with_defs(document: bytes) -> bytes:
    return document.replace(b"</bpmn:definitions>", DEFS.encode() + b"</bpmn:definitions>")


WAIT_FOR_PAYMENT = with_defs(bpmn_document(
    '<bpmn:startEvent id="start"/><bpmn:receiveTask id="wait_payment" messageRef="m_paid"/>'
    '<bpmn:endEvent id="end"/>' + flow("f1", "start", "wait_payment") + flow("f2", "wait_payment", "end"), "pay"))
ORDER_START = with_defs(bpmn_document(
    '<bpmn:startEvent id="placed"><bpmn:messageEventDefinition messageRef="m_order"/></bpmn:startEvent>'
    '<bpmn:userTask id="pack"/><bpmn:endEvent id="end"/>' + flow("f1", "placed", "pack") + flow("f2", "pack", "end"),
    "order"))
SIGNALLED = with_defs(bpmn_document(
    '<bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="wait_maint">'
    '<bpmn:signalEventDefinition signalRef="s_maint"/></bpmn:intermediateCatchEvent><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "wait_maint") + flow("f2", "wait_maint", "end"), "maint"))
CANCELLABLE = with_defs(bpmn_document(
    '<bpmn:startEvent id="start"/><bpmn:userTask id="work"/><bpmn:endEvent id="end"/>'
    '<bpmn:boundaryEvent id="cancelled" attachedToRef="work"><bpmn:messageEventDefinition messageRef="m_cancel"/>'
    '</bpmn:boundaryEvent><bpmn:endEvent id="end_cancelled"/>'
    + flow("f1", "start", "work") + flow("f2", "work", "end") + flow("f3", "cancelled", "end_cancelled"), "cancellable"))
