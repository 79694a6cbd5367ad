"""The web task list in a real browser (Debian's headless Chromium, driven by Playwright) against
a real `fuse serve`: sign in, claim, fill the form, see the server's field error, correct it, submit,
and see the process move on; plus refused sign-ins, CSRF refusals and what another group sees."""
from __future__ import annotations

import re

from e2e.browser import expect, sign_in
from helpers import REFUND_BPMN, REFUND_POLICY

SCREENSHOT = "/tmp/fuse-task-form.png"
REFUND_FORM = REFUND_BPMN.with_suffix(".form")
KEY = "refund_approval"


def deploy_refund_sample(server) -> None:
    files = [(path.name, path.read_bytes()) for path in (REFUND_BPMN, REFUND_FORM, REFUND_POLICY) if path.exists()]
    response = server.deploy(*files)
    assert response.status_code == 201, response.text


def start_large_refund(server) -> dict:
    """A refund above 100: it waits at finance_approval for the finance group."""
    response = server.start_instance(KEY, {"amount": 250, "reason": "parcel arrived broken", "customer": "ACME"})
    assert response.status_code == 201, response.text
    instance = response.json()
    assert [t["activity_id"] for t in instance["open_tasks"]] == ["finance_approval"], instance
    return instance


def test_finance_claims_and_completes_a_large_refund_in_the_browser(server, page):
    deploy_refund_sample(server)
    instance = start_large_refund(server)
    task_id = instance["open_tasks"][0]["id"]

    sign_in(page, server, "alice")
    expect(page.get_by_role("heading", name="Tasks", exact=True)).to_be_visible()
    expect(page.locator("#user")).to_have_text("alice")
    page.locator("#open").get_by_role("button", name="Claim Approve refund").click()
    expect(page.locator("#flash")).to_contain_text("You claimed “Approve refund”")
    assert server.get(f"/api/v1/tasks/{task_id}", "alice").json()["assignee"] == "alice"

    page.locator("#mine").get_by_role("link", name="Approve refund").click()
    expect(page).to_have_url(server.url(f"/tasks/{task_id}"))
    expect(page.get_by_role("heading", name="Approve refund")).to_be_visible()
    decision = page.locator('.field[data-key="approved"]')
    expect(decision).to_contain_text("Decision")
    page.get_by_label("Comment").fill("Photos of the broken parcel attached.")
    page.get_by_role("button", name="Complete task").click()  # no decision yet: the server refuses

    error = decision.locator(".field-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(re.compile("required", re.I))
    expect(decision.get_by_label("Approve")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#task-form .error-summary")).to_contain_text("Decision")
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert server.get(f"/api/v1/process-instances/{instance['id']}").json()["state"] == "active"

    decision.get_by_label("Approve").check()
    page.get_by_role("button", name="Complete task").click()
    expect(page).to_have_url(server.url("/"))
    expect(page.locator("#flash")).to_contain_text("Completed “Approve refund”. The process has finished.")
    expect(page.locator("#mine")).to_contain_text("Nothing assigned to you")

    done = server.get(f"/api/v1/process-instances/{instance['id']}").json()
    assert done["state"] == "completed", done
    assert done["variables"]["approved"] is True and done["variables"]["paid"] is True
    assert done["variables"]["comment"] == "Photos of the broken parcel attached."
    completed = [e for e in server.history(instance["id"]) if e["type"] == "task_completed"]
    assert [e["actor"] for e in completed] == ["alice"]

    page.get_by_role("link", name="See the process instance.").click()
    expect(page.locator("#instance-details")).to_contain_text("completed")
    expect(page.locator("#history")).to_contain_text("Pay refund")
    expect(page.locator("#history")).to_contain_text("task_completed")


def test_a_wrong_token_is_refused_at_sign_in(server, page):
    sign_in(page, server, "alice", token="fuse_not-a-real-token")
    expect(page.get_by_role("alert")).to_have_text("That user name and password (or API token) do not match.")
    expect(page).to_have_url(server.url("/login"))
    expect(page.get_by_label("User name")).to_have_value("alice")

    sign_in(page, server, "alice", token=server.tokens["bob"])  # a real token, of another user
    expect(page.get_by_role("alert")).to_have_text("That user name and password (or API token) do not match.")

    # The sign-in form carries a CSRF token too: a post from elsewhere cannot sign the browser in.
    forged = page.request.post(server.url("/login"), form={"name": "alice", "token": server.tokens["alice"]})
    assert forged.status == 403 and "expired" in forged.text()
    page.goto(server.url("/start"))
    expect(page).to_have_url(re.compile(r"/login\?next=/start$"))


def test_calls_from_a_signed_in_page_need_the_csrf_token(server, page):
    deploy_refund_sample(server)
    task_id = start_large_refund(server)["open_tasks"][0]["id"]
    sign_in(page, server, "alice")
    expect(page.locator("#user")).to_have_text("alice")

    claim = """async ([taskId, withToken]) => {
        const token = document.querySelector('meta[name="csrf-token"]').content;
        const response = await fetch(`/api/v1/tasks/${taskId}/claim`,
            {method: "POST", headers: withToken ? {"X-CSRF-Token": token} : {}});
        return [response.status, await response.json()];
    }"""
    status, body = page.evaluate(claim, [task_id, False])
    assert status == 403 and "CSRF" in body["detail"], body
    assert server.get(f"/api/v1/tasks/{task_id}", "alice").json()["assignee"] is None

    refused = page.request.post(server.url("/logout"), form={"next": "/"})  # a page POST without csrf_token
    assert refused.status == 403 and "CSRF" in refused.json()["detail"], refused.text()
    status, body = page.evaluate(claim, [task_id, True])  # still signed in; with the token it works
    assert status == 200 and body["assignee"] == "alice", body

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(server.url("/login"))
    status, _ = page.evaluate(claim, [task_id, False])
    assert status == 401


def test_sales_does_not_see_the_finance_task(server, page):
    deploy_refund_sample(server)
    task_id = start_large_refund(server)["open_tasks"][0]["id"]
    sign_in(page, server, "bob")
    expect(page.locator("#open")).to_contain_text("No open tasks for you or your groups.")
    expect(page.locator("#mine")).to_contain_text("Nothing assigned to you")

    page.goto(server.url(f"/tasks/{task_id}"))  # bob may not read the refund: for him the task does not exist
    expect(page.locator("#page-error")).to_contain_text(f"task {task_id} does not exist")
    expect(page.locator("#task-form-section")).to_be_hidden()


def test_a_process_is_started_from_the_start_page(server, page):
    deploy_refund_sample(server)
    sign_in(page, server, "demo")
    page.get_by_role("link", name="Start a process").first.click()
    card = page.get_by_role("region", name="Refund Approval")
    card.get_by_role("button", name="Start…").click()
    card.get_by_label("Business key (optional)").fill("R-7")
    variables = card.get_by_label("Variables (JSON object)")
    variables.fill('{"amount": 40')
    card.get_by_role("button", name="Start Refund Approval").click()
    expect(card.locator(".field-error")).to_have_text("This is not valid JSON.")
    expect(variables).to_have_attribute("aria-invalid", "true")

    variables.fill('{"amount": 40, "reason": "damaged"}')
    card.get_by_role("button", name="Start Refund Approval").click()
    expect(page).to_have_url(re.compile(r"/instances/[0-9a-f-]+$"))
    expect(page.locator("#flash")).to_contain_text("Started “Refund Approval”: completed")
    expect(page.locator("#instance-details")).to_contain_text("R-7")
    expect(page.locator("#variables")).to_contain_text("RF-4000")
    expect(page.locator("#history")).to_contain_text("Approve automatically")
