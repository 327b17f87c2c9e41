"""Access tokens: issuing them shaped like Maskinporten's, and verifying them as the API's gateway does.

Verification takes the key from the issuer's own key set by `kid`, never from the token, accepts only the
RSA algorithms on an explicit list, and checks time against the injected clock rather than PyJWT's.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator.clock import Clock
from emulator.maskinporten.keys import SigningKey

API_SCOPE = "nav:helse/v1/trygdehendelser"
# The second API a consumer of the feed calls: MEDL's medlemskapsunntak, where each periodeId is looked up.
MEDL_SCOPE = "nav:medlemskap/v1/medlemskapsunntak"
ALGORITHMS = ("RS256", "RS384", "RS512")
CONSUMER_AUTHORITY = "iso6523-actorid-upis"
NORWEGIAN_ORGANISATION_NUMBER = "0192"
LEEWAY_SECONDS = 5
# 9999-12-31T23:59:59Z: a NumericDate beyond it (either way) is no time anyone means, and past about 1e308 it is
# not even a float; such a claim is refused as unusable rather than compared.
LATEST_NUMERIC_DATE = 253_402_300_799

Claims = dict[str, Any]


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scope: str

    def response(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": self.scope,
        }


class TokenIssuer:
    """Signs access tokens with the emulator's key; the JWKS endpoint publishes the public half."""

    def __init__(self, issuer: str, key: SigningKey, clock: Clock, lifetime_seconds: int) -> None:
        self.issuer = issuer
        self.key = key
        self._clock = clock
        self.lifetime_seconds = lifetime_seconds

    @staticmethod
    def new_id() -> str:
        """A token id unique to this token, from the OS's randomness: never derived from the log's seed, so two
        emulators started alike never hand out the same ids (a consumer's replay cache may span both)."""
        return str(uuid.uuid4())

    def issue(
        self,
        *,
        client_id: str,
        organisation_number: str,
        scope: str,
        client_amr: str,
        audience: str = "unspecified",
        lifetime_seconds: int | None = None,
        extra_claims: Mapping[str, Any] | None = None,
        omit: Iterable[str] = (),
    ) -> IssuedToken:
        lifetime = self.lifetime_seconds if lifetime_seconds is None else lifetime_seconds
        now = self._clock.now_ms() // 1000
        claims: Claims = {
            "aud": audience,
            "scope": scope,
            "iss": self.issuer,
            "client_amr": client_amr,
            "token_type": "Bearer",
            "exp": now + lifetime,
            "iat": now,
            "client_id": client_id,
            "jti": self.new_id(),
            "consumer": {
                "authority": CONSUMER_AUTHORITY,
                "ID": f"{NORWEGIAN_ORGANISATION_NUMBER}:{organisation_number}",
            },
        }
        claims.update(extra_claims or {})
        for name in omit:
            claims.pop(name, None)
        token = jwt.encode(claims, self.key.private_key, algorithm="RS256", headers={"kid": self.key.kid})
        return IssuedToken(access_token=token, expires_in=lifetime, scope=scope)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.public_jwk]}


class InvalidTokenError(Exception):
    """The token cannot be trusted; the message says why (it never contains the token)."""


KeyLookup = Callable[[str], rsa.RSAPublicKey | None]


@dataclass(frozen=True)
class TrustedIssuer:
    issuer: str
    key_for: KeyLookup


class Validity(NamedTuple):
    """A token's `exp`, `nbf` (-inf when absent) and `iat`, as numbers already checked to be usable."""

    expires: float
    not_before: float
    issued: float


class TokenVerifier:
    """Checks signature, issuer, and the time claims, the way the gateway in front of the API does."""

    def __init__(self, trusted: Iterable[TrustedIssuer], clock: Clock) -> None:
        self._trusted = tuple(trusted)
        self._clock = clock

    def verify(self, token: str) -> Claims:
        """The token's claims, or InvalidTokenError: signature, issuer and claims, then the times at this instant."""
        claims, validity = self.verified(token)
        self.check_times(validity)
        return claims

    def verified(self, token: str) -> tuple[Claims, Validity]:
        """What never changes about a token: its signature, issuer and claims; the times are `check_times`'."""
        claims = self._verified_signature(token)
        return claims, _validity(claims)

    @staticmethod
    def window(validity: Validity) -> tuple[float, float]:
        """The instants, in milliseconds on the clock, at which the token is in time: `[start, until)`, exactly
        the whole milliseconds at which `check_times` passes (-inf without nbf; the window may be empty).

        Worked out once per token, so that a request whose token was checked before compares two numbers.
        """
        latest = max(validity.not_before, validity.issued)
        start = (
            -math.inf
            if latest == -math.inf
            else _first_ms(lambda now: latest <= now + LEEWAY_SECONDS, (latest - LEEWAY_SECONDS) * 1000)
        )
        until = _first_ms(
            lambda now: validity.expires <= now - LEEWAY_SECONDS, (validity.expires + LEEWAY_SECONDS) * 1000
        )
        return start, until

    def check_times(self, validity: Validity) -> None:
        """InvalidTokenError unless the token is valid now, on the injected clock, with the leeway."""
        now = self._clock.now_ms() / 1000
        if validity.expires <= now - LEEWAY_SECONDS:
            raise InvalidTokenError("the token has expired")
        if validity.not_before > now + LEEWAY_SECONDS:
            raise InvalidTokenError("the token is not valid yet (nbf)")
        if validity.issued > now + LEEWAY_SECONDS:
            raise InvalidTokenError("the token was issued in the future (iat)")

    def _verified_signature(self, token: str) -> Claims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise InvalidTokenError("the token is not a JWT") from None
        except jwt.InvalidTokenError as error:
            raise InvalidTokenError(f"the token's header is malformed: {error}") from None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise InvalidTokenError(f"alg {algorithm!r} is not accepted; only {', '.join(ALGORITHMS)}")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidTokenError("the token has no kid")
        issuer, key = self._key(kid)
        try:
            claims: Claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                options={
                    "require": ["exp", "iat", "iss"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": False,
                    "verify_iss": False,
                },
            )
        except jwt.MissingRequiredClaimError as error:
            raise InvalidTokenError(f"the token has no {error.claim} claim") from None
        except jwt.InvalidSignatureError:
            raise InvalidTokenError("the signature does not verify") from None
        except jwt.InvalidTokenError as error:
            raise InvalidTokenError(f"the token is malformed: {error}") from None
        if claims["iss"] != issuer:
            raise InvalidTokenError(f"the issuer {claims['iss']!r} is not trusted for this key")
        return claims

    def _key(self, kid: str) -> tuple[str, rsa.RSAPublicKey]:
        for trusted in self._trusted:
            key = trusted.key_for(kid)
            if key is not None:
                return trusted.issuer, key
        raise InvalidTokenError(f"no trusted issuer has a key with kid {kid!r}")


def _first_ms(turned: Callable[[float], bool], near_ms: float) -> int:
    """The first whole millisecond at which `turned(ms / 1000)` holds, for a condition that, once it holds, holds
    for every later millisecond: found near `near_ms` with the very arithmetic `check_times` does, so they agree."""
    ms = math.floor(near_ms)
    while turned((ms - 1) / 1000):
        ms -= 1
    while not turned(ms / 1000):
        ms += 1
    return ms


def _validity(claims: Claims) -> Validity:
    times: dict[str, float] = {}
    for name in ("exp", "iat", "nbf"):
        if name not in claims:
            continue
        value = numeric_date(claims[name])
        if value is None:
            problem = "is out of range" if is_real_number(claims[name]) else "is not a number"
            raise InvalidTokenError(f"the {name} claim {problem}")
        times[name] = value
    return Validity(times["exp"], times.get("nbf", -math.inf), times["iat"])


def is_real_number(value: object) -> bool:
    """A JSON number that is not a boolean and not NaN (it may still be infinite or far too large for a time)."""
    if isinstance(value, float):
        return not math.isnan(value)
    return isinstance(value, int) and not isinstance(value, bool)


def numeric_date(value: object) -> float | None:
    """A JSON number usable as a time (RFC 7519 NumericDate), as a float; None for anything else: a boolean, a
    string, NaN, an infinity, or a number beyond the year 9999 either way. An int of any size is compared as an
    int first, so 10**400 is refused rather than overflowing a float conversion."""
    if not is_real_number(value):
        return None
    assert isinstance(value, int | float)
    if not -LATEST_NUMERIC_DATE <= value <= LATEST_NUMERIC_DATE:  # False for inf too
        return None
    return float(value)


def granted_scopes(claims: Claims) -> set[str]:
    """Maskinporten's space-separated `scope`, or another issuer's `scp` list."""
    scope = claims.get("scope", claims.get("scp", ""))
    if isinstance(scope, str):
        return set(scope.split())
    if isinstance(scope, list):
        return {item for item in scope if isinstance(item, str)}
    return set()
