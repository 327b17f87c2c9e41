"""Registered clients (Maskinporten integrations): who they are, what they may ask for, how they sign."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator.maskinporten.keys import (
    PublicJwk,
    der_base64_of_certificate,
    public_jwk,
    public_key_of_certificate,
    public_key_of_jwk,
    public_key_of_pem,
    same_key,
)

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

    def ids(self) -> list[str]:
        """The registered clients' ids, in the order they were registered."""
        return list(self._clients)

    @classmethod
    def load(cls, path: Path) -> ClientRegistry:
        return cls.from_json(path.read_text(encoding="utf-8"))

    @classmethod
    def from_json(cls, text: str) -> ClientRegistry:
        """`{"clients": [{client_id, organisation_number, scopes, jwks, public_keys_pem, certificates,
        client_secret}]}`."""
        document = json.loads(text)
        entries = document.get("clients", []) if isinstance(document, dict) else None
        if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
            raise ValueError('clients must be {"clients": [{"client_id": "...", ...}, ...]}')
        return cls([client_from_dict(entry) for entry in entries])


def client_from_dict(entry: dict[str, Any]) -> Client:
    """One client as the clients file and `POST /_emulator/clients` describe it; ValueError says what is wrong.

    Keys come as JWKs (`jwks`, a list or a whole set), as PEM public keys (`public_keys_pem`: a list, each key's
    kid then being its RFC 7638 thumbprint, or an object of kid to PEM), or as certificates (`certificates`,
    PEM or the standard base64 DER of `x5c`) for assertions that carry them in `x5c`.
    """
    client_id = entry.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise ValueError(f"every client needs a client_id, a non-empty string: {entry!r:.80}")
    certificates = entry.get("certificates", [])
    if not isinstance(certificates, list) or not all(isinstance(item, str) for item in certificates):
        raise ValueError(f"client {client_id!r}: certificates must be a list of strings")
    if not isinstance(entry.get("client_secret"), str | None):
        raise ValueError(f"client {client_id!r}: client_secret must be a string or null")
    organisation = str(entry.get("organisation_number", DEFAULT_ORGANISATION))
    if len(organisation) != 9 or not organisation.isdigit():
        raise ValueError(f"client {client_id!r}: organisation_number must be 9 digits")
    scopes = entry.get("scopes", [])
    if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
        raise ValueError(f"client {client_id!r}: scopes must be a list of strings")
    jwks = [*_jwks(client_id, entry.get("jwks", [])), *_pem_jwks(client_id, entry.get("public_keys_pem", []))]
    return Client(
        client_id=client_id,
        organisation_number=organisation,
        scopes=frozenset(scopes),
        jwks=tuple(jwks),
        certificates=tuple(_certificates(client_id, entry.get("certificates", []))),
        client_secret=entry.get("client_secret"),
    )


def _jwks(client_id: str, jwks: object) -> list[PublicJwk]:
    if isinstance(jwks, dict):  # a whole JWK set is fine too
        jwks = jwks.get("keys", [])
    if not isinstance(jwks, list) or not all(isinstance(jwk, dict) for jwk in jwks):
        raise ValueError(f"client {client_id!r}: jwks must be a list of JWK objects or a JWK set")
    for jwk in jwks:
        if "kid" not in jwk:
            raise ValueError(f"client {client_id!r}: every JWK needs a kid")
        try:
            public_key_of_jwk(jwk)
        except (jwt.PyJWTError, ValueError) as error:
            raise ValueError(f"client {client_id!r}: JWK {jwk['kid']!r} is not an RSA key: {error}") from None
    return [{key: value for key, value in jwk.items() if key not in _PRIVATE_MEMBERS} for jwk in jwks]


def _pem_jwks(client_id: str, pems: object) -> list[PublicJwk]:
    """`["-----BEGIN PUBLIC KEY-----..."]` (kid: the thumbprint) or `{"my-key": "-----BEGIN PUBLIC KEY-----..."}`."""
    if isinstance(pems, list) and all(isinstance(pem, str) for pem in pems):
        named: list[tuple[str | None, str]] = [(None, pem) for pem in pems]
    elif isinstance(pems, dict) and all(
        isinstance(kid, str) and kid and isinstance(pem, str) for kid, pem in pems.items()
    ):
        named = list(pems.items())
    else:
        raise ValueError(f"client {client_id!r}: public_keys_pem must be a list of PEM strings or an object kid: PEM")
    jwks = []
    for index, (kid, pem) in enumerate(named):
        try:
            key = public_key_of_pem(pem)
        except (ValueError, UnsupportedAlgorithm) as error:
            raise ValueError(f"client {client_id!r}: public_keys_pem[{kid or index!r}]: {error}") from None
        jwks.append(public_jwk(key, kid))
    return jwks


def _certificates(client_id: str, certificates: object) -> list[str]:
    """Each certificate as the standard base64 DER that `x5c` carries, whether given so or as PEM."""
    if not isinstance(certificates, list) or not all(isinstance(item, str) for item in certificates):
        raise ValueError(f"client {client_id!r}: certificates must be a list of PEM or base64 DER strings")
    normalised = []
    for index, certificate in enumerate(certificates):
        try:
            der_base64 = der_base64_of_certificate(certificate)
            public_key_of_certificate(der_base64)
        except (ValueError, TypeError, UnsupportedAlgorithm) as error:
            raise ValueError(
                f"client {client_id!r}: certificates[{index}] is not an RSA certificate (PEM or base64 DER): {error}"
            ) from None
        normalised.append(der_base64)
    return normalised


# Members of a private RSA JWK (RFC 7518 §6.3.2): dropped, should a user paste a private key by mistake.
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth"})
