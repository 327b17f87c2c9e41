"""The gateway's checks without HTTP: where credentials come from, the order of checks, what gets through."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.clock import ControlledClock
from emulator.errors import GatewayError
from emulator.gateway.admission import (
    INVALID_KEY,
    MISSING_KEY,
    UNAUTHORIZED,
    Credentials,
    Gateway,
)
from emulator.maskinporten.keys import SigningKey
from emulator.maskinporten.tokens import API_SCOPE, TokenIssuer, TokenVerifier, TrustedIssuer
from emulator.settings import Settings
from tests.tokencraft import NOW, NOW_MS, rs256, rsa_key

ISSUER = "https://maskinporten.test/"
REALM = "https://api.nav.no/helse/v1/trygdehendelser"
KEY = rsa_key("emulator")
SIGNING_KEY = SigningKey.of(KEY)


def make_gateway(keys: tuple[str, ...] = ("nøkkel",)) -> tuple[Gateway, TokenIssuer]:
    clock = ControlledClock(frozen_at_ms=NOW_MS)
    issuer = TokenIssuer(ISSUER, SIGNING_KEY, clock, 120)
    own = TrustedIssuer(ISSUER, lambda kid: KEY.public_key() if kid == SIGNING_KEY.kid else None)
    return Gateway(keys, TokenVerifier([own], clock)), issuer


def token(issuer: TokenIssuer, scope: str = API_SCOPE, **claims: Any) -> str:
    return issuer.issue(
        client_id="klient",
        organisation_number="310000019",
        scope=scope,
        client_amr="private_key_jwt",
        extra_claims=claims,
    ).access_token


def credentials(key: str | None = "nøkkel", authorization: str | None = None, realm: str = REALM) -> Credentials:
    return Credentials(subscription_key=key, authorization=authorization, realm=realm)


def refusal(gateway: Gateway, presented: Credentials) -> tuple[int, str, dict[str, str]]:
    with pytest.raises(GatewayError) as caught:
        gateway.admit(presented, API_SCOPE)
    return caught.value.status, caught.value.message, caught.value.headers


@pytest.mark.parametrize(
    ("headers", "query", "expected"),
    [
        ({"ocp-apim-subscription-key": "h"}, {"subscription-key": "q"}, "h"),
        ({}, {"subscription-key": "q"}, "q"),
        ({"ocp-apim-subscription-key": ""}, {"subscription-key": "q"}, ""),
        ({}, {}, None),
    ],
    ids=["header-wins", "query-when-no-header", "an-empty-header-still-wins", "neither"],
)
def test_the_subscription_key_comes_from_the_header_before_the_query(
    headers: dict[str, str], query: dict[str, str], expected: str | None
) -> None:
    presented = Credentials.from_request(headers.get("ocp-apim-subscription-key"), query, "Bearer x", REALM)
    assert presented == Credentials(subscription_key=expected, authorization="Bearer x", realm=REALM)


@pytest.mark.parametrize(
    ("text", "keys"),
    # A list that names no key at all is refused by Settings (tests/test_settings.py).
    [("a", ["a"]), (" a , b ,, c ", ["a", "b", "c"]), ("b,a,b", ["b", "a"])],
    ids=["one", "spaces-and-empties", "each-once"],
)
def test_subscription_keys_are_a_comma_separated_list(text: str, keys: list[str]) -> None:
    assert list(Settings(subscription_keys=text).accepted_subscription_keys) == keys


def test_an_admitted_request_names_its_key_and_the_tokens_client() -> None:
    gateway, issuer = make_gateway(("a", "nøkkel"))
    assert gateway.admit(credentials(authorization=f"Bearer {token(issuer)}"), API_SCOPE)[:2] == (2, "klient")


@pytest.mark.parametrize(
    ("claims", "client_id"),
    [
        ({"client_id": "c", "azp": "a", "sub": "s"}, "c"),
        ({"azp": "a", "sub": "s"}, "a"),
        ({"sub": "s"}, "s"),
        ({}, None),
        ({"client_id": 7}, None),
    ],
    ids=["client-id", "azp", "sub", "none", "not-a-string"],
)
def test_the_client_is_client_id_then_azp_then_sub(claims: dict[str, Any], client_id: str | None) -> None:
    gateway, _ = make_gateway()
    forged = rs256(
        KEY, {"iss": ISSUER, "iat": NOW, "exp": NOW + 60, "scope": API_SCOPE, **claims}, {"kid": SIGNING_KEY.kid}
    )
    assert gateway.admit(credentials(authorization=f"Bearer {forged}"), API_SCOPE).client_id == client_id


def test_the_first_failing_check_decides_key_then_token_then_scope() -> None:
    gateway, issuer = make_gateway()
    key_challenge = f'AzureApiManagementKey realm="{REALM}",name="Ocp-Apim-Subscription-Key",type="header"'
    assert refusal(gateway, credentials(None, "Bearer x")) == (401, MISSING_KEY, {"WWW-Authenticate": key_challenge})
    assert refusal(gateway, credentials("", "Bearer x")) == (401, MISSING_KEY, {"WWW-Authenticate": key_challenge})
    assert refusal(gateway, credentials("feil", None)) == (401, INVALID_KEY, {"WWW-Authenticate": key_challenge})
    assert refusal(gateway, credentials("nøkkel", None)) == (
        401,
        UNAUTHORIZED,
        {"WWW-Authenticate": f'Bearer realm="{REALM}"'},
    )
    status, message, headers = refusal(gateway, credentials("nøkkel", "Bearer x"))
    assert (status, message) == (401, f"{UNAUTHORIZED} The token is not a JWT.")
    assert headers == {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="the token is not a JWT"'}
    assert refusal(gateway, credentials("nøkkel", f"Bearer {token(issuer, 'nav:annet')}")) == (
        403,
        f"Forbidden. The access token does not grant the scope {API_SCOPE}.",
        {"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{API_SCOPE}"'},
    )


@pytest.mark.parametrize(
    "authorization",
    ["  Bearer   {token}  ", "BEARER {token}"],
    ids=["surrounding-spaces", "upper-case-scheme"],
)
def test_the_bearer_header_is_read_leniently_as_rfc_6750_allows(authorization: str) -> None:
    gateway, issuer = make_gateway()
    presented = credentials(authorization=authorization.format(token=token(issuer)))
    assert gateway.admit(presented, API_SCOPE).client_id == "klient"


def test_a_tab_is_no_separator_after_bearer() -> None:
    gateway, issuer = make_gateway()
    assert refusal(gateway, credentials(authorization=f"Bearer\t{token(issuer)}"))[0] == 401


@pytest.mark.parametrize(
    ("kid", "expected"),
    [
        ('a"b', "no trusted issuer has a key with kid 'a?b'"),
        ("a\r\nSet-Cookie: x=y", "no trusted issuer has a key with kid 'a?r?nSet-Cookie: x=y'"),
        ("ø", "no trusted issuer has a key with kid '?'"),
        ("a\\", "no trusted issuer has a key with kid 'a??'"),
    ],
    ids=["double-quote", "crlf", "non-ascii", "backslash"],
)
def test_the_challenge_never_carries_unsafe_characters_from_the_token(kid: str, expected: str) -> None:
    gateway, _ = make_gateway()
    forged = rs256(KEY, {"iss": ISSUER, "iat": NOW, "exp": NOW + 60}, {"kid": kid})
    _, _, headers = refusal(gateway, credentials(authorization=f"Bearer {forged}"))
    assert headers["WWW-Authenticate"] == f'Bearer error="invalid_token", error_description="{expected}"'


def test_the_challenge_is_cut_at_200_characters() -> None:
    gateway, _ = make_gateway()
    forged = rs256(KEY, {"iss": ISSUER, "iat": NOW, "exp": NOW + 60}, {"kid": "k" * 1000})
    _, _, headers = refusal(gateway, credentials(authorization=f"Bearer {forged}"))
    description = headers["WWW-Authenticate"].split('error_description="')[1]
    assert len(description) == 200 + 1  # and its closing quote


def test_the_realm_is_made_header_safe_too() -> None:
    gateway, _ = make_gateway()
    _, _, headers = refusal(gateway, credentials(None, realm='http://x"y/\u00e6'))
    assert headers["WWW-Authenticate"].startswith('AzureApiManagementKey realm="http://x?y/?",')
