"""Single sign-on against a real OpenID Connect provider (tests/oidc_provider.py, Authlib's server parts over
HTTP): Fuse's pages through the test client, the provider through requests, so each redirect is followed by
hand and every answer can be looked at. The browser version is tests/e2e/test_e2e_oidc.py."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from joserfc.jwk import RSAKey

from api.app import create_app
from api.extensions import db
from api.jwt_bearer import REFRESH_INTERVAL_S
from api.oidc_settings import oidc_settings
from engine.identity.person import person_context
from engine.identity.users import add_user, user_named
from engine.identity.web_sessions import actor_for_web_session
from oidc_provider import CLIENT_ID, CLIENT_SECRET, KID, OidcProvider, Person

FUSE = "http://localhost"  # the test client's address: the redirect_uri Fuse sends
ME = "/api/v1/me"
ADMIN_ONLY = "/api/v1/incidents"
AUDIENCE = "fuse-api"
PEOPLE = {
    "ann": Person("sub-ann", "ann-password", ["idp-admins", "finance"]),
    "ben": Person("sub-ben", "ben-password", ["sales"]),
    "mfa": Person("sub-mfa", "mfa-password", ["finance"], amr=["pwd", "otp"], acr="mfa"),
}


@pytest.fixture
def idp():
    with OidcProvider({name: Person(**vars(p)) for name, p in PEOPLE.items()}) as provider:
        provider.register_client(FUSE)
        yield provider


def _settings(idp: OidcProvider, **more: str) -> dict:
    return {"FUSE_OIDC_ISSUER": idp.issuer, "FUSE_OIDC_CLIENT_ID": CLIENT_ID,
            "FUSE_OIDC_CLIENT_SECRET": CLIENT_SECRET, "FUSE_OIDC_GROUP_MAP": "idp-admins=admin",
            "FUSE_OIDC_AUDIENCE": AUDIENCE, "FUSE_OIDC_MFA_ACR": "mfa", **more}


@pytest.fixture
def make_app(database_url, idp, monkeypatch):
    """An app with single sign-on configured through the environment, as an operator would."""
    made = []

    def make(**more: str):
        for name, value in _settings(idp, **more).items():
            monkeypatch.setenv(name, value)
        app = create_app({"DATABASE_URL": database_url, "TESTING": True})
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


class Browser:
    """Fuse through its test client, the provider over HTTP with a cookie jar of its own."""

    def __init__(self, fuse, idp: OidcProvider):
        self.fuse, self.idp = fuse, idp
        self.at_idp = requests.Session()

    def to_provider(self, path: str) -> str:
        """GET `path` on Fuse and follow its redirects to the provider; returns the provider's URL."""
        response = self.fuse.get(path)
        while response.status_code == 302 and not response.location.startswith(self.idp.issuer):
            response = self.fuse.get(response.location)
        assert response.status_code == 302, response.get_data(as_text=True)
        return response.location

    def provider_answer(self, url: str, person: str | None) -> str:
        """The provider's redirect back to Fuse (signing in on its form as `person` when it shows one)."""
        answer = self.at_idp.get(url, allow_redirects=False)
        if answer.status_code == 200:
            assert person is not None, "the provider asked for a sign-in"
            answer = self.at_idp.post(url, data={"username": person, "password": PEOPLE[person].password},
                                      allow_redirects=False)
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"]

    def back_at_fuse(self, callback: str):
        assert callback.startswith(FUSE + "/oidc/callback?"), callback
        return self.fuse.get(callback[len(FUSE):])

    def sign_in(self, person: str | None, path: str = "/login?next=/start"):
        return self.back_at_fuse(self.provider_answer(self.to_provider(path), person))


def _query(url: str) -> dict:
    return dict(parse_qsl(urlsplit(url).query))


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(**more) -> dict:
    return {"sub": "sub-ann", "preferred_username": "ann", "aud": AUDIENCE, "groups": ["idp-admins"], **more}


# --- the pages ---------------------------------------------------------------------------------------------


def test_sign_in_provisions_the_user_with_mapped_groups_and_records_how(make_app, idp):
    app = make_app()
    browser = Browser(app.test_client(), idp)
    first = browser.to_provider("/tasks/abc")
    asked = _query(first)
    assert asked["code_challenge_method"] == "S256" and asked["code_challenge"] and asked["nonce"]
    assert asked["state"] and "openid" in asked["scope"].split() and "max_age" not in asked
    done = browser.back_at_fuse(browser.provider_answer(first, "ann"))
    assert done.status_code == 302 and done.location == "/tasks/abc"
    me = browser.fuse.get(ME).get_json()
    assert me["user"] == "ann" and me["groups"] == ["admin", "finance"] and me["amr"] == ["pwd"]
    assert me["acr"] is None and me["second_factor"] is False and me["auth_time"]
    assert browser.fuse.get(ADMIN_ONLY).status_code == 200  # "idp-admins" became Fuse's admin
    with app.app_context():
        assert user_named(db.session, "ann").oidc_subject == f"{idp.issuer} sub-ann"


def test_groups_follow_the_provider_at_every_sign_in(make_app, idp):
    app = make_app()
    Browser(app.test_client(), idp).sign_in("ann")
    idp.people["ann"].groups = ["sales"]
    again = Browser(app.test_client(), idp)
    again.sign_in("ann")
    assert again.fuse.get(ME).get_json()["groups"] == ["sales"]
    assert again.fuse.get(ADMIN_ONLY).status_code == 403


def test_a_tampered_state_is_refused(make_app, idp):
    browser = Browser(make_app().test_client(), idp)
    callback = browser.provider_answer(browser.to_provider("/login"), "ann")
    tampered = callback.replace("state=", "state=x")
    answer = browser.back_at_fuse(tampered)
    assert answer.status_code == 400 and "Sign-in failed" in answer.get_data(as_text=True)
    assert browser.fuse.get(ME).status_code == 401


def test_a_callback_from_another_browser_is_refused(make_app, idp):
    """Login CSRF: a code and state made for the attacker's browser, delivered to the victim's."""
    app = make_app()
    attacker, victim = Browser(app.test_client(), idp), Browser(app.test_client(), idp)
    callback = attacker.provider_answer(attacker.to_provider("/login"), "ben")
    assert victim.back_at_fuse(callback).status_code == 400
    assert victim.fuse.get(ME).status_code == 401


def test_a_tampered_nonce_is_refused(make_app, idp):
    browser = Browser(make_app().test_client(), idp)
    idp.tamper_nonce = "not-the-nonce-fuse-sent"
    answer = browser.sign_in("ann")
    assert answer.status_code == 400 and "nonce" in answer.get_data(as_text=True)
    assert browser.fuse.get(ME).status_code == 401


def test_the_provider_saying_no_is_a_page_not_a_sign_in(make_app, idp):
    browser = Browser(make_app().test_client(), idp)
    state = _query(browser.to_provider("/login"))["state"]
    answer = browser.back_at_fuse(f"{FUSE}/oidc/callback?error=access_denied&state={state}")
    assert answer.status_code == 400 and "access_denied" in answer.get_data(as_text=True)


def test_reauthentication_asks_the_provider_and_renews_auth_time(make_app, idp):
    app = make_app()
    browser = Browser(app.test_client(), idp)
    browser.sign_in("ann")
    first = browser.fuse.get(ME).get_json()["auth_time"]
    time.sleep(1.1)
    url = browser.to_provider("/login?next=/tasks/t1&max_age=60")
    asked = _query(url)
    assert asked["max_age"] == "60" and asked["prompt"] == "login"
    answer = browser.back_at_fuse(browser.provider_answer(url, "ann"))  # the provider shows its form again
    assert answer.status_code == 302 and answer.location == "/tasks/t1"
    assert browser.fuse.get(ME).get_json()["auth_time"] > first


def test_an_old_sign_in_does_not_pass_for_a_recent_one(make_app, idp):
    """A provider that ignores max_age and reports a sign-in an hour old: Fuse says so, signs nobody in anew."""
    app = make_app()
    idp.honour_max_age, idp.backdate_s = False, 3600
    browser = Browser(app.test_client(), idp)
    browser.sign_in("ann")
    before = browser.fuse.get(ME).get_json()
    answer = browser.sign_in(None, "/login?next=/tasks/t1&max_age=300")  # the provider's session answers
    page = answer.get_data(as_text=True)
    assert answer.status_code == 403 and "older than the 300 seconds" in page
    assert browser.fuse.get(ME).get_json() == before  # the session it had, unchanged


def test_a_second_factor_is_asked_for_and_checked(make_app, idp):
    app = make_app()
    plain = Browser(app.test_client(), idp)
    answer = plain.sign_in("ann", "/login?next=/tasks/t1&second_factor=1")
    assert idp.authorize_requests[-1]["acr_values"] == "mfa"
    assert answer.status_code == 403 and "second factor" in answer.get_data(as_text=True)
    assert plain.fuse.get(ME).status_code == 401

    strong = Browser(app.test_client(), idp)
    assert strong.sign_in("mfa", "/login?next=/tasks/t1&second_factor=1").location == "/tasks/t1"
    me = strong.fuse.get(ME).get_json()
    assert me["amr"] == ["pwd", "otp"] and me["acr"] == "mfa" and me["second_factor"] is True
    with app.app_context():
        assert db.session.execute(db.text("SELECT acr FROM web_sessions")).scalars().all() == ["mfa"]


def test_person_context_shows_the_providers_acr(make_app, idp):
    app = make_app()
    browser = Browser(app.test_client(), idp)
    browser.sign_in("mfa")
    with browser.fuse.session_transaction() as cookie:
        sid = cookie["sid"]
    with app.app_context():
        person = person_context(actor_for_web_session(db.session, sid))
    assert person["user"] == "mfa" and person["acr"] == "mfa" and person["second_factor"] is True
    assert person["amr"] == ["pwd", "otp"] and person["auth_age_minutes"] < 1


def test_password_sign_in_is_off_unless_allowed(make_app, idp):
    only_sso = make_app().test_client()
    assert only_sso.get("/login").location.startswith("/oidc/login")
    refused = only_sso.post("/login", data={"name": "ann", "password": "x" * 10})
    assert refused.status_code == 403 and "single sign-on" in refused.get_data(as_text=True)

    both = make_app(FUSE_OIDC_PASSWORD_SIGN_IN="1").test_client()
    page = both.get("/login?next=/start&max_age=60")
    assert page.status_code == 200 and 'id="sso-sign-in"' in page.get_data(as_text=True)
    assert "/oidc/login?next=/start&amp;max_age=60" in page.get_data(as_text=True)


def test_sign_out_ends_the_session_and_goes_through_the_provider(make_app, idp):
    browser = Browser(make_app().test_client(), idp)
    browser.sign_in("ann")
    with browser.fuse.session_transaction() as cookie:
        csrf = cookie["csrf"]
    out = browser.fuse.post("/logout", data={"csrf_token": csrf})
    assert out.status_code == 302 and out.location == "/oidc/signed-out"
    page = browser.fuse.get(out.location).get_data(as_text=True)
    assert browser.fuse.get(ME).status_code == 401
    target = re.search(r'<a href="([^"]+)" id="continue"', page).group(1).replace("&amp;", "&")
    assert f'content="0; url={target}' in page.replace("&amp;", "&")  # the page moves on by itself
    assert target.startswith(idp.issuer + "/logout?") and "id_token_hint=" in target
    back = browser.at_idp.get(target, allow_redirects=False)
    assert back.status_code == 302 and back.headers["Location"].startswith(f"{FUSE}/login?state=")
    assert idp.sign_outs == 1


def test_a_name_taken_by_another_identity_is_refused(make_app, idp):
    app = make_app()
    Browser(app.test_client(), idp).sign_in("ann")
    idp.people["ben"].preferred_username = "ann"  # ben renames himself "ann" at the provider
    answer = Browser(app.test_client(), idp).sign_in("ben")
    assert answer.status_code == 403 and "another identity" in answer.get_data(as_text=True)


def test_a_user_made_by_the_cli_is_taken_over_at_the_first_sign_in(make_app, idp):
    app = make_app()
    with app.app_context():
        add_user(db.session, "ben", ["finance"])
        db.session.commit()
    browser = Browser(app.test_client(), idp)
    browser.sign_in("ben")
    assert browser.fuse.get(ME).get_json()["groups"] == ["sales"]


def test_without_settings_nothing_changes(app, client):
    assert client.get("/oidc/login").status_code == 404
    assert client.get("/login").status_code == 200
    # A JWT-looking bearer is just a wrong API token.
    answer = client.get(ME, headers=bearer("a.b.c"))
    assert answer.status_code == 401 and answer.get_json()["type"] == "urn:fuse:problem:unauthorized"


# --- the API: the provider's access tokens -----------------------------------------------------------------


def test_a_valid_access_token_acts_as_its_user_with_mapped_groups(make_app, idp):
    client = make_app().test_client()
    token = idp.mint(_claims(groups=["idp-admins", "finance"], auth_time=int(time.time()) - 120, amr=["pwd", "hwk"]))
    assert client.get(ADMIN_ONLY, headers=bearer(token)).status_code == 200
    me = client.get(ME, headers=bearer(token)).get_json()
    assert me["user"] == "ann" and me["groups"] == ["admin", "finance"]
    assert me["amr"] == ["pwd", "hwk"] and me["second_factor"] is True
    plain = idp.mint(_claims(sub="sub-ben", preferred_username="ben", groups=["sales"]))
    assert client.get(ADMIN_ONLY, headers=bearer(plain)).status_code == 403
    assert client.get(ME, headers=bearer(plain)).get_json()["amr"] == ["token"]


def _assert_401(client, token: str) -> dict:
    answer = client.get(ME, headers=bearer(token))
    assert answer.status_code == 401, answer.get_data(as_text=True)
    assert answer.content_type == "application/problem+json"
    body = answer.get_json()
    assert body["type"] == "urn:fuse:problem:unauthorized"
    return body


def test_bad_access_tokens_are_401(make_app, idp):
    client = make_app().test_client()
    now = int(time.time())
    other_key = RSAKey.generate_key(2048, parameters={"kid": KID}, private=True)
    assert "exp" in _assert_401(client, idp.mint(_claims(exp=now - 120)))["detail"]
    assert "aud" in _assert_401(client, idp.mint(_claims(aud="another-api")))["detail"]
    assert "iss" in _assert_401(client, idp.mint(_claims(iss="http://127.0.0.1:1/evil")))["detail"]
    _assert_401(client, idp.mint(_claims(), key=other_key))  # same kid, wrong key
    _assert_401(client, idp.mint({k: v for k, v in _claims().items() if k != "preferred_username"}))
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(iss=idp.issuer, exp=now + 60))}."
    _assert_401(client, unsigned)
    # HS256 "signed" with the provider's public key as the HMAC secret (the classic key confusion).
    signing_input = f"{_b64({'alg': 'HS256', 'kid': KID})}.{_b64(_claims(iss=idp.issuer, exp=now + 60))}"
    for secret in (idp.key.as_pem(private=False), json.dumps(idp.key.as_dict(private=False)).encode()):
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        _assert_401(client, f"{signing_input}.{_b64(mac)}")
    _assert_401(client, "eyJ.not-base64.at-all")
    assert client.get(ME, headers=bearer(idp.mint(_claims()))).status_code == 200  # the good one still is


def test_an_unknown_key_id_refetches_the_keys_at_most_once_a_minute(make_app, idp):
    app = make_app()
    client = app.test_client()
    assert client.get(ME, headers=bearer(idp.mint(_claims()))).status_code == 200
    fetched = idp.jwks_fetches
    stranger = RSAKey.generate_key(2048, parameters={"kid": "rotated"}, private=True)
    _assert_401(client, idp.mint(_claims(), key=stranger, header={"alg": "RS256", "kid": "rotated"}))
    assert idp.jwks_fetches == fetched  # fetched less than a minute ago: not again
    app.extensions["fuse_oidc"].keys.fetched_at -= REFRESH_INTERVAL_S  # a minute later
    for _ in range(5):
        _assert_401(client, idp.mint(_claims(), key=stranger, header={"alg": "RS256", "kid": "rotated"}))
    assert idp.jwks_fetches == fetched + 1


def test_bad_access_tokens_count_toward_the_failed_sign_in_limit(make_app, idp, monkeypatch):
    monkeypatch.setenv("FUSE_AUTH_FAILURE_LIMIT", "3 per minute")
    client = make_app().test_client()
    expired = idp.mint(_claims(exp=int(time.time()) - 600))
    assert [client.get(ME, headers=bearer(expired)).status_code for _ in range(4)] == [401, 401, 401, 429]


def test_access_tokens_need_an_audience_setting(make_app, idp):
    app = make_app(FUSE_OIDC_AUDIENCE="")
    assert "FUSE_OIDC_AUDIENCE" in _assert_401(app.test_client(), idp.mint(_claims()))["detail"]


def test_the_username_claim_is_a_setting(make_app, idp):
    client = make_app(FUSE_OIDC_USERNAME_CLAIM="email", FUSE_OIDC_GROUPS_CLAIM="roles").test_client()
    token = idp.mint(_claims(email="ann@example.com", roles=["idp-admins"], groups=["ignored"]))
    me = client.get(ME, headers=bearer(token)).get_json()
    assert me["user"] == "ann@example.com" and me["groups"] == ["admin"]


# --- settings ----------------------------------------------------------------------------------------------


def test_half_configured_single_sign_on_stops_the_server(database_url, monkeypatch):
    monkeypatch.setenv("FUSE_OIDC_ISSUER", "https://idp.example")
    with pytest.raises(ValueError, match="FUSE_OIDC_CLIENT_ID"):
        create_app({"DATABASE_URL": database_url})
    monkeypatch.setenv("FUSE_OIDC_CLIENT_ID", "fuse")
    monkeypatch.setenv("FUSE_OIDC_GROUP_MAP", "idp-admins")
    with pytest.raises(ValueError, match="FUSE_OIDC_GROUP_MAP"):
        create_app({"DATABASE_URL": database_url})


def test_the_client_secret_may_come_from_the_secrets_file(tmp_path, monkeypatch):
    secrets_file = tmp_path / "secrets.env"
    secrets_file.write_text("OIDC_CLIENT_SECRET=from-the-file\n")
    monkeypatch.setenv("FUSE_SECRETS_FILE", str(secrets_file))
    settings = oidc_settings({"FUSE_OIDC_ISSUER": "https://idp.example/", "FUSE_OIDC_CLIENT_ID": "fuse",
                              "FUSE_OIDC_SCOPES": "profile,groups"})
    assert settings.client_secret == "from-the-file" and settings.scopes == "openid profile groups"
    assert settings.metadata_url == "https://idp.example/.well-known/openid-configuration"
    assert settings.audience is None and settings.password_sign_in is False
    assert oidc_settings({"FUSE_OIDC_CLIENT_ID": "fuse"}) is None  # no issuer: no single sign-on


def test_sign_out_at_a_provider_without_an_end_session_endpoint(database_url, monkeypatch):
    with OidcProvider({"ann": Person(**vars(PEOPLE["ann"]))}, end_session=False) as bare:
        bare.register_client(FUSE)
        for name, value in _settings(bare).items():
            monkeypatch.setenv(name, value)
        app = create_app({"DATABASE_URL": database_url, "TESTING": True})
        browser = Browser(app.test_client(), bare)
        browser.sign_in("ann")
        with browser.fuse.session_transaction() as cookie:
            csrf = cookie["csrf"]
        page = browser.fuse.get(browser.fuse.post("/logout", data={"csrf_token": csrf}).location)
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and "offers no sign-out of its own" in text and 'id="continue"' not in text
        assert browser.fuse.get(ME).status_code == 401
        with app.app_context():
            db.engine.dispose()
