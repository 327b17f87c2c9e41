"""Other issuers whose tokens the API accepts too, with their keys from a JWKS file or URL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator.keys import public_key_of_jwk
from emulator.tokens import TrustedIssuer


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


def trusted_issuer(config: IssuerConfig) -> TrustedIssuer:
    if config.jwks.startswith(("http://", "https://")):
        return TrustedIssuer(config.issuer, _RemoteKeys(config.jwks).key_for)
    keys = _keys_by_kid(json.loads(Path(config.jwks).read_text(encoding="utf-8")))
    return TrustedIssuer(config.issuer, keys.get)


class _RemoteKeys:
    """Fetched when a kid is first seen (the other server may start after the emulator), then cached."""

    def __init__(self, url: str) -> None:
        self._client = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5)

    def key_for(self, kid: str) -> rsa.RSAPublicKey | None:
        try:
            key = self._client.get_signing_key(kid).key
        except (jwt.PyJWKClientError, jwt.PyJWKSetError, ValueError):
            # Unreachable, not JSON, or no such key: the token is refused (401), the server does not fail.
            return None
        return key if isinstance(key, rsa.RSAPublicKey) else None


def _keys_by_kid(jwks: Any) -> dict[str, rsa.RSAPublicKey]:
    return {
        jwk["kid"]: public_key_of_jwk(jwk)
        for jwk in jwks.get("keys", [])
        if jwk.get("kty") == "RSA" and isinstance(jwk.get("kid"), str)
    }
