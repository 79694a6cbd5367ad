"""A real OpenID Connect provider for the tests, built from Authlib's server parts and served over HTTP.

Authlib's Flask AuthorizationServer with the authorization code grant, PKCE (S256 required) and the OpenID
Connect code extension (ID tokens signed RS256 by the provider's key, nonce required), Authlib's RP-initiated
logout endpoint, a discovery document and a JWKS. People sign in on a plain form (user name and password); the
provider keeps its own session cookie (`idp_session`: Fuse's is `session`, and cookies ignore ports), honours
`prompt=login` and `max_age` (unless `honour_max_age` is off), and reports auth_time, amr and acr in the ID
token. What a person's sign-in reports is set per user (`amr`, `acr`), and a test may turn the provider against
the client: `tamper_nonce` puts another nonce into the next ID token, `backdate_s` reports sign-ins older than
they were.

`mint()` makes access tokens with chosen claims, signed with the provider's key (or another), for the API.
Runs with werkzeug in a thread on a free port of 127.0.0.1 (`with OidcProvider(...) as idp:`).
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.rpinitiated.end_session import EndSessionEndpoint
from flask import Flask, jsonify, render_template_string, request, session
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import WSGIRequestHandler, make_server

CLIENT_ID = "fuse"
CLIENT_SECRET = "fuse-client-secret"
KID = "idp-key-1"
LOGIN_FORM = """<!doctype html><title>Provider sign-in</title><h1>Test provider</h1>
<form method="post" action="{{ action }}">
<label for="username">Username</label><input id="username" name="username">
<label for="password">Password</label><input id="password" name="password" type="password">
<button type="submit">Log in at the provider</button></form>"""


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


@dataclass
class Person:
    sub: str
    password: str
    groups: list[str] = field(default_factory=list)
    amr: list[str] = field(default_factory=lambda: ["pwd"])
    acr: str | None = None
    preferred_username: str | None = None


class Client(ClientMixin):
    def __init__(self, provider: OidcProvider):
        self.provider = provider
        self.client_id = CLIENT_ID
        self.client_secret = CLIENT_SECRET

    @property
    def client_metadata(self) -> dict:
        return {"post_logout_redirect_uris": self.provider.post_logout_redirect_uris}

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.provider.redirect_uris[0] if self.provider.redirect_uris else None

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in {"openid", "profile", "email", "groups"})

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.provider.redirect_uris

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post") if endpoint == "token" else True

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: Person
    nonce: str | None
    auth_time: int
    code_challenge: str | None
    code_challenge_method: str | None

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return self.user.acr

    def get_amr(self):
        return list(self.user.amr)


def _make_grant(provider: OidcProvider):
    class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

        def save_authorization_code(self, code, req):
            nonce = req.payload.data.get("nonce")
            provider.codes[code] = Code(code, req.client.get_client_id(), req.payload.redirect_uri,
                                        req.payload.scope, req.user, nonce, session["auth_time"],
                                        req.payload.data.get("code_challenge"),
                                        req.payload.data.get("code_challenge_method"))

        def query_authorization_code(self, code, client):
            found = provider.codes.get(code)
            return found if found is not None and found.client_id == client.get_client_id() else None

        def delete_authorization_code(self, authorization_code):
            provider.codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code):
            return authorization_code.user

    return AuthorizationCodeGrant


def _make_openid(provider: OidcProvider):
    class ProviderOpenIDCode(OpenIDCode):
        def exists_nonce(self, nonce, req):
            return any(c.nonce == nonce for c in provider.codes.values())

        def resolve_client_private_key(self, client):
            return provider.key

        def get_client_claims(self, client):
            return {"iss": provider.issuer, "aud": [client.get_client_id()]}

        def get_encode_header(self, client):
            return {"alg": "RS256", "kid": KID}

        def get_authorization_code_claims(self, authorization_code):
            claims = super().get_authorization_code_claims(authorization_code)
            if provider.tamper_nonce is not None:
                claims["nonce"], provider.tamper_nonce = provider.tamper_nonce, None
            return claims

        def generate_user_info(self, user, scope):
            return UserInfo(sub=user.sub, preferred_username=user.preferred_username, groups=list(user.groups))

    return ProviderOpenIDCode


def _make_end_session(provider: OidcProvider):
    class ProviderEndSession(EndSessionEndpoint):
        def get_server_jwks(self):
            return {"keys": [provider.key.as_dict(private=False)]}

        def end_session(self, end_session_request):
            provider.sign_outs += 1
            session.clear()

    return ProviderEndSession


class OidcProvider:
    """The provider; `people` by user name. Start it with `with OidcProvider(...) as idp:`."""

    def __init__(self, people: dict[str, Person], end_session: bool = True):
        self.people = {name: person for name, person in people.items()}
        for name, person in self.people.items():
            person.preferred_username = person.preferred_username or name
        self.key = RSAKey.generate_key(2048, parameters={"kid": KID, "use": "sig", "alg": "RS256"}, private=True)
        self.end_session = end_session
        self.codes: dict[str, Code] = {}
        self.redirect_uris: list[str] = []
        self.post_logout_redirect_uris: list[str] = []
        self.tamper_nonce: str | None = None
        # A provider that misbehaves on purpose: reports sign-ins older than they are, ignores max_age.
        self.backdate_s = 0
        self.honour_max_age = True
        self.jwks_fetches = 0
        self.sign_outs = 0
        self.authorize_requests: list[dict] = []
        self._server = make_server("127.0.0.1", 0, self._app(), threaded=True, request_handler=_QuietHandler)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def register_client(self, fuse_base_url: str) -> None:
        """Fuse at this address may sign people in here and be sent back after signing out."""
        self.redirect_uris.append(f"{fuse_base_url}/oidc/callback")
        self.post_logout_redirect_uris.append(f"{fuse_base_url}/login")

    def __enter__(self) -> OidcProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)

    def mint(self, claims: dict, *, key: RSAKey | None = None, header: dict | None = None,
             algorithms: list[str] | None = None) -> str:
        """An access token with these claims (iss, iat and exp filled in unless given), signed RS256."""
        now = int(time.time())
        body = {"iss": self.issuer, "iat": now, "exp": now + 300, **claims}
        return jwt.encode(header or {"alg": "RS256", "kid": KID}, body, key or self.key, algorithms=algorithms)

    # --- the HTTP side -------------------------------------------------------------------------

    def _app(self) -> Flask:
        app = Flask("test_oidc_provider")
        app.config.update(SECRET_KEY=secrets.token_hex(16), SESSION_COOKIE_NAME="idp_session")
        server = AuthorizationServer(app, query_client=lambda cid: Client(self) if cid == CLIENT_ID else None,
                                     save_token=lambda token, req: None)
        server.register_grant(_make_grant(self), [CodeChallenge(required=True), _make_openid(self)(require_nonce=True)])
        server.register_endpoint(_make_end_session(self))

        @app.get("/.well-known/openid-configuration")
        def discovery():
            document = {
                "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
                "scopes_supported": ["openid", "profile", "email", "groups"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "claims_supported": ["sub", "preferred_username", "groups", "auth_time", "amr", "acr"],
            }
            if self.end_session:
                document["end_session_endpoint"] = f"{self.issuer}/logout"
            return jsonify(document)

        @app.get("/jwks")
        def jwks():
            self.jwks_fetches += 1
            return jsonify({"keys": [self.key.as_dict(private=False)]})

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize():
            if request.method == "GET":
                self.authorize_requests.append(dict(request.args))
            person = self.people.get(session.get("user", ""))
            if request.method == "POST":
                name = request.form.get("username", "")
                person = self.people.get(name)
                if person is None or not secrets.compare_digest(request.form.get("password", ""), person.password):
                    return render_template_string(LOGIN_FORM, action=request.full_path), 401
                session.update(user=name, auth_time=int(time.time()) - self.backdate_s)
            elif person is not None and self.honour_max_age and not self._still_good(request.args):
                person = None  # prompt=login, or an older sign-in than max_age: the form again
            try:
                grant = server.get_consent_grant(end_user=person)  # a bad request is refused before the form
                if person is None:
                    return render_template_string(LOGIN_FORM, action=request.full_path)
                return server.create_authorization_response(grant_user=person, grant=grant)
            except OAuth2Error as error:
                return jsonify(error=error.error, error_description=error.description), 400

        @app.post("/token")
        def token():
            return server.create_token_response()

        @app.route("/logout", methods=["GET", "POST"])
        def logout():
            if not self.end_session:
                return "no", 404
            try:
                return server.create_endpoint_response("end_session") or "Signed out at the provider."
            except OAuth2Error as error:
                return jsonify(error=error.error, error_description=error.description), 400

        return app

    @staticmethod
    def _still_good(args) -> bool:
        if "login" in (args.get("prompt") or "").split():
            return False
        max_age = args.get("max_age")
        return max_age is None or time.time() - session.get("auth_time", 0) <= int(max_age)
