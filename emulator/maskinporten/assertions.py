"""Maskinporten's JWT-bearer assertion: read, its signing key found, its signature verified, its claims checked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator.errors import OAuthError
from emulator.maskinporten.clients import DEFAULT_ORGANISATION, Client
from emulator.maskinporten.keys import public_key_of_certificate
from emulator.maskinporten.replay import ReplayGuard
from emulator.maskinporten.tokens import ALGORITHMS, is_number

ASSERTION_CLOCK_SKEW_SECONDS = 10
ASSERTION_MAX_LIFETIME_SECONDS = 120


def signing_key(header: Mapping[str, Any], client: Client | None) -> tuple[rsa.RSAPublicKey | None, str]:
    """The key that must have signed the assertion (None: unknowable, open mode), and the client_amr it means."""
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


def check_claims(
    claims: Mapping[str, Any], *, audience: str, now_s: float, require_jti: bool, replay: ReplayGuard
) -> None:
    """Maskinporten's rules for an assertion's aud, iat, exp and jti, at the instant `now_s`."""
    aud = claims.get("aud")
    if isinstance(aud, list) and len(aud) == 1:
        aud = aud[0]
    if aud != audience:
        raise OAuthError("invalid_grant", f"Invalid assertion: aud must be {audience!r}, was {aud!r}")
    iat, exp = claims.get("iat"), claims.get("exp")
    if not is_number(iat) or not is_number(exp):
        raise OAuthError("invalid_grant", "Invalid assertion: iat and exp must both be present, as numbers")
    assert isinstance(iat, int | float)
    assert isinstance(exp, int | float)
    now = now_s
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
    if jti is None and require_jti:
        raise OAuthError("invalid_grant", "Invalid assertion: jti is required")
    if jti is not None and not isinstance(jti, str):
        # RFC 7519 §4.1.7: a case-sensitive string; judged alike whether or not the signature could be checked.
        raise OAuthError("invalid_grant", f"Invalid assertion: jti must be a string, was {jti!r}"[:200])
    if jti is not None and replay.seen(str(jti)):
        raise OAuthError("invalid_grant", f"Invalid assertion: jti {jti!r} has been used before")


def read(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims, before any signature is checked; the algorithm must be one Maskinporten takes."""
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


def verified(assertion: str, algorithm: str, key: rsa.RSAPublicKey) -> dict[str, Any]:
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


def consumer_org(claims: Mapping[str, Any]) -> str:
    """The organisation an unregistered client names in `consumer_org`, or the demo one."""
    organisation = claims.get("consumer_org")
    if isinstance(organisation, str) and len(organisation) == 9 and organisation.isdigit():
        return organisation
    return DEFAULT_ORGANISATION
