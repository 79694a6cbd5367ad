"""Sign-in against a real `fuse serve`: failed authentication is rate-limited across requests (a burst of
wrong tokens gets 429 with Retry-After, never a 5xx); in Chromium, a session cookie copied before signing
out no longer works after it; a password plus TOTP code signs in with a second factor."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pyotp
import requests

from e2e.browser import expect, sign_in
from e2e.support import HTTP_TIMEOUT_S

ME = "/api/v1/me"
BURST = 300
CLIENTS = 6
DEFAULT_LIMIT = 20  # FUSE_AUTH_FAILURE_LIMIT's default, per minute
PASSWORD = "correct horse battery"


def test_a_burst_of_wrong_tokens_is_answered_429(server):
    wrong = {"Authorization": "Bearer fuse_guess"}

    def guesses(count: int) -> list[requests.Response]:
        with requests.Session() as connection:  # kept alive, as a guessing script would
            return [connection.get(server.url(ME), headers=wrong, timeout=HTTP_TIMEOUT_S) for _ in range(count)]

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = [a for batch in pool.map(guesses, [BURST // CLIENTS] * CLIENTS) for a in batch]
    statuses = [a.status_code for a in answers]
    assert set(statuses) == {401, 429} and statuses.count(401) <= DEFAULT_LIMIT + CLIENTS  # and those in flight
    limited = next(a for a in answers if a.status_code == 429)
    assert limited.headers["Content-Type"] == "application/problem+json"
    assert limited.json()["type"] == "urn:fuse:problem:too-many-requests" and int(limited.headers["Retry-After"]) > 0
    assert server.get("/healthz", user=None).status_code == 200


def test_a_cookie_copied_before_sign_out_is_dead_after_it(server, page, browser):
    sign_in(page, server, "alice")
    expect(page.locator("#user")).to_have_text("alice")
    copied = page.context.cookies()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))

    thief = browser.new_context()
    try:
        thief.add_cookies(copied)
        stolen = thief.new_page()
        stolen.goto(server.url("/"))
        expect(stolen).to_have_url(re.compile(r"/login\?next=/$"))
        assert thief.request.get(server.url(ME)).status == 401
    finally:
        thief.close()


def test_password_and_code_sign_in_records_a_second_factor(server, page):
    server.cli("user", "passwd", "alice", "--password-stdin", stdin=PASSWORD + "\n")
    uri = re.search(r"otpauth://\S+", server.cli("user", "totp", "alice")).group(0)
    sign_in(page, server, "alice", token=PASSWORD)
    page.get_by_label("Code").fill(pyotp.parse_uri(uri).now())
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#user")).to_have_text("alice")
    me = page.context.request.get(server.url(ME)).json()
    assert me["amr"] == ["pwd", "otp"] and me["second_factor"] is True
