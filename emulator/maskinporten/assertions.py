"""Maskinporten's JWT-bearer assertion: read, its signing key found, its signature verified, its claims checked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator.errors import OAuthError
from emulator.maskinporten.certificates import TrustAnchors, chain_of
from emulator.maskinporten.clients import DEFAULT_ORGANISATION, Client
from emulator.maskinporten.replay import ReplayGuard
from emulator.maskinporten.tokens import ALGORITHMS, is_real_number, numeric_date

ASSERTION_CLOCK_SKEW_SECONDS = 10
ASSERTION_MAX_LIFETIME_SECONDS = 120
# Digdir's documented code and text for an assertion whose aud is not the issuer.
INVALID_AUDIENCE = "MP-110: Invalid assertion. Client authentication failed. Invalid JWT claim aud"


def signing_key(
    header: Mapping[str, Any], client: Client | None, anchors: TrustAnchors | None = None, now_s: float = 0.0
) -> tuple[rsa.RSAPublicKey | None, str]:
    """The key that must have signed the assertion (None: unknowable, open mode), and the client_amr it means.

    With `anchors` (strict mode) an `x5c` chain must also be valid at `now_s` and lead to one of them.
    """
    if "x5c" in header:
        chain = chain_of(header["x5c"])
        key = chain[0].public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise OAuthError("invalid_grant", "Invalid assertion: x5c[0] is not an RSA certificate")
        # A registered client is held to what it registered, in either mode (as with kid below): otherwise
        # anyone could sign as it, and get its organisation, with a self-made certificate.
        if client is not None and not client.trusts_certificate_key(key):
            raise OAuthError("invalid_client", f"The certificate in x5c is not registered for {client.client_id!r}")
        if anchors is not None:
            anchors.check(chain, now_s)
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
    claims: Mapping[str, Any],
    *,
    audiences: Sequence[str],
    now_s: float,
    require_jti: bool,
    replay: ReplayGuard,
) -> float:
    """Maskinporten's rules for an assertion's aud, iat, exp, nbf and jti, at the consumer's instant `now_s`.

    `audiences` is the issuer, then the aliases it also answers to. Returns `exp`, until which a jti is kept.
    """
    aud = claims.get("aud")
    if isinstance(aud, list) and len(aud) == 1:
        aud = aud[0]
    if not isinstance(aud, str) or aud not in audiences:
        expected = " or ".join(repr(audience) for audience in audiences)
        raise OAuthError("invalid_grant", f"{INVALID_AUDIENCE}: aud must be {expected}, was {aud!r}"[:400])
    expires = _checked_times(claims, now_s)
    jti = claims.get("jti")
    if jti is None and require_jti:
        raise OAuthError("invalid_grant", "Invalid assertion: jti is required")
    if jti is not None and not isinstance(jti, str):
        # RFC 7519 §4.1.7: a case-sensitive string; judged alike whether or not the signature could be checked.
        raise OAuthError("invalid_grant", f"Invalid assertion: jti must be a string, was {jti!r}"[:200])
    if jti is not None and replay.seen(str(jti)):
        raise OAuthError("invalid_grant", f"Invalid assertion: jti {jti!r} has been used before")
    return expires


def _checked_times(claims: Mapping[str, Any], now: float) -> float:
    """iat within the skew of `now`, exp after now and not too long after iat, nbf (if any) not ahead; exp."""
    raw_iat, raw_exp = claims.get("iat"), claims.get("exp")
    if not is_real_number(raw_iat) or not is_real_number(raw_exp):
        raise OAuthError("invalid_grant", "Invalid assertion: iat and exp must both be present, as numbers")
    iat, exp = numeric_date(raw_iat), numeric_date(raw_exp)
    if iat is None or exp is None:
        raise OAuthError("invalid_grant", "Invalid assertion: iat and exp must be times before the year 10000")
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
    if "nbf" in claims:
        nbf = numeric_date(claims["nbf"])
        if nbf is None:
            raise OAuthError("invalid_grant", "Invalid assertion: nbf must be a number, a time before the year 10000")
        if nbf > now + ASSERTION_CLOCK_SKEW_SECONDS:
            raise OAuthError("invalid_grant", "Invalid assertion: it is not valid yet (nbf)")
    return exp


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
