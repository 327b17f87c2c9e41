"""Hand-made JWTs and keys for attacking the emulator: what PyJWT would refuse to make is built by hand."""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import hmac
import json
import uuid
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from emulator.maskinporten.keys import public_jwk, thumbprint

Json = dict[str, Any]


@functools.cache
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    """A 2048-bit key per name, made once per test session (PyJWT warns about shorter ones)."""
    del name  # only the cache key
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def kid_of(key: rsa.RSAPrivateKey) -> str:
    return thumbprint(key.public_key())


def jwk_of(key: rsa.RSAPrivateKey, kid: str | None = None) -> Json:
    return public_jwk(key.public_key(), kid)


def pem_of(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem_of(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: Json) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def unsigned(header: Json, claims: Json) -> str:
    """`alg: none` style: header and claims, an empty signature."""
    return f"{segment(header)}.{segment(claims)}."


def hs256(secret: bytes, header: Json, claims: Json) -> str:
    """HMAC-SHA256 by hand, since PyJWT refuses a PEM as an HMAC secret."""
    signing_input = f"{segment(header)}.{segment(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def rs256_by_hand(key: rsa.RSAPrivateKey, header: Json, claims: Json) -> str:
    """RS256 over any header and claims, for those PyJWT will not sign (a kid that is no string, say)."""
    signing_input = f"{segment(header)}.{segment(claims)}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def rs256(key: rsa.RSAPrivateKey, claims: Json, header: Json | None = None, algorithm: str = "RS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm, headers=header)


def with_claims(token: str, **changes: Any) -> str:
    """The same header and signature over changed claims: a tampered payload."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return f"{header}.{segment(claims)}.{signature}"


def header_of(token: str) -> Json:
    header: Json = jwt.get_unverified_header(token)
    return header


def claims_of(token: str) -> Json:
    claims: Json = jwt.decode(token, options={"verify_signature": False})
    return claims


def self_signed_certificate(key: rsa.RSAPrivateKey, organisation: str = "310000019") -> str:
    """A self-signed certificate for `key`, as standard base64 DER (the form `x5c` carries)."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "TESTVIRKSOMHET"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, organisation),
        ]
    )
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=36_500))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


# 2026-01-01T00:00:00Z: where the tests' ControlledClock stands.
NOW_MS = 1_767_225_600_000
NOW = NOW_MS // 1000


def assertion_claims(issuer: str, client_id: str, **changes: Any) -> dict[str, Any]:
    """A Maskinporten assertion's claims, valid at NOW; a change of None leaves that claim out."""
    values: dict[str, Any] = {
        "aud": issuer,
        "iss": client_id,
        "scope": "nav:helse/v1/trygdehendelser",
        "iat": NOW,
        "exp": NOW + 60,
        "jti": str(uuid.uuid4()),
    }
    values.update(changes)
    return {name: value for name, value in values.items() if value is not None}


def _name(common_name: str, organisation: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation is not None:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, organisation))
    return x509.Name(attributes)


def ca_certificate(key: rsa.RSAPrivateKey, name: str = "TEST CA", days: int = 3650) -> x509.Certificate:
    """A CA certificate valid around NOW, with the basicConstraints and keyUsage a real CA has."""
    start = datetime.datetime.fromtimestamp(NOW, tz=datetime.UTC) - datetime.timedelta(days=1)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(_name(name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def issued_certificate(
    key: rsa.RSAPrivateKey,
    issuer: x509.Certificate,
    issuer_key: rsa.RSAPrivateKey,
    *,
    valid_from: datetime.datetime | None = None,
    days: int = 365,
) -> x509.Certificate:
    """A virksomhetssertifikat-like leaf for `key`, issued by `issuer`, valid from a day before NOW by default."""
    start = valid_from or datetime.datetime.fromtimestamp(NOW, tz=datetime.UTC) - datetime.timedelta(days=1)
    return (
        x509.CertificateBuilder()
        .subject_name(_name("TESTVIRKSOMHET", "310000019"))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=days))
        .sign(issuer_key, hashes.SHA256())
    )


def der_base64(certificate: x509.Certificate) -> str:
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)
