"""A small OpenID Connect provider for the tests, on 127.0.0.1 in a thread: discovery, JWKS,
authorize (consents at once and redirects back with a code), token (an RS256 ID token signed
with a real key, PKCE checked), userinfo and end-session. Nothing leaves the machine.

`provider.person` is who signs in next (their claims); `provider.tamper` changes the next ID
token: "other_key" (signed by a key not in the JWKS, same kid), "nonce", "audience", "issuer",
"expired"."""

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "jixiao-test"
CLIENT_SECRET = "client-secret-for-tests"
KID = "test-key-1"


def _new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Provider:
    def __init__(self):
        self.key = _new_key()
        self.other_key = _new_key()
        self.person: dict = {}
        self.tamper: str = ""
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.token_requests: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"{self.issuer}{path}"

    def settings(self) -> dict:
        """The settings a deployment would give for this provider."""
        return {
            "OIDC_ENABLED": True,
            "OIDC_RP_CLIENT_ID": CLIENT_ID,
            "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_OP_ISSUER": self.issuer,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": self.url("/authorize"),
            "OIDC_OP_TOKEN_ENDPOINT": self.url("/token"),
            "OIDC_OP_USER_ENDPOINT": self.url("/userinfo"),
            "OIDC_OP_JWKS_ENDPOINT": self.url("/jwks"),
            "OIDC_OP_LOGOUT_ENDPOINT": self.url("/logout"),
            "OIDC_STORE_ID_TOKEN": True,
        }

    def jwks(self) -> dict:
        key = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**key, "kid": KID, "alg": "RS256", "use": "sig"}]}

    def id_token(self, grant: dict) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": grant["person"]["sub"],
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
        }
        if self.tamper == "nonce":
            claims["nonce"] = "not-the-nonce"
        elif self.tamper == "audience":
            claims["aud"] = "another-client"
        elif self.tamper == "issuer":
            claims["iss"] = "http://127.0.0.1:1/"
        elif self.tamper == "expired":
            claims["iat"], claims["exp"] = now - 4000, now - 3600
        key = self.other_key if self.tamper == "other_key" else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, body, status=200):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _redirect(self, location):
                self.send_response(302)
                self.send_header("Location", location)
                self.end_headers()

            def do_GET(self):
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if parts.path == "/.well-known/openid-configuration":
                    return self._json(
                        {
                            "issuer": provider.issuer,
                            "authorization_endpoint": provider.url("/authorize"),
                            "token_endpoint": provider.url("/token"),
                            "userinfo_endpoint": provider.url("/userinfo"),
                            "jwks_uri": provider.url("/jwks"),
                            "end_session_endpoint": provider.url("/logout"),
                            "id_token_signing_alg_values_supported": ["RS256"],
                            "code_challenge_methods_supported": ["S256"],
                        }
                    )
                if parts.path == "/jwks":
                    return self._json(provider.jwks())
                if parts.path == "/authorize":
                    if query.get("client_id") != CLIENT_ID:
                        return self._json({"error": "unauthorized_client"}, 400)
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = {
                        "person": dict(provider.person),
                        "nonce": query.get("nonce"),
                        "redirect_uri": query["redirect_uri"],
                        "challenge": query.get("code_challenge"),
                        "challenge_method": query.get("code_challenge_method"),
                    }
                    back = urlencode({"code": code, "state": query["state"]})
                    return self._redirect(f"{query['redirect_uri']}?{back}")
                if parts.path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    person = provider.access_tokens.get(token)
                    if person is None:
                        return self._json({"error": "invalid_token"}, 401)
                    return self._json(person)
                if parts.path == "/logout":
                    return self._json({"logged_out": True})
                return self._json({"error": "not_found"}, 404)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlsplit(self.path).path != "/token":
                    return self._json({"error": "not_found"}, 404)
                provider.token_requests.append(form)
                if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
                    return self._json({"error": "invalid_client"}, 401)
                grant = provider.codes.pop(form.get("code", ""), None)
                if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                    return self._json({"error": "invalid_grant"}, 400)
                if grant["challenge"]:
                    verifier = form.get("code_verifier", "")
                    digest = hashlib.sha256(verifier.encode()).digest()
                    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                    if grant["challenge_method"] != "S256" or expected != grant["challenge"]:
                        return self._json({"error": "invalid_grant"}, 400)
                access_token = secrets.token_urlsafe(16)
                provider.access_tokens[access_token] = grant["person"]
                return self._json(
                    {
                        "access_token": access_token,
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": provider.id_token(grant),
                    }
                )

        return Handler


@pytest.fixture
def provider():
    server = Provider()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
