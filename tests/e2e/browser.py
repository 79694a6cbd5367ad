"""A real browser for the page tests: Debian's headless Chromium driven by Playwright (never a browser
Playwright downloads). The `browser` and `page` fixtures are registered in tests/e2e/conftest.py."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 15_000


def _unavailable(reason: str) -> None:
    """Skip, or fail when the run says a browser is required (FUSE_REQUIRE_BROWSER=1)."""
    if os.environ.get("FUSE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"FUSE_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        _unavailable("Debian's chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies) and page; a script error on the page fails the test."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    yield page
    context.close()
    assert not script_errors, f"script errors on the page: {script_errors}"


def expect(target):
    from playwright.sync_api import expect as playwright_expect
    return playwright_expect(target)


def sign_in(page, server, user: str, token: str | None = None) -> None:
    page.goto(server.url("/"))
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    page.get_by_label("User name").fill(user)
    page.get_by_label("API token").fill(server.tokens[user] if token is None else token)
    page.get_by_role("button", name="Sign in").click()
