"""Digdir's Maskinporten, as a local token server: keys, clients, the JWT-bearer assertion, grants and tokens.

`AuthorizationServer` is the token endpoint's logic (grants dispatched through a table, open and strict modes);
`TokenIssuer` signs access tokens in Maskinporten's shape and `TokenVerifier` checks them for the gateway,
against this server's key and any trusted issuers' JWKS.
"""

from emulator.maskinporten.authorization import AuthorizationServer, TokenRequest
from emulator.maskinporten.certificates import TrustAnchors
from emulator.maskinporten.clients import DEFAULT_ORGANISATION, ClientRegistry, client_from_dict
from emulator.maskinporten.keys import SigningKey
from emulator.maskinporten.replay import ReplayGuard
from emulator.maskinporten.tokens import (
    API_SCOPE,
    MEDL_SCOPE,
    InvalidTokenError,
    TokenIssuer,
    TokenVerifier,
    TrustedIssuer,
    Validity,
    granted_scopes,
)
from emulator.maskinporten.trust import parse_trusted_issuers, trusted_issuer

__all__ = [
    "API_SCOPE",
    "DEFAULT_ORGANISATION",
    "MEDL_SCOPE",
    "AuthorizationServer",
    "ClientRegistry",
    "InvalidTokenError",
    "ReplayGuard",
    "SigningKey",
    "TokenIssuer",
    "TokenRequest",
    "TokenVerifier",
    "TrustAnchors",
    "TrustedIssuer",
    "Validity",
    "client_from_dict",
    "granted_scopes",
    "parse_trusted_issuers",
    "trusted_issuer",
]
