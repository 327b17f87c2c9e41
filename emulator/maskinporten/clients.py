"""Registered clients (Maskinporten integrations): who they are, what they may ask for, how they sign."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator.maskinporten.keys import PublicJwk, public_key_of_certificate, public_key_of_jwk, same_key

# A synthetic organisation number (valid mod-11 check digit); real ones start with 8 or 9.
DEFAULT_ORGANISATION = "310000019"


@dataclass(frozen=True)
class Client:
    """One integration. Public keys only: private keys stay with the consumer."""

    client_id: str
    organisation_number: str = DEFAULT_ORGANISATION
    scopes: frozenset[str] = frozenset()
    jwks: tuple[PublicJwk, ...] = ()
    certificates: tuple[str, ...] = ()
    client_secret: str | None = field(default=None, repr=False)

    def key_for(self, kid: str) -> rsa.RSAPublicKey | None:
        for jwk in self.jwks:
            if jwk.get("kid") == kid:
                return public_key_of_jwk(jwk)
        return None

    def trusts_certificate_key(self, key: rsa.RSAPublicKey) -> bool:
        return any(same_key(public_key_of_certificate(cert), key) for cert in self.certificates)

    def secret_matches(self, secret: str) -> bool:
        return self.client_secret is not None and hmac.compare_digest(self.client_secret, secret)


class ClientRegistry:
    """Clients by id; loaded from a JSON file and added to at run time by the control plane."""

    def __init__(self, clients: list[Client] | None = None) -> None:
        self._loaded = {client.client_id: client for client in clients or []}
        self._clients = dict(self._loaded)

    def get(self, client_id: str) -> Client | None:
        return self._clients.get(client_id)

    def register(self, client: Client) -> None:
        self._clients[client.client_id] = client

    def reset(self) -> None:
        """Back to the clients it was made with: those registered at run time belong to the test that added them."""
        self._clients = dict(self._loaded)

    def __len__(self) -> int:
        return len(self._clients)

    @classmethod
    def load(cls, path: Path) -> ClientRegistry:
        return cls.from_json(path.read_text(encoding="utf-8"))

    @classmethod
    def from_json(cls, text: str) -> ClientRegistry:
        """`{"clients": [{client_id, organisation_number, scopes, jwks, certificates, client_secret}]}`."""
        document = json.loads(text)
        entries = document.get("clients", []) if isinstance(document, dict) else None
        if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
            raise ValueError('clients must be {"clients": [{"client_id": "...", ...}, ...]}')
        return cls([client_from_dict(entry) for entry in entries])


def client_from_dict(entry: dict[str, Any]) -> Client:
    if not isinstance(entry.get("client_id"), str) or not entry["client_id"]:
        raise ValueError(f"every client needs a client_id, a non-empty string: {entry!r:.80}")
    for name in ("scopes", "certificates"):
        if not isinstance(entry.get(name, []), list) or not all(isinstance(item, str) for item in entry.get(name, [])):
            raise ValueError(f"client {entry['client_id']!r}: {name} must be a list of strings")
    if not isinstance(entry.get("client_secret"), str | None):
        raise ValueError(f"client {entry['client_id']!r}: client_secret must be a string or null")
    organisation = str(entry.get("organisation_number", DEFAULT_ORGANISATION))
    if len(organisation) != 9 or not organisation.isdigit():
        raise ValueError(f"client {entry.get('client_id')!r}: organisation_number must be 9 digits")
    jwks = entry.get("jwks", [])
    if isinstance(jwks, dict):  # a whole JWK set is fine too
        jwks = jwks.get("keys", [])
    if not isinstance(jwks, list) or not all(isinstance(jwk, dict) for jwk in jwks):
        raise ValueError(f"client {entry.get('client_id')!r}: jwks must be a list of JWK objects or a JWK set")
    for jwk in jwks:
        if "kid" not in jwk:
            raise ValueError(f"client {entry.get('client_id')!r}: every JWK needs a kid")
        try:
            public_key_of_jwk(jwk)
        except (jwt.PyJWTError, ValueError) as error:
            raise ValueError(
                f"client {entry.get('client_id')!r}: JWK {jwk['kid']!r} is not an RSA key: {error}"
            ) from None
    certificates = entry.get("certificates", [])
    for index, certificate in enumerate(certificates):
        try:
            public_key_of_certificate(certificate)
        except (ValueError, TypeError) as error:
            raise ValueError(
                f"client {entry.get('client_id')!r}: certificates[{index}] is not a base64 DER RSA certificate: {error}"
            ) from None
    return Client(
        client_id=str(entry["client_id"]),
        organisation_number=organisation,
        scopes=frozenset(entry.get("scopes", [])),
        jwks=tuple({key: value for key, value in jwk.items() if key not in _PRIVATE_MEMBERS} for jwk in jwks),
        certificates=tuple(certificates),
        client_secret=entry.get("client_secret"),
    )


# Members of a private RSA JWK (RFC 7518 §6.3.2): dropped, should a user paste a private key by mistake.
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth"})
