"""Single sign-on in Chromium against a real `fuse serve` and a real OpenID Connect provider (tests/oidc_provider.py
over HTTP): the task list after signing in at the provider, the provider's access token on the API, and signing
out of both, after which the provider asks for the password again."""
from __future__ import annotations

import re

import pytest
import requests

from e2e.browser import expect
from e2e.support import HTTP_TIMEOUT_S, FuseServer, assert_problem
from oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider, Person

ME = "/api/v1/me"
PEOPLE = {"ann": Person("sub-ann", "ann-password", ["idp-admins", "finance"])}


@pytest.fixture
def idp():
    with OidcProvider({name: Person(**vars(p)) for name, p in PEOPLE.items()}) as provider:
        yield provider


@pytest.fixture
def sso_server(database_url, tmp_path, idp):
    """`fuse serve` with single sign-on at the provider (and only there: no password form)."""
    workdir = tmp_path / "server"
    workdir.mkdir()
    fuse = FuseServer(database_url, workdir)
    fuse.env.update(FUSE_OIDC_ISSUER=idp.issuer, FUSE_OIDC_CLIENT_ID=CLIENT_ID,
                    FUSE_OIDC_CLIENT_SECRET=CLIENT_SECRET, FUSE_OIDC_GROUP_MAP="idp-admins=admin",
                    FUSE_OIDC_AUDIENCE="fuse-api")
    try:
        fuse.start()
        idp.register_client(fuse.base_url)  # after start: a retry on a taken port changes it
        yield fuse
    finally:
        fuse.stop(kill=True)


def _sign_in_at_provider(page, person: str) -> None:
    expect(page.get_by_role("heading", name="Test provider")).to_be_visible()
    page.get_by_label("Username").fill(person)
    page.get_by_label("Password").fill(PEOPLE[person].password)
    page.get_by_role("button", name="Log in at the provider").click()


def test_sign_in_at_the_provider_then_sign_out_of_both(sso_server, idp, page):
    page.goto(sso_server.url("/"))
    expect(page).to_have_url(re.compile("^" + re.escape(idp.issuer) + "/authorize\\?"))
    _sign_in_at_provider(page, "ann")

    expect(page).to_have_url(sso_server.url("/"))
    expect(page.locator("#user")).to_have_text("ann")
    expect(page.locator("#user")).to_have_attribute("data-groups", "admin,finance")
    me = page.context.request.get(sso_server.url(ME)).json()
    assert me["user"] == "ann" and me["amr"] == ["pwd"] and me["auth_time"]

    page.get_by_role("button", name="Sign out").click()
    # Fuse's signed-out page, the provider's end_session_endpoint, back to /login, and so to the provider,
    # which now asks for the password: its own session ended too.
    expect(page.get_by_role("heading", name="Test provider")).to_be_visible()
    expect(page).to_have_url(re.compile("^" + re.escape(idp.issuer) + "/authorize\\?"))
    assert idp.sign_outs == 1
    assert page.context.request.get(sso_server.url(ME)).status == 401


def test_the_providers_access_token_on_the_api(sso_server, idp):
    token = idp.mint({"sub": "sub-ann", "preferred_username": "ann", "aud": "fuse-api", "groups": ["idp-admins"]})
    answer = requests.get(sso_server.url("/api/v1/incidents"), headers={"Authorization": f"Bearer {token}"},
                          timeout=HTTP_TIMEOUT_S)
    assert answer.status_code == 200, answer.text
    wrong = idp.mint({"sub": "sub-ann", "preferred_username": "ann", "aud": "another-api"})
    assert_problem(requests.get(sso_server.url(ME), headers={"Authorization": f"Bearer {wrong}"},
                                timeout=HTTP_TIMEOUT_S), 401, "urn:fuse:problem:unauthorized")
