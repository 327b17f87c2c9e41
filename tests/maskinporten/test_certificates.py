"""An assertion's x5c chain in strict mode: within its validity period, and from a CA among the trust anchors."""

from __future__ import annotations

import datetime
import random
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from emulator.clock import ControlledClock
from emulator.errors import OAuthError
from emulator.maskinporten.authorization import JWT_BEARER, AuthorizationServer, TokenRequest
from emulator.maskinporten.certificates import INVALID_CERTIFICATE, TrustAnchors, chain_of
from emulator.maskinporten.clients import Client, ClientRegistry
from emulator.maskinporten.keys import SigningKey
from emulator.maskinporten.replay import ReplayGuard
from emulator.maskinporten.tokens import API_SCOPE, TokenIssuer
from emulator.settings import Mode
from tests.tokencraft import (
    NOW,
    NOW_MS,
    assertion_claims,
    ca_certificate,
    der_base64,
    issued_certificate,
    pem,
    rs256,
    rsa_key,
)

ISSUER = "https://maskinporten.test/"
CA_KEY = rsa_key("ca")
CA = ca_certificate(CA_KEY)
OTHER_CA_KEY = rsa_key("other ca")
OTHER_CA = ca_certificate(OTHER_CA_KEY, "OTHER CA")
HOLDER = rsa_key("certificate holder")
DAY = datetime.timedelta(days=1)
START = datetime.datetime.fromtimestamp(NOW, tz=datetime.UTC)

VALID = issued_certificate(HOLDER, CA, CA_KEY)
EXPIRED = issued_certificate(HOLDER, CA, CA_KEY, valid_from=START - 400 * DAY, days=365)
NOT_YET = issued_certificate(HOLDER, CA, CA_KEY, valid_from=START + 2 * DAY)
FROM_OTHER_CA = issued_certificate(HOLDER, OTHER_CA, OTHER_CA_KEY)


def server(mode: Mode, anchors: TrustAnchors, certificate: x509.Certificate) -> AuthorizationServer:
    clock = ControlledClock(frozen_at_ms=NOW_MS)
    issuer = TokenIssuer(ISSUER, SigningKey.of(rsa_key("emulator")), clock, 120)
    client = Client("sertifikat-klient", scopes=frozenset({API_SCOPE}), certificates=(der_base64(certificate),))
    registry = ClientRegistry([client])
    return AuthorizationServer(issuer, registry, mode, clock, ReplayGuard(clock), trust_anchors=anchors)


def request(chain: list[x509.Certificate], **changes: Any) -> TokenRequest:
    claims = assertion_claims(ISSUER, "sertifikat-klient", **changes)
    token = rs256(HOLDER, claims, {"x5c": [der_base64(certificate) for certificate in chain]})
    return TokenRequest({"grant_type": JWT_BEARER, "assertion": token})


def refusal(authorization: AuthorizationServer, token_request: TokenRequest) -> tuple[str, str]:
    with pytest.raises(OAuthError) as refused:
        authorization.token(token_request)
    return refused.value.error, refused.value.message


def test_a_chain_from_a_trusted_ca_gets_a_token_in_strict_mode() -> None:
    authorization = server(Mode.STRICT, TrustAnchors([CA]), VALID)
    assert authorization.token(request([VALID, CA])).scope == API_SCOPE
    assert authorization.token(request([VALID])).scope == API_SCOPE  # the anchor need not be sent


@pytest.mark.parametrize(
    ("certificate", "anchors", "reason"),
    [
        (EXPIRED, [CA], "expired 2025-"),
        (NOT_YET, [CA], "is not valid before 2026-01-03"),
        (FROM_OTHER_CA, [CA], "does not chain to a trusted CA"),
        (VALID, [OTHER_CA], "does not chain to a trusted CA"),
        (EXPIRED, [], "expired 2025-"),
    ],
    ids=["expired", "not-yet-valid", "unknown-ca", "anchors-of-another-ca", "expired-without-anchors"],
)
def test_strict_mode_refuses_a_certificate_out_of_date_or_from_an_untrusted_ca_with_mp_120(
    certificate: x509.Certificate, anchors: list[x509.Certificate], reason: str
) -> None:
    authorization = server(Mode.STRICT, TrustAnchors(anchors), certificate)
    error, message = refusal(authorization, request([certificate]))
    assert error == "invalid_grant"
    assert message.startswith(f"{INVALID_CERTIFICATE}: the certificate ")
    assert reason in message


def test_open_mode_leaves_the_chain_unjudged() -> None:
    authorization = server(Mode.OPEN, TrustAnchors([CA]), EXPIRED)
    assert authorization.token(request([EXPIRED])).scope == API_SCOPE


def test_without_anchors_strict_mode_trusts_the_registered_certificate_in_its_period() -> None:
    authorization = server(Mode.STRICT, TrustAnchors(), FROM_OTHER_CA)
    assert authorization.token(request([FROM_OTHER_CA])).scope == API_SCOPE


def test_the_validity_period_is_judged_on_the_consumers_clock_not_the_controlled_one() -> None:
    controlled = ControlledClock(frozen_at_ms=NOW_MS + 800 * 86_400_000)  # a test moved it two years on
    issuer = TokenIssuer(ISSUER, SigningKey.of(rsa_key("emulator")), controlled, 120)
    wall = ControlledClock(frozen_at_ms=NOW_MS)
    client = Client("sertifikat-klient", scopes=frozenset({API_SCOPE}), certificates=(der_base64(VALID),))
    authorization = AuthorizationServer(
        issuer, ClientRegistry([client]), Mode.STRICT, wall, ReplayGuard(wall), trust_anchors=TrustAnchors([CA])
    )
    assert authorization.token(request([VALID])).scope == API_SCOPE


def test_trust_anchors_load_every_certificate_of_a_pem_file(tmp_path: Path) -> None:
    path = tmp_path / "anchors.pem"
    path.write_bytes(pem(CA) + pem(OTHER_CA))
    assert TrustAnchors.load(path).anchors == (CA, OTHER_CA)


@pytest.mark.parametrize("content", [b"", b"not a certificate"], ids=["empty", "garbage"])
def test_a_trust_anchors_file_without_a_certificate_is_an_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "anchors.pem"
    path.write_bytes(content)
    with pytest.raises(ValueError):  # noqa: PT011 - cryptography's own wording
        TrustAnchors.load(path)


@pytest.mark.parametrize(
    ("x5c", "reason"),
    [
        ("abc", "x5c must be a list"),
        ([], "x5c must be a list"),
        ([7], "x5c must be a list"),
        (["AAAA"], "x5c[0] is not a base64 DER certificate"),
        ([der_base64(VALID), "!!"], "x5c[1] is not a base64 DER certificate"),
    ],
    ids=["a-string", "empty", "a-number", "garbage-leaf", "garbage-intermediate"],
)
def test_an_unreadable_chain_is_an_invalid_grant(x5c: object, reason: str) -> None:
    with pytest.raises(OAuthError) as refused:
        chain_of(x5c)
    assert refused.value.error == "invalid_grant"
    assert reason in refused.value.message


def test_a_random_certificate_order_does_not_matter_to_the_leaf_being_first() -> None:
    """The leaf is x5c[0] (RFC 7515); what follows may come in any order for the verifier."""
    intermediates = [CA, OTHER_CA]
    random.Random(3).shuffle(intermediates)
    authorization = server(Mode.STRICT, TrustAnchors([CA]), VALID)
    assert authorization.token(request([VALID, *intermediates])).scope == API_SCOPE
