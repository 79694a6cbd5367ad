"""Step-up on a user task in Chromium against a real `fuse serve`: a finance user who signed in with a
password alone opens a refund over 1,000 (asked for by someone else), types a comment and a decision and
submits; the server asks for a fresh sign-in with a second factor, the page keeps what was typed and goes to
"Confirm it's you" (password, then TOTP code), comes back to the form with the values, and completing works.
The requester cannot approve their own large refund."""
from __future__ import annotations

import re

import pyotp

from e2e.browser import expect, sign_in
from e2e.support import assert_problem
from helpers import REFUND_BPMN, REFUND_POLICY

REFUND_FORM = REFUND_BPMN.with_suffix(".form")
KEY = "refund_approval"
PASSWORD = "correct horse battery"
COMMENT = "Checked the invoice twice."


def deploy_sample(server) -> None:
    response = server.deploy(*[(p.name, p.read_bytes()) for p in (REFUND_BPMN, REFUND_FORM, REFUND_POLICY)])
    assert response.status_code == 201, response.text


def start_refund(server, user: str, amount: int = 1500) -> dict:
    response = server.start_instance(KEY, {"amount": amount, "reason": "never delivered", "customer": "ACME"}, user)
    assert response.status_code == 201, response.text
    instance = response.json()
    assert instance["variables"]["requester"] == user
    return instance


def test_a_large_refund_asks_the_approver_to_confirm_with_a_second_factor_and_keeps_the_form(server, page):
    deploy_sample(server)
    instance = start_refund(server, "bob")
    task_id = instance["open_tasks"][0]["id"]
    server.cli("user", "passwd", "alice", "--password-stdin", stdin=PASSWORD + "\n")
    sign_in(page, server, "alice", token=PASSWORD)  # a password alone: alice has no second factor yet
    expect(page.locator("#user")).to_have_text("alice")
    totp = pyotp.parse_uri(re.search(r"otpauth://\S+", server.cli("user", "totp", "alice")).group(0))
    assert page.context.request.get(server.url("/api/v1/me")).json()["amr"] == ["pwd"]

    page.goto(server.url(f"/tasks/{task_id}"))
    expect(page.locator("#step-up-note")).to_contain_text("refund-approval.policy.json")
    decision = page.locator('.field[data-key="approved"]')
    decision.get_by_label("Approve").check()
    page.get_by_label("Comment").fill(COMMENT)
    page.get_by_role("button", name="Complete task").click()

    expect(page).to_have_url(re.compile(r"/login\?next=%2Ftasks%2F" + task_id + r"&max_age=600&second_factor=1$"))
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    expect(page.get_by_label("User name")).to_have_value("alice")
    expect(page.get_by_label("User name")).to_have_attribute("readonly", "")
    assert server.get(f"/api/v1/process-instances/{instance['id']}").json()["state"] == "active"
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Confirm it's you: code")).to_be_visible()
    page.get_by_label("Code").fill(totp.now())
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(server.url(f"/tasks/{task_id}"))
    expect(page.locator("#flash")).to_contain_text("You signed in again because this task asked for it")
    expect(page.get_by_label("Comment")).to_have_value(COMMENT)
    expect(decision.get_by_label("Approve")).to_be_checked()
    me = page.context.request.get(server.url("/api/v1/me")).json()
    assert me["amr"] == ["pwd", "otp"] and me["second_factor"] is True
    page.get_by_role("button", name="Complete task").click()
    expect(page).to_have_url(server.url("/"))
    expect(page.locator("#flash")).to_contain_text("Completed “Approve refund”. The process has finished.")
    assert page.evaluate(f"sessionStorage.getItem('fuse-typed:{task_id}')") is None

    done = server.get(f"/api/v1/process-instances/{instance['id']}").json()
    assert done["state"] == "completed" and done["variables"]["paid"] is True
    assert done["variables"]["comment"] == COMMENT and done["variables"]["approved"] is True
    history = server.history(instance["id"])
    [refusal] = [e for e in history if e["type"] == "step_up_required"]
    assert refusal["actor"] == "alice" and {"requirement": "second_factor"} in refusal["data"]["missing"]
    assert [e["data"]["decision"] for e in history if e["type"] == "policy_evaluated"] == ["step_up", "allow"]
    assert [e["actor"] for e in history if e["type"] == "task_completed"] == ["alice"]


def test_the_requester_cannot_approve_their_own_large_refund(server):
    deploy_sample(server)
    instance = start_refund(server, "demo")  # demo is in finance too
    task_id = instance["open_tasks"][0]["id"]
    refused = server.post(f"/api/v1/tasks/{task_id}/complete", "demo", json={"variables": {"approved": True}})
    body = assert_problem(refused, 403, "urn:fuse:problem:forbidden")
    assert body["reasons"] == ["a refund over 1,000 is approved by someone other than its requester"]
    assert server.get(f"/api/v1/process-instances/{instance['id']}").json()["state"] == "active"
    small = start_refund(server, "demo", amount=500)  # up to 1,000 the requester may approve
    done = server.post(f"/api/v1/tasks/{small['open_tasks'][0]['id']}/complete", "demo",
                       json={"variables": {"approved": True}})
    assert done.status_code == 200 and done.json()["state"] == "completed"
