"""RSA keys: the emulator's signing key (generated, or the user's PEM/JWK file) and public JWK sets."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

PublicJwk = dict[str, Any]


@dataclass(frozen=True)
class SigningKey:
    """A private RSA key and its public half as a JWK, `kid` being its RFC 7638 thumbprint."""

    private_key: rsa.RSAPrivateKey
    kid: str

    @classmethod
    def generate(cls) -> SigningKey:
        return cls.of(rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def of(cls, private_key: rsa.RSAPrivateKey, kid: str | None = None) -> SigningKey:
        return cls(private_key=private_key, kid=kid or thumbprint(private_key.public_key()))

    @classmethod
    def load(cls, path: Path) -> SigningKey:
        """A PEM (PKCS#1 or PKCS#8) or a private JWK; a JWK's own `kid` is kept."""
        text = path.read_bytes()
        if text.lstrip().startswith(b"{"):
            jwk = json.loads(text)
            key = RSAAlgorithm.from_jwk(jwk)
            if not isinstance(key, rsa.RSAPrivateKey):
                raise ValueError(f"{path} holds no private RSA key")
            return cls.of(key, jwk.get("kid"))
        pem_key = serialization.load_pem_private_key(text, password=None)
        if not isinstance(pem_key, rsa.RSAPrivateKey):
            raise ValueError(f"{path} holds no private RSA key")
        return cls.of(pem_key)

    @property
    def public_jwk(self) -> PublicJwk:
        return public_jwk(self.private_key.public_key(), self.kid)


def public_jwk(key: rsa.RSAPublicKey, kid: str | None = None) -> PublicJwk:
    jwk: PublicJwk = json.loads(RSAAlgorithm.to_jwk(key))
    jwk.pop("key_ops", None)  # RFC 7517 §4.3: "use" says it already
    jwk.update({"kid": kid or thumbprint(key), "use": "sig", "alg": "RS256"})
    return jwk


def public_key_of_jwk(jwk: PublicJwk) -> rsa.RSAPublicKey:
    key = RSAAlgorithm.from_jwk(jwk)
    if isinstance(key, rsa.RSAPrivateKey):
        return key.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA key")
    return key


def public_key_of_certificate(der_base64: str) -> rsa.RSAPublicKey:
    """The key of the first certificate of an `x5c` chain (standard base64 DER, RFC 7515 §4.1.6)."""
    certificate = x509.load_der_x509_certificate(base64.b64decode(der_base64, validate=True))
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the certificate does not hold an RSA key")
    return key


def public_key_of_pem(pem: str) -> rsa.RSAPublicKey:
    """An RSA public key from PEM: `BEGIN PUBLIC KEY` (SPKI), `BEGIN RSA PUBLIC KEY` (PKCS#1) or a certificate."""
    text = pem.strip().encode()
    if b"PRIVATE KEY-----" in text:
        raise ValueError("this is a private key: register its public half (openssl rsa -pubout)")
    if b"-----BEGIN CERTIFICATE-----" in text:
        key: object = x509.load_pem_x509_certificate(text).public_key()
    else:
        key = serialization.load_pem_public_key(text)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def der_base64_of_certificate(certificate: str) -> str:
    """A PEM certificate as the standard base64 DER of `x5c`; base64 DER is returned as it is."""
    if "-----BEGIN CERTIFICATE-----" in certificate:
        der = x509.load_pem_x509_certificate(certificate.strip().encode()).public_bytes(serialization.Encoding.DER)
        return base64.b64encode(der).decode()
    return certificate


def thumbprint(key: rsa.RSAPublicKey) -> str:
    """RFC 7638: sha256 over the canonical JSON of the required members, base64url without padding."""
    numbers = key.public_numbers()
    canonical = json.dumps(
        {"e": _b64_uint(numbers.e), "kty": "RSA", "n": _b64_uint(numbers.n)},
        separators=(",", ":"),
        sort_keys=True,
    )
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def same_key(first: rsa.RSAPublicKey, second: rsa.RSAPublicKey) -> bool:
    return first.public_numbers() == second.public_numbers()


def _b64_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
