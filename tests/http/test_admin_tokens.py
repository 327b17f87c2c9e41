"""The control plane's token mint and client registration, over HTTP, judged by the gateway and the token endpoint."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from jwt.algorithms import RSAAlgorithm

from emulator.backend import Backend
from emulator.maskinporten.authorization import JWT_BEARER
from emulator.maskinporten.clients import DEFAULT_ORGANISATION
from emulator.maskinporten.tokens import API_SCOPE
from emulator.testing import InProcessClient
from tests.conftest import AppFactory
from tests.tokencraft import (
    NOW,
    assertion_claims,
    claims_of,
    header_of,
    jwk_of,
    kid_of,
    rs256,
    rsa_key,
    self_signed_certificate,
)

ISSUER = "http://127.0.0.1:8080/maskinporten/"
FEED = "/helse/v1/trygdehendelser/hendelser?hendelsesnummer=1&antallHendelser=1"
SUBSCRIPTION = {"Ocp-Apim-Subscription-Key": "local-subscription-key"}


@pytest.fixture
def app(shared_app: AppFactory) -> FastAPI:
    return shared_app()


def post(app: FastAPI, path: str, body: dict[str, Any]) -> Any:
    with InProcessClient(app) as http:
        return http.post(path, json=body)


def mint(app: FastAPI, **request: Any) -> dict[str, Any]:
    response = post(app, "/_emulator/tokens", request)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def feed_status(app: FastAPI, token: str) -> tuple[int, Any]:
    with InProcessClient(app) as http:
        response = http.get(FEED, headers={**SUBSCRIPTION, "Authorization": f"Bearer {token}"})
    return response.status_code, response.json()


def test_a_minted_token_by_default_is_maskinportens_with_the_api_scope(app: FastAPI) -> None:
    body = mint(app)
    assert list(body) == ["access_token", "token_type", "expires_in", "scope"]
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 120, API_SCOPE)
    token = body["access_token"]
    assert header_of(token) == {"alg": "RS256", "kid": kid_of(rsa_key("emulator")), "typ": "JWT"}
    claims = claims_of(token)
    assert claims == {
        "aud": "unspecified",
        "scope": API_SCOPE,
        "iss": ISSUER,
        "client_amr": "private_key_jwt",
        "token_type": "Bearer",
        "exp": NOW + 120,
        "iat": NOW,
        "client_id": "trygdehendelser-test-client",
        "jti": claims["jti"],
        "consumer": {"authority": "iso6523-actorid-upis", "ID": f"0192:{DEFAULT_ORGANISATION}"},
    }
    assert feed_status(app, token)[0] == 200


@pytest.mark.parametrize(
    ("request_body", "claim", "value"),
    [
        ({"client_id": "min-klient"}, "client_id", "min-klient"),
        (
            {"organisation_number": "310000027"},
            "consumer",
            {"authority": "iso6523-actorid-upis", "ID": "0192:310000027"},
        ),
        ({"audience": "https://api.nav.no"}, "aud", "https://api.nav.no"),
        ({"scope": f"openid {API_SCOPE}"}, "scope", f"openid {API_SCOPE}"),
        ({"lifetime_seconds": 3600}, "exp", NOW + 3600),
        ({"claims": {"pid": "01010112345", "exp": NOW + 5}}, "exp", NOW + 5),
        ({"claims": {"consumer": "x"}}, "consumer", "x"),
    ],
    ids=[
        "client-id",
        "organisation-number",
        "audience",
        "scopes",
        "lifetime",
        "claims-added-and-overridden",
        "claim-replaced",
    ],
)
def test_a_minted_token_carries_what_was_asked_for(
    app: FastAPI, request_body: dict[str, Any], claim: str, value: object
) -> None:
    assert claims_of(mint(app, **request_body)["access_token"])[claim] == value


@pytest.mark.parametrize(
    ("request_body", "status", "reason"),
    [
        ({"lifetime_seconds": -60}, 401, "The token has expired."),
        ({"scope": "nav:annet"}, 403, None),
        (
            {"claims": {"iss": "https://elsewhere.example/"}},
            401,
            "The issuer 'https://elsewhere.example/' is not trusted",
        ),
        ({"claims": {"nbf": NOW + 600}}, 401, "The token is not valid yet (nbf)."),
        ({"claims": {"exp": "later"}}, 401, "The exp claim is not a number."),
        ({"omit_claims": ["exp"]}, 401, "The token has no exp claim."),
        ({"omit_claims": ["iat"]}, 401, "The token has no iat claim."),
        ({"omit_claims": ["iss"]}, 401, "The token has no iss claim."),
        ({"omit_claims": ["scope"]}, 403, None),
        ({"omit_claims": ["aud", "jti", "consumer", "client_id", "not-there"]}, 200, None),
    ],
    ids=[
        "expired",
        "without-the-scope",
        "wrong-issuer",
        "not-yet-valid",
        "exp-not-a-number",
        "without-exp",
        "without-iat",
        "without-iss",
        "without-scope",
        "without-optional-claims",
    ],
)
def test_a_minted_token_is_judged_by_the_gateway(
    app: FastAPI, request_body: dict[str, Any], status: int, reason: str | None
) -> None:
    body = mint(app, **request_body)
    if "lifetime_seconds" in request_body:
        assert body["expires_in"] == request_body["lifetime_seconds"]
    got, answer = feed_status(app, body["access_token"])
    assert got == status
    if reason is not None:
        assert reason in answer["message"]


@pytest.mark.parametrize(
    "request_body",
    [
        {"organisation_number": "12345678"},
        {"organisation_number": "31000001X"},
        {"lifetime_seconds": 31_536_001},
        {"lifetime_seconds": -31_536_001},
        {"client_id": ""},
        {"claims": ["exp"]},
        {"omit_claims": "exp"},
        {"claims": {"iss": 5}},
        {"claims": {"iss": None}},
    ],
    ids=[
        "organisation-number-too-short",
        "organisation-number-not-digits",
        "lifetime-over-a-year",
        "lifetime-under-minus-a-year",
        "empty-client-id",
        "claims-not-an-object",
        "omit-claims-not-a-list",
        "iss-a-number",
        "iss-null",
    ],
)
def test_a_bad_mint_request_gets_fastapis_422(app: FastAPI, request_body: dict[str, Any]) -> None:
    response = post(app, "/_emulator/tokens", request_body)
    assert response.status_code == 422
    assert "detail" in response.json()


def test_a_mint_request_with_an_issuer_that_is_no_string_says_why_it_is_refused(app: FastAPI) -> None:
    """PyJWT signs no token whose `iss` is not a string; the answer says so rather than failing with a 500."""
    response = post(app, "/_emulator/tokens", {"claims": {"iss": 5}})
    assert response.status_code == 422
    assert "claims.iss must be a string" in response.text
    assert "--omit iss" in response.text


# --- client registration ---------------------------------------------------------------------------


def _assertion(client_id: str, key_name: str, header: dict[str, Any] | None = None) -> str:
    key = rsa_key(key_name)
    return rs256(key, assertion_claims(ISSUER, client_id, scope=API_SCOPE), header or {"kid": kid_of(key)})


def register(app: FastAPI, **registration: Any) -> str:
    client_id = f"klient-{uuid.uuid4()}"
    response = post(app, "/_emulator/clients", {"client_id": client_id, **registration})
    assert (response.status_code, response.json()) == (201, {"client_id": client_id}), response.text
    return client_id


def exchange(app: FastAPI, assertion: str) -> Any:
    with InProcessClient(app) as http:
        return http.post("/maskinporten/token", data={"grant_type": JWT_BEARER, "assertion": assertion})


@pytest.mark.parametrize("mode", ["open", "strict"], ids=["open", "strict"])
def test_a_registered_client_can_use_its_key_at_once(shared_app: AppFactory, mode: str) -> None:
    app = shared_app(auth_mode=mode)
    client_id = f"klient-{uuid.uuid4()}"
    # Before: strict mode knows no such client; open mode takes it on trust, with no key to check.
    assert exchange(app, _assertion(client_id, "client")).status_code == (400 if mode == "strict" else 200)
    response = post(
        app,
        "/_emulator/clients",
        {"client_id": client_id, "jwks": [jwk_of(rsa_key("client"))], "organisation_number": "310000027"},
    )
    assert (response.status_code, response.json()) == (201, {"client_id": client_id})
    token = exchange(app, _assertion(client_id, "client"))
    assert token.status_code == 200, token.text
    claims = claims_of(token.json()["access_token"])
    assert claims["client_id"] == client_id
    assert claims["consumer"]["ID"] == "0192:310000027"
    assert feed_status(app, token.json()["access_token"])[0] == 200


def test_a_registered_client_may_sign_only_with_its_registered_key(app: FastAPI) -> None:
    client_id = register(app, jwks=[jwk_of(rsa_key("client"))])
    response = exchange(app, _assertion(client_id, "attacker"))
    assert (response.status_code, response.json()["error"]) == (400, "invalid_client")


def test_a_whole_jwk_set_is_accepted_as_in_the_clients_file(app: FastAPI) -> None:
    client_id = register(app, jwks={"keys": [jwk_of(rsa_key("client"))]})
    assert exchange(app, _assertion(client_id, "client")).status_code == 200


def test_registering_again_replaces_the_client(app: FastAPI) -> None:
    client_id = register(app, jwks=[jwk_of(rsa_key("client"))])
    again = post(app, "/_emulator/clients", {"client_id": client_id, "jwks": [jwk_of(rsa_key("rotated"))]})
    assert again.status_code == 201
    assert exchange(app, _assertion(client_id, "client")).json()["error"] == "invalid_client"
    assert exchange(app, _assertion(client_id, "rotated")).status_code == 200


def test_a_registered_certificate_is_trusted_in_strict_mode(shared_app: AppFactory) -> None:
    app = shared_app(auth_mode="strict")
    certificate = self_signed_certificate(rsa_key("holder"))
    client_id = register(app, certificates=[certificate])
    response = exchange(app, _assertion(client_id, "holder", {"x5c": [certificate]}))
    assert response.status_code == 200, response.text
    assert claims_of(response.json()["access_token"])["client_amr"] == "virksomhetssertifikat"


def test_a_registered_secret_serves_client_credentials_and_scopes_bound_the_token(app: FastAPI) -> None:
    client_id = register(app, client_secret="s3", scopes=["nav:annet"])
    with InProcessClient(app) as http:
        data = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "s3"}
        response = http.post("/maskinporten/token", data=data)
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "nav:annet"
    assert feed_status(app, response.json()["access_token"])[0] == 403


def test_a_pasted_private_jwk_is_kept_only_as_its_public_half(app: FastAPI) -> None:
    private = RSAAlgorithm.to_jwk(rsa_key("client"), as_dict=True)
    private["kid"] = "privat"
    client_id = register(app, jwks=[private])
    backend: Backend = app.state.backend
    client = backend.authorization.clients.get(client_id)
    assert client is not None
    assert {"d", "p", "q", "dp", "dq", "qi"}.isdisjoint(client.jwks[0])
    assert exchange(app, _assertion(client_id, "client", {"kid": "privat"})).status_code == 200


@pytest.mark.parametrize(
    ("registration", "status"),
    [
        ({"jwks": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}, 400),
        ({"jwks": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "kid": "ec"}]}, 400),
        ({"jwks": [{"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}]}, 400),
        ({"organisation_number": "1234"}, 422),
        ({"client_id": ""}, 422),
        ({"scopes": "nav:annet"}, 422),
    ],
    ids=[
        "jwk-without-kid",
        "ec-jwk",
        "symmetric-jwk",
        "organisation-number-too-short",
        "empty-client-id",
        "scopes-not-a-list",
    ],
)
def test_a_bad_registration_is_refused(app: FastAPI, registration: dict[str, Any], status: int) -> None:
    response = post(app, "/_emulator/clients", {"client_id": f"klient-{uuid.uuid4()}", **registration})
    assert response.status_code == status
    assert "detail" in response.json()
