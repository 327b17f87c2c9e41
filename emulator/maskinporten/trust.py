"""Other issuers whose tokens the API accepts too, with their keys from a JWKS file or URL."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator.maskinporten.keys import public_key_of_jwk
from emulator.maskinporten.tokens import TrustedIssuer


@dataclass(frozen=True)
class IssuerConfig:
    """`{"issuer": "...", "jwks": "https://.../jwks" | "/path/jwks.json"}` in EMULATOR_TRUSTED_ISSUERS."""

    issuer: str
    jwks: str


def parse_trusted_issuers(text: str) -> list[IssuerConfig]:
    if not text.strip():
        return []
    entries: Any = json.loads(text)
    if not isinstance(entries, list):
        raise ValueError("trusted issuers must be a JSON list of {issuer, jwks} objects")
    configs = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("issuer"), str) or not entry.get("jwks"):
            raise ValueError(f"a trusted issuer needs issuer and jwks: {entry!r}")
        configs.append(IssuerConfig(issuer=entry["issuer"], jwks=str(entry["jwks"])))
    return configs


def trusted_issuer(config: IssuerConfig, monotonic: Callable[[], float] = time.monotonic) -> TrustedIssuer:
    if config.jwks.startswith(("http://", "https://")):
        return TrustedIssuer(config.issuer, _RemoteKeys(config.jwks, monotonic).key_for)
    keys = _keys_by_kid(json.loads(Path(config.jwks).read_text(encoding="utf-8")), config.jwks)
    return TrustedIssuer(config.issuer, keys.get)


# A fetched key set is used this long before it is fetched again.
REFRESH_SECONDS = 300.0
# The URL is asked again no sooner than this after an attempt, for a kid it lacked or after a failure: a fetch
# blocks the server for up to FETCH_TIMEOUT_SECONDS, so a hanging or missing endpoint must not be asked per request.
RETRY_SECONDS = 30.0
FETCH_TIMEOUT_SECONDS = 5.0


class _RemoteKeys:
    """Fetched when a kid is first seen (the other server may start after the emulator), then cached."""

    def __init__(self, url: str, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._client = jwt.PyJWKClient(url, cache_jwk_set=False, timeout=FETCH_TIMEOUT_SECONDS)
        self._monotonic = monotonic
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        self._fetched_at = -math.inf
        self._tried_at = -math.inf

    def key_for(self, kid: str) -> rsa.RSAPublicKey | None:
        now = self._monotonic()
        wanted = kid not in self._keys or now - self._fetched_at >= REFRESH_SECONDS
        if wanted and now - self._tried_at >= RETRY_SECONDS:
            self._refresh(now)
        return self._keys.get(kid)

    def _refresh(self, now: float) -> None:
        self._tried_at = now
        try:
            document = self._client.fetch_data()
        except (jwt.PyJWTError, OSError, ValueError):
            # Unreachable, hanging, not JSON: its tokens are refused (401) and the last good keys kept.
            return
        self._keys = _usable_keys(document)
        self._fetched_at = now


def _keys_by_kid(jwks: Any, name: str) -> dict[str, rsa.RSAPublicKey]:
    entries = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(entries, list) or not all(isinstance(jwk, dict) for jwk in entries):
        raise ValueError(f'{name} is not a JWK set: {{"keys": [{{"kty": "RSA", "kid": ...}}, ...]}}')
    return {
        jwk["kid"]: public_key_of_jwk(jwk)
        for jwk in entries
        if jwk.get("kty") == "RSA" and isinstance(jwk.get("kid"), str)
    }


def _usable_keys(jwks: Any) -> dict[str, rsa.RSAPublicKey]:
    """The RSA keys of a fetched set by kid; a key that cannot be read is left out, not fatal."""
    keys: dict[str, rsa.RSAPublicKey] = {}
    entries = jwks.get("keys") if isinstance(jwks, dict) else None
    for jwk in entries if isinstance(entries, list) else []:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not isinstance(jwk.get("kid"), str):
            continue
        try:
            keys[jwk["kid"]] = public_key_of_jwk(jwk)
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            continue
    return keys
