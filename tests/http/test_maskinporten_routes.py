"""The fake Maskinporten over HTTP: metadata, JWKS, and the token endpoint under attack."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi import FastAPI

from emulator.maskinporten.authorization import JWT_BEARER
from emulator.maskinporten.tokens import API_SCOPE
from emulator.testing import InProcessClient
from tests.conftest import AppFactory
from tests.tokencraft import (
    NOW,
    assertion_claims,
    claims_of,
    header_of,
    hs256,
    jwk_of,
    kid_of,
    public_pem_of,
    rs256,
    rsa_key,
    self_signed_certificate,
    unsigned,
    with_claims,
)

ISSUER = "http://127.0.0.1:8080/maskinporten/"
TOKEN = "/maskinporten/token"
FEED = "/helse/v1/trygdehendelser/hendelser?hendelsesnummer=1&antallHendelser=1"
SUBSCRIPTION = {"Ocp-Apim-Subscription-Key": "local-subscription-key"}
CLIENT_KEY = rsa_key("client")
CLIENT_KID = kid_of(CLIENT_KEY)
ACCESS_TOKEN_CLAIMS = {"aud", "scope", "iss", "client_amr", "token_type", "exp", "iat", "client_id", "jti", "consumer"}
METADATA = {
    "issuer": ISSUER,
    "token_endpoint": f"{ISSUER}token",
    "jwks_uri": f"{ISSUER}jwk",
    "token_endpoint_auth_methods_supported": ["private_key_jwt"],
    "grant_types_supported": [JWT_BEARER],
    "token_endpoint_auth_signing_alg_values_supported": ["RS256", "RS384", "RS512"],
}


@dataclass(frozen=True)
class Maskinporten:
    """An in-process emulator and one client registered on it with CLIENT_KEY, under a name of its own."""

    app: FastAPI
    client_id: str

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        with InProcessClient(self.app) as http:
            return http.request(method, url, **kwargs)

    def claims(self, **changes: Any) -> dict[str, Any]:
        return assertion_claims(ISSUER, self.client_id, **changes)

    def assertion(self, header: dict[str, Any] | None = None, **changes: Any) -> str:
        return rs256(CLIENT_KEY, self.claims(**changes), header or {"kid": CLIENT_KID, "typ": "JWT"})

    def exchange(self, assertion: str) -> Any:
        return self.request("POST", TOKEN, data={"grant_type": JWT_BEARER, "assertion": assertion})


def _register(app: FastAPI, **fields: Any) -> str:
    client_id = f"klient-{uuid.uuid4()}"
    with InProcessClient(app) as http:
        response = http.post("/_emulator/clients", json={"client_id": client_id, **fields})
    assert response.status_code == 201, response.text
    return client_id


@pytest.fixture
def maskinporten(shared_app: AppFactory) -> Maskinporten:
    app = shared_app()
    return Maskinporten(app, _register(app, jwks=[jwk_of(CLIENT_KEY)]))


@pytest.fixture(scope="module")
def strict_clients_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clients") / "clients.json"
    client = {"client_id": "streng", "scopes": [API_SCOPE], "jwks": {"keys": [jwk_of(CLIENT_KEY)]}}
    path.write_text(json.dumps({"clients": [client]}))
    return path


@pytest.fixture
def strict(shared_app: AppFactory, strict_clients_file: Path) -> Maskinporten:
    return Maskinporten(shared_app(auth_mode="strict", clients_file=strict_clients_file), "streng")


# --- metadata and keys -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/maskinporten/.well-known/oauth-authorization-server", "/maskinporten/.well-known/openid-configuration"],
    ids=["oauth-authorization-server", "openid-configuration"],
)
def test_the_metadata_names_the_configured_issuer_and_its_endpoints(maskinporten: Maskinporten, path: str) -> None:
    response = maskinporten.request("GET", path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == METADATA


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "api.example:9999"},
        {"Host": "emulator.internal"},
        {"X-Forwarded-Host": "proxy.example", "X-Forwarded-Proto": "https"},
        {"Forwarded": "host=proxy.example;proto=https"},
    ],
    ids=["host-with-port", "container-host", "x-forwarded", "forwarded"],
)
def test_the_issuer_does_not_follow_the_host_header(maskinporten: Maskinporten, headers: dict[str, str]) -> None:
    metadata = maskinporten.request("GET", "/maskinporten/.well-known/oauth-authorization-server", headers=headers)
    assert metadata.json() == METADATA
    response = maskinporten.request(
        "POST", TOKEN, data={"grant_type": JWT_BEARER, "assertion": maskinporten.assertion()}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert claims_of(response.json()["access_token"])["iss"] == ISSUER
    # ...and a token issued under one Host is good under another.
    feed = {**SUBSCRIPTION, "Authorization": f"Bearer {response.json()['access_token']}"}
    assert maskinporten.request("GET", FEED, headers=feed).status_code == 200


@pytest.mark.parametrize(
    ("issuer", "prefix", "expected"),
    [
        ("https://test.maskinporten.no/", "/", "https://test.maskinporten.no/"),
        ("http://emulator:8080/idporten", "/idporten/", "http://emulator:8080/idporten/"),
    ],
    ids=["root-issuer", "issuer-without-trailing-slash"],
)
def test_the_routes_live_under_the_issuers_path(
    shared_app: AppFactory, issuer: str, prefix: str, expected: str
) -> None:
    with InProcessClient(shared_app(issuer=issuer)) as http:
        metadata = http.get(f"{prefix}.well-known/oauth-authorization-server").json()
        assert metadata["issuer"] == expected
        assert metadata["token_endpoint"] == f"{expected}token"
        assert http.get(f"{prefix}jwk").status_code == 200


def test_the_jwks_holds_the_public_half_of_the_signing_key_under_its_thumbprint(maskinporten: Maskinporten) -> None:
    response = maskinporten.request("GET", "/maskinporten/jwk")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    (key,) = response.json()["keys"]
    assert key == jwk_of(rsa_key("emulator"))
    assert key["kid"] == kid_of(rsa_key("emulator"))
    assert {"d", "p", "q", "dp", "dq", "qi"}.isdisjoint(key)
    assert (key["kty"], key["use"], key["alg"]) == ("RSA", "sig", "RS256")


# --- a token from an assertion -------------------------------------------------------------------------


def test_a_token_response_is_maskinportens_and_not_cached(maskinporten: Maskinporten) -> None:
    response = maskinporten.exchange(maskinporten.assertion())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert list(body) == ["access_token", "token_type", "expires_in", "scope"]
    assert body["token_type"] == "Bearer"
    assert type(body["expires_in"]) is int
    assert body["expires_in"] == 120
    assert body["scope"] == API_SCOPE


def test_the_access_token_is_shaped_like_maskinportens_and_verifies_with_the_jwks(
    maskinporten: Maskinporten,
) -> None:
    token = maskinporten.exchange(maskinporten.assertion(resource="https://api.nav.no")).json()["access_token"]
    jwks = maskinporten.request("GET", "/maskinporten/jwk").json()
    header = header_of(token)
    assert header == {"alg": "RS256", "kid": jwks["keys"][0]["kid"], "typ": "JWT"}
    key = jwt.PyJWK(jwks["keys"][0]).key
    claims = jwt.decode(
        token,
        key,
        algorithms=["RS256"],
        audience="https://api.nav.no",
        issuer=ISSUER,
        options={"verify_exp": False, "verify_iat": False},  # the emulator's clock stands at NOW
    )
    assert set(claims) == ACCESS_TOKEN_CLAIMS
    assert claims["client_id"] == maskinporten.client_id
    assert claims["client_amr"] == "private_key_jwt"
    assert claims["consumer"] == {"authority": "iso6523-actorid-upis", "ID": "0192:310000019"}
    assert claims["scope"] == API_SCOPE
    assert claims["token_type"] == "Bearer"
    assert (claims["iat"], claims["exp"]) == (NOW, NOW + 120)
    assert str(uuid.UUID(claims["jti"])) == claims["jti"]


def test_two_tokens_have_different_jtis(maskinporten: Maskinporten) -> None:
    first, second = (
        claims_of(maskinporten.exchange(maskinporten.assertion()).json()["access_token"]) for _ in range(2)
    )
    assert first["jti"] != second["jti"]


def test_without_a_resource_the_audience_is_unspecified(maskinporten: Maskinporten) -> None:
    token = maskinporten.exchange(maskinporten.assertion()).json()["access_token"]
    assert claims_of(token)["aud"] == "unspecified"


def test_a_token_from_an_assertion_reads_the_feed(maskinporten: Maskinporten) -> None:
    token = maskinporten.exchange(maskinporten.assertion()).json()["access_token"]
    response = maskinporten.request("GET", FEED, headers={**SUBSCRIPTION, "Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_an_x5c_assertion_gets_a_virksomhetssertifikat_token(maskinporten: Maskinporten) -> None:
    holder = rsa_key("certificate holder")
    assertion = rs256(holder, maskinporten.claims(iss="sertifikat"), {"x5c": [self_signed_certificate(holder)]})
    claims = claims_of(maskinporten.exchange(assertion).json()["access_token"])
    assert claims["client_amr"] == "virksomhetssertifikat"
    assert claims["client_id"] == "sertifikat"


# --- assertion attacks -----------------------------------------------------------------------------


Attack = Callable[[Maskinporten], str]


def _replayed(maskinporten: Maskinporten) -> str:
    assertion = maskinporten.assertion()
    assert maskinporten.exchange(assertion).status_code == 200
    return assertion


def _replayed_jti_in_a_new_assertion(maskinporten: Maskinporten) -> str:
    jti = str(uuid.uuid4())
    assert maskinporten.exchange(maskinporten.assertion(jti=jti)).status_code == 200
    return maskinporten.assertion(jti=jti, iat=NOW - 1)


def _x5c(key_name: str, signer: str | None = None) -> Attack:
    holder = rsa_key(key_name)
    return lambda maskinporten: rs256(
        rsa_key(signer or key_name),
        maskinporten.claims(iss="sertifikat"),
        {"x5c": [self_signed_certificate(holder)]},
    )


ATTACKS: list[tuple[str, Attack, int, str]] = [
    ("replayed-assertion", _replayed, 400, "invalid_grant"),
    ("replayed-jti", _replayed_jti_in_a_new_assertion, 400, "invalid_grant"),
    ("exp-121-s-after-iat", lambda m: m.assertion(exp=NOW + 121), 400, "invalid_grant"),
    ("iat-11-s-early", lambda m: m.assertion(iat=NOW - 11), 400, "invalid_grant"),
    ("iat-11-s-late", lambda m: m.assertion(iat=NOW + 11, exp=NOW + 70), 400, "invalid_grant"),
    ("expired", lambda m: m.assertion(iat=NOW - 10, exp=NOW - 1), 400, "invalid_grant"),
    ("aud-wrong", lambda m: m.assertion(aud="https://test.maskinporten.no/"), 400, "invalid_grant"),
    ("aud-the-token-endpoint", lambda m: m.assertion(aud=f"{ISSUER}token"), 400, "invalid_grant"),
    ("aud-a-list-of-two", lambda m: m.assertion(aud=[ISSUER, "https://api.nav.no"]), 400, "invalid_grant"),
    (
        "alg-hs256-with-the-public-key",
        lambda m: hs256(public_pem_of(CLIENT_KEY), {"alg": "HS256", "kid": CLIENT_KID}, m.claims()),
        400,
        "invalid_grant",
    ),
    ("alg-none", lambda m: unsigned({"alg": "none", "kid": CLIENT_KID}, m.claims()), 400, "invalid_grant"),
    ("no-kid-and-no-x5c", lambda m: rs256(CLIENT_KEY, m.claims()), 400, "invalid_grant"),
    ("bad-signature", lambda m: with_claims(m.assertion(), scope="nav:alt"), 400, "invalid_grant"),
    (
        "signed-by-another-key-with-the-registered-kid",
        lambda m: rs256(rsa_key("attacker"), m.claims(), {"kid": CLIENT_KID}),
        400,
        "invalid_grant",
    ),
    (
        "unregistered-kid-of-a-registered-client",
        lambda m: rs256(rsa_key("attacker"), m.claims(), {"kid": kid_of(rsa_key("attacker"))}),
        400,
        "invalid_client",
    ),
    ("no-scope", lambda m: m.assertion(scope=None), 400, "invalid_scope"),
    ("not-a-jwt", lambda _: "ikke.en.jwt", 400, "invalid_grant"),
    ("x5c-tampered-signature", lambda m: with_claims(_x5c("holder")(m), scope="nav:alt"), 400, "invalid_grant"),
    ("x5c-someone-elses-certificate", _x5c("holder", signer="attacker"), 400, "invalid_grant"),
    (
        "x5c-self-made-certificate-of-a-registered-client",
        lambda m: rs256(rsa_key("holder"), m.claims(), {"x5c": [self_signed_certificate(rsa_key("holder"))]}),
        400,
        "invalid_client",
    ),
]


@pytest.mark.parametrize(
    ("attack", "status", "error"),
    [attack[1:] for attack in ATTACKS],
    ids=[attack[0] for attack in ATTACKS],
)
def test_an_assertion_attack_is_refused_in_open_mode(
    maskinporten: Maskinporten, attack: Attack, status: int, error: str
) -> None:
    response = maskinporten.exchange(attack(maskinporten))
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error", "error_description"]
    assert body["error"] == error
    assert "access_token" not in response.text


STRICT_ATTACKS: list[tuple[str, Attack, int, str]] = [
    ("unknown-client", lambda m: m.assertion(iss="ukjent"), 400, "invalid_client"),
    (
        "unknown-client-with-its-own-kid",
        lambda m: rs256(rsa_key("attacker"), m.claims(iss="ukjent"), {"kid": "k"}),
        400,
        "invalid_client",
    ),
    ("scope-not-allowed", lambda m: m.assertion(scope="nav:medlemskap/v1/medlemskapsunntak"), 400, "invalid_scope"),
    ("missing-jti", lambda m: m.assertion(jti=None), 400, "invalid_grant"),
    *[attack for attack in ATTACKS if attack[0] not in ("x5c-tampered-signature", "x5c-someone-elses-certificate")],
]


@pytest.mark.parametrize(
    ("attack", "status", "error"),
    [attack[1:] for attack in STRICT_ATTACKS],
    ids=[attack[0] for attack in STRICT_ATTACKS],
)
def test_an_assertion_attack_is_refused_in_strict_mode(
    strict: Maskinporten, attack: Attack, status: int, error: str
) -> None:
    response = strict.exchange(attack(strict))
    assert (response.status_code, response.json()["error"]) == (status, error)


def test_strict_mode_accepts_its_registered_client(strict: Maskinporten) -> None:
    response = strict.exchange(strict.assertion())
    assert response.status_code == 200, response.text
    assert claims_of(response.json()["access_token"])["client_id"] == "streng"


@pytest.mark.parametrize(
    "attack",
    [
        lambda m: rs256(rsa_key("unknown"), m.claims(iss="ny-klient"), {"kid": "hvilken-som-helst"}),
        lambda m: with_claims(rs256(rsa_key("unknown"), m.claims(iss="ny-klient"), {"kid": "k"}), jti="x"),
        _x5c("holder"),
    ],
    ids=["unknown-client-with-a-kid", "unknown-client-unverifiable-signature", "x5c-self-signed"],
)
def test_open_mode_accepts_an_unknown_client(maskinporten: Maskinporten, attack: Attack) -> None:
    assert maskinporten.exchange(attack(maskinporten)).status_code == 200


# --- the form itself ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"json": {"grant_type": JWT_BEARER, "assertion": "x"}}, "invalid_request"),
        ({"files": {"assertion": ("a", b"x")}, "data": {"grant_type": JWT_BEARER}}, "invalid_request"),
        ({"content": f"grant_type={JWT_BEARER}&assertion=x".encode()}, "invalid_request"),
        (
            {"content": b"grant_type=x", "headers": {"Content-Type": "text/plain"}},
            "invalid_request",
        ),
        (
            {"content": b"grant_type=\xff\xfe", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
            "invalid_request",
        ),
        (
            {"content": b"a=" + b"x" * 65_536, "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
            "invalid_request",
        ),
        ({"data": {"assertion": "x"}}, "invalid_request"),
        ({"data": {"grant_type": JWT_BEARER}}, "invalid_request"),
        ({"data": {"grant_type": "password", "username": "u", "password": "p"}}, "unsupported_grant_type"),
        ({"data": {"grant_type": "urn:ietf:params:oauth:grant-type:saml2-bearer"}}, "unsupported_grant_type"),
    ],
    ids=[
        "json-body",
        "multipart-body",
        "no-content-type",
        "text-plain",
        "not-utf8",
        "too-large",
        "no-grant-type",
        "no-assertion",
        "password-grant",
        "saml-bearer-grant",
    ],
)
def test_a_malformed_token_request_is_refused(maskinporten: Maskinporten, kwargs: dict[str, Any], error: str) -> None:
    response = maskinporten.request("POST", TOKEN, **kwargs)
    assert (response.status_code, response.json()["error"]) == (400, error)


@pytest.mark.parametrize("chunk_bytes", [16 * 1024, 1024 * 1024], ids=["small-chunks", "one-megabyte-chunks"])
def test_a_huge_body_sent_in_chunks_without_a_length_is_refused_before_it_is_all_read(
    maskinporten: Maskinporten, chunk_bytes: int
) -> None:
    """No Content-Length to judge by: the endpoint stops reading at its limit instead of holding it all."""
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(256):
            pulled += 1
            yield b"a" * chunk_bytes

    response = maskinporten.request(
        "POST", TOKEN, content=body(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert (response.status_code, response.json()) == (
        400,
        {"error": "invalid_request", "error_description": "The token request is too large"},
    )
    assert "content-length" not in {name.lower() for name in response.request.headers}
    assert pulled <= 64 * 1024 // chunk_bytes + 1


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded; charset=UTF-8", "Application/X-WWW-Form-Urlencoded"],
    ids=["with-charset", "mixed-case"],
)
def test_a_form_content_type_with_parameters_or_odd_case_is_a_form(
    maskinporten: Maskinporten, content_type: str
) -> None:
    body = f"grant_type={JWT_BEARER}&assertion={maskinporten.assertion()}".encode()
    response = maskinporten.request("POST", TOKEN, content=body, headers={"Content-Type": content_type})
    assert response.status_code == 200, response.text


def test_the_first_of_repeated_form_fields_counts(maskinporten: Maskinporten) -> None:
    body = f"grant_type={JWT_BEARER}&assertion={maskinporten.assertion()}&assertion=garbage&grant_type=password"
    response = maskinporten.request(
        "POST", TOKEN, content=body.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200, response.text


def test_extra_form_fields_a_library_adds_are_ignored(maskinporten: Maskinporten) -> None:
    data = {"grant_type": JWT_BEARER, "assertion": maskinporten.assertion(), "scope": "nav:x", "client_id": "y"}
    response = maskinporten.request("POST", TOKEN, data=data)
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == API_SCOPE  # the assertion's scope, not the form's


def test_get_on_the_token_endpoint_is_not_served(maskinporten: Maskinporten) -> None:
    assert maskinporten.request("GET", TOKEN).status_code == 404


# --- client_credentials (the curl-friendly extension) ----------------------------------------------


def _basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


@pytest.mark.parametrize(
    ("data", "headers"),
    [
        ({"client_id": "trygdehendelser-demo", "client_secret": "demo-secret"}, {}),
        ({}, _basic("trygdehendelser-demo", "demo-secret")),
    ],
    ids=["form", "http-basic"],
)
def test_the_demo_clients_secret_gets_a_token_that_reads_the_feed(
    maskinporten: Maskinporten, data: dict[str, str], headers: dict[str, str]
) -> None:
    response = maskinporten.request("POST", TOKEN, data={"grant_type": "client_credentials", **data}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    token = response.json()["access_token"]
    assert claims_of(token)["consumer"]["ID"] == "0192:310000019"
    feed = maskinporten.request("GET", FEED, headers={**SUBSCRIPTION, "Authorization": f"Bearer {token}"})
    assert feed.status_code == 200


def test_the_client_without_the_api_scope_gets_a_token_the_gateway_refuses_with_403(
    maskinporten: Maskinporten,
) -> None:
    data = {"grant_type": "client_credentials", "client_id": "uten-tilgang", "client_secret": "demo-secret"}
    token = maskinporten.request("POST", TOKEN, data=data).json()["access_token"]
    assert claims_of(token)["scope"] == "nav:annet/v1/noe"
    feed = maskinporten.request("GET", FEED, headers={**SUBSCRIPTION, "Authorization": f"Bearer {token}"})
    assert feed.status_code == 403


@pytest.mark.parametrize(
    ("data", "headers"),
    [
        ({"client_id": "trygdehendelser-demo", "client_secret": "feil"}, {}),
        ({}, _basic("trygdehendelser-demo", "feil")),
        ({"client_id": "trygdehendelser-demo"}, {}),
        ({"client_id": "finnes-ikke", "client_secret": "demo-secret"}, {}),
    ],
    ids=["form-wrong-secret", "basic-wrong-secret", "no-secret", "unknown-client"],
)
def test_a_wrong_client_secret_is_invalid_client_401(
    maskinporten: Maskinporten, data: dict[str, str], headers: dict[str, str]
) -> None:
    response = maskinporten.request("POST", TOKEN, data={"grant_type": "client_credentials", **data}, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "demo-secret" not in response.text


def test_a_wrong_basic_secret_gets_a_basic_challenge(maskinporten: Maskinporten) -> None:
    """RFC 6749 §5.2: a client that authenticated with HTTP Basic gets a 401 with a matching challenge."""
    response = maskinporten.request(
        "POST", TOKEN, data={"grant_type": "client_credentials"}, headers=_basic("trygdehendelser-demo", "feil")
    )
    assert response.status_code == 401
    assert response.headers.get("www-authenticate", "").startswith("Basic")


def test_a_stray_basic_header_does_not_change_a_jwt_bearer_grant(maskinporten: Maskinporten) -> None:
    """A JWT-bearer request with a stray `Authorization: Basic` still judges the assertion alone."""
    headers = _basic("trygdehendelser-demo", "demo-secret")
    response = maskinporten.request(
        "POST", TOKEN, data={"grant_type": JWT_BEARER, "assertion": maskinporten.assertion()}, headers=headers
    )
    assert response.status_code == 200
    assert claims_of(response.json()["access_token"])["client_id"] == maskinporten.client_id
