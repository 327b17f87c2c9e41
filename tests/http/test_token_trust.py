"""Tokens as a consumer meets them over HTTP: unusable times, the two clocks, token ids, scopes, registered keys."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from emulator.maskinporten.authorization import JWT_BEARER
from emulator.maskinporten.tokens import API_SCOPE, MEDL_SCOPE
from emulator.settings import Settings
from emulator.testing import InProcessClient
from tests.conftest import AppFactory
from tests.tokencraft import (
    NOW,
    assertion_claims,
    b64url,
    claims_of,
    kid_of,
    public_pem_of,
    rs256,
    rs256_by_hand,
    rsa_key,
    segment,
    self_signed_certificate,
)

ISSUER = "http://127.0.0.1:8080/maskinporten/"
FEED = "/helse/v1/trygdehendelser/hendelser?hendelsesnummer=1&antallHendelser=1"
SUBSCRIPTION = {"Ocp-Apim-Subscription-Key": "local-subscription-key"}
EMULATOR_KEY = rsa_key("emulator")

# Times no clock can compare: ints of any size, floats past the year 9999, and what JSON parsers let through.
UNUSABLE_TIMES = [10**400, -(10**400), 10**20, 1e300, -1e300, math.inf, -math.inf]


def feed(http: InProcessClient, token: str) -> tuple[int, Any]:
    response = http.get(FEED, headers={**SUBSCRIPTION, "Authorization": f"Bearer {token}"})
    return response.status_code, response.json()


def exchange(http: InProcessClient, assertion: str) -> Any:
    return http.post("/maskinporten/token", data={"grant_type": JWT_BEARER, "assertion": assertion})


def emulator_token(**claims: Any) -> str:
    """A token signed by the emulator's own key, whatever its claims: JSON as Python writes it, NaN included."""
    base = {"iss": ISSUER, "iat": NOW, "exp": NOW + 120, "scope": API_SCOPE, "client_id": "klient"}
    return rs256_by_hand(EMULATOR_KEY, {"alg": "RS256", "kid": kid_of(EMULATOR_KEY)}, {**base, **claims})


def assertion(client_id: str = "ukjent-klient", key: str = "consumer", **changes: object) -> str:
    claims = assertion_claims(ISSUER, client_id, **{"scope": API_SCOPE, **changes})
    private = rsa_key(key)
    return rs256_by_hand(private, {"alg": "RS256", "kid": kid_of(private)}, claims)


# --- times no clock can compare ------------------------------------------------------------------------


@pytest.mark.parametrize("value", UNUSABLE_TIMES, ids=str)
@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
def test_an_access_token_with_an_unusable_time_is_the_gateways_401(
    shared_app: AppFactory, claim: str, value: float
) -> None:
    with InProcessClient(shared_app()) as http:
        status, body = feed(http, emulator_token(**{claim: value}))
    assert status == 401
    assert body == {
        "statusCode": 401,
        "message": f"Unauthorized. Access token is missing or invalid. The {claim} claim is out of range.",
    }


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
def test_an_access_token_with_nan_for_a_time_is_the_gateways_401(shared_app: AppFactory, claim: str) -> None:
    with InProcessClient(shared_app()) as http:
        status, body = feed(http, emulator_token(**{claim: math.nan}))
    assert (status, body["message"]) == (
        401,
        f"Unauthorized. Access token is missing or invalid. The {claim} claim is not a number.",
    )


def test_a_token_minted_with_a_huge_exp_is_refused_by_the_gateway_not_a_500(shared_app: AppFactory) -> None:
    with InProcessClient(shared_app()) as http:
        minted = http.post("/_emulator/tokens", json={"claims": {"exp": 10**400}})
        assert minted.status_code == 200, minted.text
        status, body = feed(http, minted.json()["access_token"])
        challenge = http.get(
            FEED, headers={**SUBSCRIPTION, "Authorization": f"Bearer {minted.json()['access_token']}"}
        ).headers["www-authenticate"]
    assert (status, body["statusCode"]) == (401, 401)
    assert challenge.startswith('Bearer error="invalid_token"')


@pytest.mark.parametrize("value", [*UNUSABLE_TIMES, math.nan], ids=str)
@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
def test_an_assertion_with_an_unusable_time_is_an_invalid_grant(
    shared_app: AppFactory, claim: str, value: float
) -> None:
    with InProcessClient(shared_app()) as http:
        response = exchange(http, assertion("ukjent-klient", "consumer", **{claim: value}))
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == "invalid_grant"


def test_an_assertion_with_more_digits_than_python_reads_is_an_invalid_grant(shared_app: AppFactory) -> None:
    claims = json.dumps({"aud": ISSUER, "iss": "ukjent-klient", "scope": API_SCOPE, "iat": NOW, "exp": 0})
    payload = claims.replace('"exp": 0', '"exp": 1' + "0" * 5000).encode()
    signing_input = f"{segment({'alg': 'RS256', 'kid': 'k'})}.{b64url(payload)}"
    signature = rsa_key("consumer").sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    with InProcessClient(shared_app()) as http:
        response = exchange(http, f"{signing_input}.{b64url(signature)}")
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


# --- token ids -----------------------------------------------------------------------------------------


def test_two_emulators_with_the_same_seed_mint_different_jtis(fresh_app: AppFactory) -> None:
    jtis = []
    for _ in range(2):
        with InProcessClient(fresh_app(seed=11)) as http:
            jtis += [claims_of(http.post("/_emulator/tokens", json={}).json()["access_token"])["jti"] for _ in range(3)]
    assert len(set(jtis)) == 6


# --- the two clocks ------------------------------------------------------------------------------------


def real_assertion(client_id: str) -> str:
    """An assertion as a consumer signs it: stamped with its own, real clock."""
    now = int(time.time())
    return assertion(client_id, iat=now, exp=now + 60)


@pytest.mark.parametrize(
    "move",
    [
        {"action": "advance", "seconds": 600},
        {"action": "set", "now": "2031-05-17T12:00:00Z"},
        {"action": "freeze"},
        {"action": "reset"},
    ],
    ids=["advance", "set", "freeze", "reset"],
)
def test_a_consumer_signing_on_real_time_gets_tokens_whatever_the_controlled_clock_does(
    signing_key_file: Any, move: dict[str, Any]
) -> None:
    """The assertion follows the consumer's clock; the access token and the gateway follow the controlled one."""
    from emulator.http.app import create_app  # noqa: PLC0415

    app = create_app(Settings(events=20, signing_key_file=signing_key_file))  # both clocks on real time
    with InProcessClient(app) as http:
        first = exchange(http, real_assertion("klokke-klient"))
        assert first.status_code == 200, first.text
        assert feed(http, first.json()["access_token"])[0] == 200
        assert http.post("/_emulator/clock", json={"action": "advance", "seconds": 600}).status_code == 200
        status, body = feed(http, first.json()["access_token"])
        assert (status, body["message"]) == (
            401,
            "Unauthorized. Access token is missing or invalid. The token has expired.",
        )
        assert http.post("/_emulator/clock", json=move).status_code == 200
        renewed = exchange(http, real_assertion("klokke-klient"))
        assert renewed.status_code == 200, renewed.text
        claims = claims_of(renewed.json()["access_token"])
        controlled_now = http.get("/_emulator/clock").json()["now_ms"] // 1000
        assert abs(claims["iat"] - controlled_now) <= 1
        assert claims["exp"] - claims["iat"] == 120
        assert feed(http, renewed.json()["access_token"])[0] == 200


# --- scopes: the MEDL API beside the feed --------------------------------------------------------------


@pytest.mark.parametrize("scope", [API_SCOPE, MEDL_SCOPE, f"{API_SCOPE} {MEDL_SCOPE}"], ids=["feed", "medl", "both"])
def test_the_demo_client_gets_the_feeds_scope_medls_or_both(shared_app: AppFactory, scope: str) -> None:
    form = {"grant_type": "client_credentials", "client_id": "trygdehendelser-demo", "client_secret": "demo-secret"}
    with InProcessClient(shared_app()) as http:
        response = http.post("/maskinporten/token", data={**form, "scope": scope})
    assert (response.status_code, response.json()["scope"]) == (200, scope)


def test_the_demo_client_gets_no_scope_it_is_not_registered_for_in_open_mode(shared_app: AppFactory) -> None:
    form = {"grant_type": "client_credentials", "client_id": "trygdehendelser-demo", "client_secret": "demo-secret"}
    with InProcessClient(shared_app()) as http:
        response = http.post("/maskinporten/token", data={**form, "scope": f"{API_SCOPE} nav:annet/v1/noe"})
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_scope",
        "error_description": "Client 'trygdehendelser-demo' may not ask for nav:annet/v1/noe",
    }


@pytest.mark.parametrize("scope", [MEDL_SCOPE, f"{API_SCOPE} {MEDL_SCOPE}"], ids=["medl", "both"])
def test_an_unregistered_client_in_open_mode_may_ask_for_medl_too(shared_app: AppFactory, scope: str) -> None:
    with InProcessClient(shared_app()) as http:
        response = exchange(http, assertion(scope=scope))
    assert (response.status_code, response.json()["scope"]) == (200, scope)


# --- registering a key as PEM --------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["list", "object"])
def test_a_client_registered_with_a_pem_public_key_gets_a_token_and_reads_the_feed(
    shared_app: AppFactory, form: str
) -> None:
    client_id = f"pem-klient-{form}"
    key = rsa_key(client_id)
    pem = public_pem_of(key).decode()
    kid = kid_of(key) if form == "list" else "min-nokkel"
    keys: Any = [pem] if form == "list" else {kid: pem}
    app = shared_app(auth_mode="strict")
    with InProcessClient(app) as http:
        registered = http.post("/_emulator/clients", json={"client_id": client_id, "public_keys_pem": keys})
        assert registered.status_code == 201, registered.text
        claims = {"aud": ISSUER, "iss": client_id, "scope": API_SCOPE, "iat": NOW, "exp": NOW + 60, "jti": client_id}
        response = exchange(http, rs256(key, claims, {"kid": kid}))
        assert response.status_code == 200, response.text
        assert feed(http, response.json()["access_token"])[0] == 200


def test_a_client_registered_with_a_pem_certificate_signs_with_x5c(shared_app: AppFactory) -> None:
    key = rsa_key("pem-sertifikat")
    der = self_signed_certificate(key)
    pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(der[i : i + 64] for i in range(0, len(der), 64))
    pem += "\n-----END CERTIFICATE-----\n"
    app = shared_app(auth_mode="strict")
    with InProcessClient(app) as http:
        registered = http.post("/_emulator/clients", json={"client_id": "pem-sertifikat", "certificates": [pem]})
        assert registered.status_code == 201, registered.text
        claims = {"aud": ISSUER, "iss": "pem-sertifikat", "scope": API_SCOPE, "iat": NOW, "exp": NOW + 60, "jti": "c1"}
        response = exchange(http, rs256(key, claims, {"x5c": [der]}))
    assert response.status_code == 200, response.text
    assert claims_of(response.json()["access_token"])["client_amr"] == "virksomhetssertifikat"


@pytest.mark.parametrize(
    ("keys", "reason"),
    [
        (["not a key"], "public_keys_pem[0]"),
        ([public_pem_of(rsa_key("x")).decode().replace("PUBLIC", "PRIVATE")], "this is a private key"),
    ],
    ids=["garbage", "private"],
)
def test_an_unusable_pem_key_is_a_400_that_says_why(shared_app: AppFactory, keys: Any, reason: str) -> None:
    with InProcessClient(shared_app()) as http:
        response = http.post("/_emulator/clients", json={"client_id": "feil-pem", "public_keys_pem": keys})
    assert response.status_code == 400
    assert reason in response.json()["detail"]
