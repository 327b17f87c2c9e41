"""The fake Maskinporten: its metadata, and the token endpoint's grants dispatched through a table.

`open` mode (local work) takes any client: a registered one must sign with a key or certificate it
registered, an unknown one is checked against the `x5c` certificate it sends, or not at all with only a
`kid`; `strict` mode takes only registered clients, their registered keys and scopes, and requires `jti`.
Both check everything else Maskinporten checks in an assertion.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import unquote

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator.clients import DEFAULT_ORGANISATION, Client, ClientRegistry
from emulator.clock import Clock
from emulator.errors import OAuthError
from emulator.keys import public_key_of_certificate
from emulator.replay import ReplayGuard
from emulator.tokens import ALGORITHMS, IssuedToken, TokenIssuer, is_number

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLIENT_CREDENTIALS = "client_credentials"
BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="maskinporten"'}
ASSERTION_CLOCK_SKEW_SECONDS = 10
ASSERTION_MAX_LIFETIME_SECONDS = 120


class Mode(StrEnum):
    OPEN = "open"
    STRICT = "strict"


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
        self, issuer: TokenIssuer, clients: ClientRegistry, mode: Mode, clock: Clock, replay: ReplayGuard
    ) -> None:
        self.issuer = issuer
        self.clients = clients
        self.mode = mode
        self._clock = clock
        self._replay = replay
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
        header, unverified = _unverified(assertion)
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
        key, client_amr = self._assertion_key(header, client)
        claims = _verified(assertion, header["alg"], key) if key is not None else unverified
        self._check_assertion_claims(claims)
        scope = self._granted_scope(client, client_id, claims.get("scope"))
        if "jti" in claims:
            self._replay.remember(str(claims["jti"]), float(claims["exp"]))
        resource = claims.get("resource")
        return self.issuer.issue(
            client_id=client_id,
            organisation_number=client.organisation_number if client else _consumer_org(claims),
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

    def _assertion_key(self, header: Mapping[str, Any], client: Client | None) -> tuple[rsa.RSAPublicKey | None, str]:
        """The key that must have signed the assertion (None: unknowable, open mode), and client_amr."""
        if "x5c" in header:
            chain = header["x5c"]
            if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
                raise OAuthError("invalid_grant", "Invalid assertion: x5c must be a list of base64 certificates")
            try:
                key = public_key_of_certificate(chain[0])
            except ValueError as error:
                raise OAuthError(
                    "invalid_grant", f"Invalid assertion: x5c[0] is not an RSA certificate ({error})"
                ) from None
            # A registered client is held to what it registered, in either mode (as with kid below): otherwise
            # anyone could sign as it, and get its organisation, with a self-made certificate.
            if client is not None and not client.trusts_certificate_key(key):
                raise OAuthError("invalid_client", f"The certificate in x5c is not registered for {client.client_id!r}")
            return key, "virksomhetssertifikat"
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise OAuthError("invalid_grant", "Invalid assertion: the header needs kid or x5c")
        if client is None:
            return None, "private_key_jwt"
        registered = client.key_for(kid)
        if registered is None:
            raise OAuthError("invalid_client", f"kid {kid!r} is not a registered key of client {client.client_id!r}")
        return registered, "private_key_jwt"

    def _check_assertion_claims(self, claims: Mapping[str, Any]) -> None:
        expected = self.issuer.issuer
        audience = claims.get("aud")
        if isinstance(audience, list) and len(audience) == 1:
            audience = audience[0]
        if audience != expected:
            raise OAuthError("invalid_grant", f"Invalid assertion: aud must be {expected!r}, was {audience!r}")
        iat, exp = claims.get("iat"), claims.get("exp")
        if not is_number(iat) or not is_number(exp):
            raise OAuthError("invalid_grant", "Invalid assertion: iat and exp must both be present, as numbers")
        assert isinstance(iat, int | float)
        assert isinstance(exp, int | float)
        now = self._clock.now_ms() / 1000
        if abs(iat - now) > ASSERTION_CLOCK_SKEW_SECONDS:
            raise OAuthError(
                "invalid_grant",
                f"Invalid assertion: iat is {iat - now:+.0f} s from the server's time; "
                f"at most {ASSERTION_CLOCK_SKEW_SECONDS} s are allowed",
            )
        if exp - iat > ASSERTION_MAX_LIFETIME_SECONDS:
            raise OAuthError(
                "invalid_grant",
                f"Invalid assertion: exp is {exp - iat:.0f} s after iat; "
                f"at most {ASSERTION_MAX_LIFETIME_SECONDS} s are allowed",
            )
        if exp <= now:
            raise OAuthError("invalid_grant", "Invalid assertion: it has expired")
        jti = claims.get("jti")
        if jti is None and self.mode is Mode.STRICT:
            raise OAuthError("invalid_grant", "Invalid assertion: jti is required")
        if jti is not None and not isinstance(jti, str):
            # RFC 7519 §4.1.7: a case-sensitive string; judged alike whether or not the signature could be checked.
            raise OAuthError("invalid_grant", f"Invalid assertion: jti must be a string, was {jti!r}"[:200])
        if jti is not None and self._replay.seen(str(jti)):
            raise OAuthError("invalid_grant", f"Invalid assertion: jti {jti!r} has been used before")

    def _granted_scope(self, client: Client | None, client_id: str, requested: object) -> str:
        if not isinstance(requested, str) or not requested.split():
            raise OAuthError("invalid_scope", "scope is missing")
        scopes = requested.split()
        if self.mode is Mode.STRICT and client is not None:
            refused = [scope for scope in scopes if scope not in client.scopes]
            if refused:
                raise OAuthError("invalid_scope", f"Client {client_id!r} may not ask for {' '.join(refused)}")
        return " ".join(scopes)


def _unverified(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        header = jwt.get_unverified_header(assertion)
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.DecodeError as error:
        # PyJWT names the part that fails ("Not enough segments", "Invalid payload string: ..."), never its content.
        raise OAuthError("invalid_grant", f"Invalid assertion: it is not a JWT ({error})") from None
    except jwt.InvalidTokenError as error:
        raise OAuthError("invalid_grant", f"Invalid assertion: its header is malformed ({error})") from None
    if header.get("alg") not in ALGORITHMS:
        raise OAuthError(
            "invalid_grant",
            f"Invalid assertion: alg must be one of {', '.join(ALGORITHMS)}, was {header.get('alg')!r}",
        )
    return header, claims


def _verified(assertion: str, algorithm: str, key: rsa.RSAPublicKey) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            assertion,
            key,
            algorithms=[algorithm],
            # Times, aud and jti are judged by the server's own rules in both modes; sub is not Maskinporten's.
            options={
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "verify_aud": False,
                "verify_jti": False,
                "verify_sub": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise OAuthError("invalid_grant", "Invalid assertion: the signature does not verify") from None
    except jwt.InvalidTokenError as error:
        raise OAuthError("invalid_grant", f"Invalid assertion: {error}") from None
    return claims


def _consumer_org(claims: Mapping[str, Any]) -> str:
    organisation = claims.get("consumer_org")
    if isinstance(organisation, str) and len(organisation) == 9 and organisation.isdigit():
        return organisation
    return DEFAULT_ORGANISATION
