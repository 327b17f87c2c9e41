"""RSA keys: generated or loaded signing keys, RFC 7638 thumbprints, public JWKs, x5c certificates."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import RSAAlgorithm

from emulator.maskinporten.keys import (
    SigningKey,
    public_jwk,
    public_key_of_certificate,
    public_key_of_jwk,
    same_key,
    thumbprint,
)
from tests.tokencraft import jwk_of, pem_of, rsa_key, self_signed_certificate

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}

# RFC 7638 §3.1: the example key and its thumbprint.
RFC_7638_N = (
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs"
    "tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5"
    "hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
)
RFC_7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_the_kid_is_the_rfc_7638_thumbprint_of_the_rfcs_example() -> None:
    key = public_key_of_jwk({"kty": "RSA", "n": RFC_7638_N, "e": "AQAB"})
    assert thumbprint(key) == RFC_7638_THUMBPRINT


def test_a_generated_key_is_2048_bit_rsa_named_by_its_thumbprint() -> None:
    key = SigningKey.generate()
    assert key.private_key.key_size == 2048
    assert key.kid == thumbprint(key.private_key.public_key())
    assert SigningKey.generate().kid != key.kid


def test_the_public_jwk_is_public_only_and_says_how_it_signs() -> None:
    key = SigningKey.of(rsa_key("emulator"))
    jwk = key.public_jwk
    assert set(jwk) == {"kty", "n", "e", "kid", "use", "alg"}
    assert PRIVATE_MEMBERS.isdisjoint(jwk)
    assert (jwk["kty"], jwk["use"], jwk["alg"], jwk["kid"]) == ("RSA", "sig", "RS256", key.kid)
    assert same_key(public_key_of_jwk(jwk), key.private_key.public_key())


def test_a_token_signed_with_the_key_verifies_with_its_public_jwk() -> None:
    key = SigningKey.of(rsa_key("emulator"))
    token = jwt.encode({"a": 1}, key.private_key, algorithm="RS256", headers={"kid": key.kid})
    assert jwt.decode(token, jwt.PyJWK(key.public_jwk).key, algorithms=["RS256"]) == {"a": 1}


def test_an_explicit_kid_is_kept() -> None:
    assert SigningKey.of(rsa_key("emulator"), "min-nokkel").public_jwk["kid"] == "min-nokkel"


def _pkcs1(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )


def _private_jwk(key: rsa.RSAPrivateKey, kid: str | None) -> bytes:
    jwk = RSAAlgorithm.to_jwk(key, as_dict=True)
    if kid is not None:
        jwk["kid"] = kid
    return json.dumps(jwk, indent=2).encode()


@pytest.mark.parametrize(
    ("content", "kid"),
    [
        (pem_of, None),
        (_pkcs1, None),
        (lambda key: _private_jwk(key, "fra-fil"), "fra-fil"),
        (lambda key: b"\n  " + _private_jwk(key, None), None),
    ],
    ids=["pkcs8-pem", "pkcs1-pem", "private-jwk-with-kid", "private-jwk-without-kid"],
)
def test_a_signing_key_loads_from_pem_or_private_jwk(
    tmp_path: Path, content: Callable[[rsa.RSAPrivateKey], bytes], kid: str | None
) -> None:
    key = rsa_key("emulator")
    path = tmp_path / "key"
    path.write_bytes(content(key))
    loaded = SigningKey.load(path)
    assert same_key(loaded.private_key.public_key(), key.public_key())
    assert loaded.kid == (kid or thumbprint(key.public_key()))


def _ec_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.mark.parametrize(
    "content",
    [
        _ec_pem,
        lambda: json.dumps(jwk_of(rsa_key("emulator"))).encode(),
        lambda: json.dumps({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}).encode(),
        lambda: b"not a key",
    ],
    ids=["ec-pem", "public-jwk", "ec-jwk", "garbage"],
)
def test_a_file_without_a_private_rsa_key_is_refused(tmp_path: Path, content: Callable[[], bytes]) -> None:
    path = tmp_path / "key"
    path.write_bytes(content())
    with pytest.raises((ValueError, jwt.PyJWTError)):
        SigningKey.load(path)


def test_a_private_jwk_yields_its_public_key() -> None:
    private = json.loads(_private_jwk(rsa_key("client"), "k"))
    assert same_key(public_key_of_jwk(private), rsa_key("client").public_key())


@pytest.mark.parametrize(
    "jwk",
    [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}, {"kty": "oct", "k": "c2VjcmV0"}, {"kty": "RSA"}],
    ids=["ec", "symmetric", "rsa-without-modulus"],
)
def test_a_jwk_that_is_no_rsa_key_is_refused(jwk: dict[str, str]) -> None:
    with pytest.raises((ValueError, jwt.PyJWTError)):
        public_key_of_jwk(jwk)


def test_the_key_of_an_x5c_certificate_is_read() -> None:
    key = rsa_key("holder")
    assert same_key(public_key_of_certificate(self_signed_certificate(key)), key.public_key())
    assert not same_key(public_key_of_certificate(self_signed_certificate(key)), rsa_key("client").public_key())


@pytest.mark.parametrize(
    ("der_base64", "message"),
    [
        ("not base64!", "base64"),
        (base64.urlsafe_b64encode(b"\xfb\xff" * 20).decode(), "base64"),
        (base64.b64encode(b"not a certificate").decode(), "asn1"),
        ("", "asn1"),
    ],
    ids=["not-base64", "base64url-instead-of-base64", "not-a-certificate", "empty"],
)
def test_an_x5c_entry_that_is_no_certificate_is_refused(der_base64: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        public_key_of_certificate(der_base64)


def test_public_jwk_names_a_key_by_its_thumbprint_unless_told() -> None:
    key = rsa_key("client").public_key()
    assert public_jwk(key)["kid"] == thumbprint(key)
    assert public_jwk(key, "x")["kid"] == "x"
