"""The JWT-bearer assertion on its own: read, its key, its signature and its claims, as Maskinporten judges them."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.clock import ControlledClock
from emulator.errors import OAuthError
from emulator.maskinporten import assertions
from emulator.maskinporten.assertions import ASSERTION_CLOCK_SKEW_SECONDS, ASSERTION_MAX_LIFETIME_SECONDS
from emulator.maskinporten.clients import DEFAULT_ORGANISATION
from emulator.maskinporten.replay import ReplayGuard
from tests.tokencraft import NOW, NOW_MS, assertion_claims, rs256, rsa_key, unsigned

ISSUER = "http://127.0.0.1:8080/maskinporten/"


def check(claims: dict[str, Any], *, require_jti: bool = False, replay: ReplayGuard | None = None) -> None:
    guard = replay or ReplayGuard(ControlledClock(frozen_at_ms=NOW_MS))
    assertions.check_claims(claims, audiences=(ISSUER,), now_s=NOW, require_jti=require_jti, replay=guard)


def test_a_well_formed_assertion_passes_every_rule() -> None:
    check(assertion_claims(ISSUER, "klient"))


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"aud": "https://test.maskinporten.no/"}, "aud must be"),
        ({"aud": [ISSUER, "other"]}, "aud must be"),
        ({"iat": None}, "iat and exp must both be present"),
        ({"exp": "soon"}, "iat and exp must both be present"),
        ({"iat": NOW + ASSERTION_CLOCK_SKEW_SECONDS + 1}, "from the server's time"),
        ({"iat": NOW - 30, "exp": NOW - 1}, "from the server's time"),
        ({"exp": NOW + ASSERTION_MAX_LIFETIME_SECONDS + 1}, "s after iat"),
        ({"iat": NOW - 5, "exp": NOW}, "it has expired"),
        ({"jti": 7}, "jti must be a string"),
    ],
    ids=["aud-other", "aud-two", "iat-missing", "exp-text", "iat-future", "iat-past", "too-long", "expired", "jti-int"],
)
def test_each_broken_rule_is_an_invalid_grant_that_names_it(changes: dict[str, Any], reason: str) -> None:
    claims = {**assertion_claims(ISSUER, "klient"), **changes}
    claims = {name: value for name, value in claims.items() if value is not None}
    with pytest.raises(OAuthError, match=reason) as refused:
        check(claims)
    assert refused.value.error == "invalid_grant"


def test_aud_as_a_list_of_one_is_the_issuer() -> None:
    check({**assertion_claims(ISSUER, "klient"), "aud": [ISSUER]})


def test_jti_is_required_only_when_asked_and_never_twice() -> None:
    claims = assertion_claims(ISSUER, "klient")
    without = {name: value for name, value in claims.items() if name != "jti"}
    check(without)
    with pytest.raises(OAuthError, match="jti is required"):
        check(without, require_jti=True)
    replay = ReplayGuard(ControlledClock(frozen_at_ms=NOW_MS))
    replay.remember(claims["jti"], float(claims["exp"]))
    with pytest.raises(OAuthError, match="has been used before"):
        check(claims, replay=replay)


@pytest.mark.parametrize("alg", ["none", "HS256", "ES256", "PS256"], ids=str)
def test_reading_refuses_any_algorithm_maskinporten_does_not_take(alg: str) -> None:
    with pytest.raises(OAuthError, match="alg must be one of RS256, RS384, RS512"):
        assertions.read(unsigned({"alg": alg, "kid": "k"}, assertion_claims(ISSUER, "klient")))


def test_a_signature_by_another_key_does_not_verify() -> None:
    token = rs256(rsa_key("signer"), assertion_claims(ISSUER, "klient"), {"kid": "k"})
    with pytest.raises(OAuthError, match="signature does not verify"):
        assertions.verified(token, "RS256", rsa_key("someone else").public_key())
    assert assertions.verified(token, "RS256", rsa_key("signer").public_key())["iss"] == "klient"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ({}, "needs kid or x5c"),
        ({"x5c": "abc"}, "x5c must be a list"),
        ({"x5c": ["AAAA"]}, "not a base64 DER certificate"),
    ],
    ids=["neither", "x5c-not-list", "x5c-garbage"],
)
def test_an_assertion_without_a_usable_key_reference_is_refused(header: dict[str, Any], reason: str) -> None:
    with pytest.raises(OAuthError, match=reason):
        assertions.signing_key(header, None)


def test_an_unregistered_client_with_only_a_kid_cannot_be_verified() -> None:
    assert assertions.signing_key({"kid": "k"}, None) == (None, "private_key_jwt")


@pytest.mark.parametrize(
    ("claims", "organisation"),
    [
        ({"consumer_org": "987654321"}, "987654321"),
        ({"consumer_org": "12"}, DEFAULT_ORGANISATION),
        ({}, DEFAULT_ORGANISATION),
    ],
    ids=["nine-digits", "too-short", "absent"],
)
def test_consumer_org_is_taken_only_when_it_is_an_organisation_number(
    claims: dict[str, Any], organisation: str
) -> None:
    assert assertions.consumer_org(claims) == organisation
