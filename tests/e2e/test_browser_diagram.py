"""The instance page draws the instance's BPMN diagram in a real browser (Debian's Chromium) against a real
`fuse serve`: bpmn-js comes from the package itself, activities are coloured by where they stand and carry
badges counting what happened there, under the page's strict Content-Security-Policy, with nothing fetched
from another host and nothing logged as an error."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from e2e.browser import expect, sign_in
from helpers import user_task_process

DEMO_BPMN = Path(__file__).resolve().parents[1] / "fixtures" / "diagram_demo.bpmn"
SCREENSHOT = "/tmp/fuse-instance-diagram.png"
FAILED_SCREENSHOT = "/tmp/fuse-instance-diagram-failed.png"
LOCAL_SCHEMES = {"data", "blob", "about"}


@pytest.fixture
def watched(page, server):
    """The page; after the test, no console error and no request to another host may have happened."""
    errors: list[str] = []
    elsewhere: list[str] = []
    host = urlsplit(server.base_url).netloc
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("request", lambda request: elsewhere.append(request.url)
            if urlsplit(request.url).scheme not in LOCAL_SCHEMES and urlsplit(request.url).netloc != host else None)
    yield page
    assert not errors, f"console errors: {errors}"
    assert not elsewhere, f"requests to other hosts: {elsewhere}"


def start_demo(server, fail: bool) -> dict:
    assert server.deploy((DEMO_BPMN.name, DEMO_BPMN.read_bytes())).status_code in (200, 201)
    response = server.start_instance("diagram_demo", {"i": 0, "fail": fail})
    assert response.status_code == 201, response.text
    return response.json()


def open_instance_page(page, server, instance_id: str):
    sign_in(page, server, "demo")
    expect(page.locator("#user")).to_have_text("demo")
    return page.goto(server.url(f"/instances/{instance_id}"))


def open_diagram(page, server, instance_id: str):
    response = open_instance_page(page, server, instance_id)
    assert "unsafe-eval" not in response.headers["content-security-policy"]
    expect(page.locator("#diagram svg g.djs-element").first).to_be_attached()
    return page.locator("#diagram")


def shape(diagram, activity_id: str):
    return diagram.locator(f'g.djs-element[data-element-id="{activity_id}"]')


def badges(diagram, activity_id: str):
    return diagram.locator(f'.djs-overlays[data-container-id="{activity_id}"] .fuse-badge')


def marked(state: str):
    return re.compile(rf"(^|\s)fuse-{state}(\s|$)")


def test_a_waiting_instance_shows_its_loop_counts_and_where_it_waits(server, watched):
    instance = start_demo(server, fail=False)
    assert instance["state"] == "active"
    diagram = open_diagram(watched, server, instance["id"])

    for activity_id, passes in (("start", "1"), ("count", "3"), ("again", "3"), ("route", "1")):
        expect(shape(diagram, activity_id)).to_have_class(marked("completed"))
        expect(badges(diagram, activity_id)).to_have_text([passes])
        expect(badges(diagram, activity_id)).to_have_attribute("data-count", "completed")
    expect(shape(diagram, "review")).to_have_class(marked("active"))
    expect(badges(diagram, "review")).to_have_text(["1"])
    expect(badges(diagram, "review")).to_have_attribute("title", "active: 1")
    for activity_id in ("explode", "end"):
        expect(shape(diagram, activity_id)).to_have_class(marked("not-reached"))
        expect(badges(diagram, activity_id)).to_have_count(0)
    expect(diagram.locator(".bjs-powered-by")).to_be_visible()  # bpmn-js's licence asks for its watermark
    watched.screenshot(path=SCREENSHOT, full_page=True)


def test_a_failed_script_task_is_drawn_failed(server, watched):
    instance = start_demo(server, fail=True)
    assert instance["state"] == "failed" and instance["error"]["activity_id"] == "explode"
    diagram = open_diagram(watched, server, instance["id"])

    expect(shape(diagram, "explode")).to_have_class(marked("failed"))
    expect(badges(diagram, "explode")).to_have_text(["1"])
    expect(badges(diagram, "explode")).to_have_attribute("data-count", "failed")
    expect(shape(diagram, "count")).to_have_class(marked("completed"))
    expect(badges(diagram, "count")).to_have_text(["3"])
    expect(shape(diagram, "review")).to_have_class(marked("not-reached"))
    expect(watched.locator("#instance-details")).to_contain_text("failed")
    diagram.screenshot(path=FAILED_SCREENSHOT)


def test_a_file_without_layout_says_so_instead_of_a_diagram(server, watched):
    assert server.deploy(("p.bpmn", user_task_process("no_layout"))).status_code == 201
    instance = server.start_instance("no_layout", {}).json()
    open_instance_page(watched, server, instance["id"])
    expect(watched.locator("#diagram")).to_have_text(re.compile("no diagram layout"))
    expect(watched.locator("#active")).to_contain_text("Approve")
