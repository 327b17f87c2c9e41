"""The fake Maskinporten: its metadata, and the token endpoint's grants dispatched through a table.

`open` mode (local work) takes any client: a registered one must sign with a key or certificate it
registered, an unknown one is checked against the `x5c` certificate it sends, or not at all with only a
`kid`; `strict` mode takes only registered clients and their registered keys, requires `jti`, and holds an
`x5c` chain to its validity period and the trust anchors. In both, a registered client gets only its registered
scopes, and everything else Maskinporten checks in an assertion is checked.

Two clocks: an assertion is signed by the consumer on its own, real clock, so it is judged by `wall_clock`;
the access tokens issued follow the issuer's (the controlled) clock.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import jwt

from emulator.clock import Clock
from emulator.errors import OAuthError
from emulator.maskinporten import assertions
from emulator.maskinporten.certificates import TrustAnchors
from emulator.maskinporten.clients import Client, ClientRegistry
from emulator.maskinporten.replay import ReplayGuard
from emulator.maskinporten.tokens import ALGORITHMS, IssuedToken, TokenIssuer
from emulator.settings import Mode

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLIENT_CREDENTIALS = "client_credentials"
BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="maskinporten"'}


@dataclass(frozen=True)
class TokenRequest:
    """The token endpoint's form (first value of each field) and any HTTP Basic credentials."""

    form: Mapping[str, str]
    basic_credentials: tuple[str, str] | None = None

    @staticmethod
    def basic(authorization: str | None) -> tuple[str, str] | None:
        """RFC 6749 §2.3.1: `Basic base64(urlencoded id:urlencoded secret)`; None when absent."""
        if authorization is None or authorization[:6].lower() != "basic ":
            return None
        try:
            raw = base64.b64decode(authorization[6:].strip(), validate=True)
        except ValueError:
            raise OAuthError(
                "invalid_client", "The Basic credentials are not valid base64", 401, BASIC_CHALLENGE
            ) from None
        try:
            decoded = raw.decode()
        except UnicodeDecodeError:
            raise OAuthError("invalid_client", "The Basic credentials are not UTF-8", 401, BASIC_CHALLENGE) from None
        client_id, separator, secret = decoded.partition(":")
        if not separator:
            raise OAuthError(
                "invalid_client", "The Basic credentials have no ':' between id and secret", 401, BASIC_CHALLENGE
            )
        return unquote(client_id), unquote(secret)

    def claimed_client_id(self) -> str | None:
        """The client the request says it is, before anything is checked: Basic, `client_id`, or the
        assertion's `iss`. Only for scoping injected faults and naming the journal's consumer."""
        if self.basic_credentials is not None:
            return self.basic_credentials[0] or None
        if self.form.get("client_id"):
            return self.form["client_id"]
        assertion = self.form.get("assertion")
        if not assertion:
            return None
        try:
            issuer = jwt.decode(assertion, options={"verify_signature": False}).get("iss")
        except jwt.InvalidTokenError:
            return None
        return issuer if isinstance(issuer, str) and issuer else None


class AuthorizationServer:
    def __init__(
        self,
        issuer: TokenIssuer,
        clients: ClientRegistry,
        mode: Mode,
        wall_clock: Clock,
        replay: ReplayGuard,
        *,
        issuer_aliases: Sequence[str] = (),
        trust_anchors: TrustAnchors | None = None,
    ) -> None:
        self.issuer = issuer
        self.clients = clients
        self.mode = mode
        self._wall_clock = wall_clock
        self._replay = replay
        # An assertion's aud may name the issuer or one of the URLs it is also reached by (compose's host side).
        self.audiences = tuple(dict.fromkeys([issuer.issuer, *issuer_aliases]))
        self.trust_anchors = trust_anchors or TrustAnchors()
        self._grants: dict[str, Callable[[TokenRequest], IssuedToken]] = {
            JWT_BEARER: self._jwt_bearer,
            CLIENT_CREDENTIALS: self._client_credentials,
        }

    def reset(self) -> None:
        """Forget the jti seen and the clients registered at run time (a reset of the whole emulator)."""
        self._replay.clear()
        self.clients.reset()

    def metadata(self) -> dict[str, Any]:
        base = self.issuer.issuer
        return {
            "issuer": base,
            "token_endpoint": f"{base}token",
            "jwks_uri": f"{base}jwk",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "grant_types_supported": [JWT_BEARER],
            "token_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
        }

    def token(self, request: TokenRequest) -> IssuedToken:
        grant_type = request.form.get("grant_type")
        if not grant_type:
            raise OAuthError("invalid_request", "grant_type is missing")
        grant = self._grants.get(grant_type)
        if grant is None:
            supported = ", ".join(self._grants)
            raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported ({supported})")
        return grant(request)

    def _jwt_bearer(self, request: TokenRequest) -> IssuedToken:
        assertion = request.form.get("assertion")
        if not assertion:
            raise OAuthError("invalid_request", "assertion is missing")
        header, unverified = assertions.read(assertion)
        client_id = unverified.get("iss")
        if client_id is None or client_id == "":
            raise OAuthError("invalid_grant", "Invalid assertion: iss (your client_id) is missing")
        if not isinstance(client_id, str):
            raise OAuthError(
                "invalid_grant", f"Invalid assertion: iss (your client_id) must be a string, was {client_id!r}"[:200]
            )
        client = self.clients.get(client_id)
        if client is None and self.mode is Mode.STRICT:
            raise OAuthError(
                "invalid_client", f"Unknown client {client_id!r}: strict mode takes only registered clients"
            )
        # The consumer's clock, not the controlled one: a test that moves the emulator's time must not make a
        # consumer's freshly signed assertion look stale.
        now_s = self._wall_clock.now_ms() / 1000
        strict = self.mode is Mode.STRICT
        key, client_amr = assertions.signing_key(header, client, self.trust_anchors if strict else None, now_s)
        claims = assertions.verified(assertion, header["alg"], key) if key is not None else unverified
        expires = assertions.check_claims(
            claims, audiences=self.audiences, now_s=now_s, require_jti=strict, replay=self._replay
        )
        scope = self._granted_scope(client, client_id, claims.get("scope"))
        if "jti" in claims:
            self._replay.remember(str(claims["jti"]), expires)
        resource = claims.get("resource")
        return self.issuer.issue(
            client_id=client_id,
            organisation_number=client.organisation_number if client else assertions.consumer_org(claims),
            scope=scope,
            client_amr=client_amr,
            audience=resource if isinstance(resource, str) and resource else "unspecified",
        )

    def _client_credentials(self, request: TokenRequest) -> IssuedToken:
        if request.basic_credentials is not None:
            (client_id, secret), method = request.basic_credentials, "client_secret_basic"
        else:
            client_id, secret = request.form.get("client_id", ""), request.form.get("client_secret", "")
            method = "client_secret_post"
            if not client_id or not secret:
                raise OAuthError("invalid_client", "client_id and client_secret (or HTTP Basic) are required", 401)
        client = self.clients.get(client_id)
        if client is None or not client.secret_matches(secret):
            # RFC 6749 §5.2: a client that authenticated with HTTP Basic is challenged the same way.
            challenge = BASIC_CHALLENGE if method == "client_secret_basic" else None
            raise OAuthError(
                "invalid_client", f"Client {client_id!r} is unknown or its secret is wrong", 401, challenge
            )
        requested = request.form.get("scope") or " ".join(sorted(client.scopes))
        scope = self._granted_scope(client, client_id, requested)
        return self.issuer.issue(
            client_id=client_id,
            organisation_number=client.organisation_number,
            scope=scope,
            client_amr=method,
        )

    def _granted_scope(self, client: Client | None, client_id: str, requested: object) -> str:
        if not isinstance(requested, str) or not requested.split():
            raise OAuthError("invalid_scope", "scope is missing")
        scopes = requested.split()
        # Open mode relaxes which keys sign an assertion, never what a registered client may ask for.
        if client is not None:
            refused = [scope for scope in scopes if scope not in client.scopes]
            if refused:
                raise OAuthError("invalid_scope", f"Client {client_id!r} may not ask for {' '.join(refused)}")
        return " ".join(scopes)
