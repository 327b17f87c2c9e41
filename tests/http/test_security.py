"""The gateway's security table over HTTP: every refusal with its exact status, body and challenge.

Order of checks, as API Management's: route (404) → subscription key (401) → bearer token (401) → scope
(403) → the backend's own parameter checks (400).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI

from emulator.backend import Backend
from emulator.clock import ControlledClock
from emulator.gateway.admission import INVALID_KEY, MISSING_KEY, UNAUTHORIZED
from emulator.http.feed import FEED_PATH
from emulator.maskinporten.tokens import API_SCOPE
from emulator.settings import DEFAULT_SUBSCRIPTION_KEY
from emulator.testing import InProcessClient
from tests.conftest import AppFactory
from tests.tokencraft import (
    NOW,
    hs256,
    kid_of,
    public_pem_of,
    rs256,
    rs256_by_hand,
    rsa_key,
    segment,
    unsigned,
    with_claims,
)

FEED = f"{FEED_PATH}?hendelsesnummer=1&antallHendelser=1"
KEY = DEFAULT_SUBSCRIPTION_KEY
REALM = "http://testserver/helse/v1/trygdehendelser"
KEY_CHALLENGE = f'AzureApiManagementKey realm="{REALM}",name="Ocp-Apim-Subscription-Key",type="header"'
SCOPE_CHALLENGE = f'Bearer error="insufficient_scope", scope="{API_SCOPE}"'
FORBIDDEN = f"Forbidden. The access token does not grant the scope {API_SCOPE}."
NOT_FOUND = {"statusCode": 404, "message": "Resource not found"}
OMIT = object()


@dataclass(frozen=True)
class Emulator:
    """An in-process emulator and what an attacker could know of it (and, for forging, its key)."""

    app: FastAPI
    clock: ControlledClock

    @property
    def backend(self) -> Backend:
        backend: Backend = self.app.state.backend
        return backend

    @property
    def issuer(self) -> str:
        return self.backend.authorization.issuer.issuer

    @property
    def kid(self) -> str:
        return self.backend.authorization.issuer.key.kid

    def token(self, scope: str = API_SCOPE, lifetime_seconds: int | None = None, **claims: Any) -> str:
        """A token the emulator itself signs, with claims added or changed."""
        return self.backend.authorization.issuer.issue(
            client_id="angriper",
            organisation_number="310000019",
            scope=scope,
            client_amr="private_key_jwt",
            lifetime_seconds=lifetime_seconds,
            extra_claims=claims,
        ).access_token

    def without(self, *names: str) -> str:
        return self.backend.authorization.issuer.issue(
            client_id="angriper",
            organisation_number="310000019",
            scope=API_SCOPE,
            client_amr="private_key_jwt",
            omit=names,
        ).access_token

    def claims(self, **changes: Any) -> dict[str, Any]:
        """Claims shaped like the emulator's; a change to OMIT leaves that claim out."""
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "scope": API_SCOPE,
            "client_id": "angriper",
            "iat": NOW,
            "exp": NOW + 120,
            "aud": "unspecified",
        }
        claims.update(changes)
        return {name: value for name, value in claims.items() if value is not OMIT}

    def get(self, url: str = FEED, **headers: str) -> tuple[int, Any, str | None]:
        with InProcessClient(self.app) as http:
            response = http.get(url, headers=headers)
        return response.status_code, response.json(), response.headers.get("www-authenticate")

    def with_token(self, token: str, url: str = FEED) -> tuple[int, Any, str | None]:
        return self.get(url, **{"Ocp-Apim-Subscription-Key": KEY, "Authorization": f"Bearer {token}"})


@pytest.fixture
def emulator(shared_app: AppFactory, clock: ControlledClock) -> Emulator:
    return Emulator(shared_app(), clock)


def invalid_token(reason: str) -> tuple[int, dict[str, Any], str]:
    """The 401 for a token the gateway cannot trust, as the gateway words it."""
    message = f"{UNAUTHORIZED} {reason[:1].upper()}{reason[1:]}."
    return (
        401,
        {"statusCode": 401, "message": message},
        f'Bearer error="invalid_token", error_description="{reason}"',
    )


# --- the subscription key ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "headers", "message"),
    [
        (FEED, {}, MISSING_KEY),
        (FEED, {"Ocp-Apim-Subscription-Key": ""}, MISSING_KEY),
        (f"{FEED}&subscription-key=", {}, MISSING_KEY),
        (FEED, {"Ocp-Apim-Subscription-Key": "ukjent"}, INVALID_KEY),
        (f"{FEED}&subscription-key=ukjent", {}, INVALID_KEY),
        (FEED, {"Ocp-Apim-Subscription-Key": KEY.upper()}, INVALID_KEY),
        (f"{FEED}&subscription-key={KEY}", {"Ocp-Apim-Subscription-Key": "ukjent"}, INVALID_KEY),
    ],
    ids=[
        "no-key-at-all",
        "empty-header",
        "empty-query-parameter",
        "unknown-key-in-header",
        "unknown-key-in-query",
        "keys-are-case-sensitive",
        "header-wins-over-a-valid-query-key",
    ],
)
def test_a_missing_or_unknown_subscription_key_gets_the_gateways_401(
    emulator: Emulator, url: str, headers: dict[str, str], message: str
) -> None:
    # A valid token alongside: the key alone decides.
    headers = {**headers, "Authorization": f"Bearer {emulator.token()}"}
    assert emulator.get(url, **headers) == (401, {"statusCode": 401, "message": message}, KEY_CHALLENGE)


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        (f"{FEED}&subscription-key={KEY}", {}),
        (f"{FEED}&subscription-key=ukjent", {"Ocp-Apim-Subscription-Key": KEY}),
        (f"{FEED}&subscription-key={KEY}&subscription-key=ukjent", {}),
    ],
    ids=["key-in-query-parameter", "header-wins-over-a-bad-query-key", "first-query-value-counts"],
)
def test_a_valid_subscription_key_is_taken_from_header_or_query(
    emulator: Emulator, url: str, headers: dict[str, str]
) -> None:
    status, _, _ = emulator.get(url, **headers, Authorization=f"Bearer {emulator.token()}")
    assert status == 200


@pytest.mark.parametrize("key", ["key-a", "key-b"], ids=["first", "second"])
def test_every_configured_subscription_key_is_accepted(fresh_app: AppFactory, clock: ControlledClock, key: str) -> None:
    emulator = Emulator(fresh_app(subscription_keys="key-a, key-b"), clock)
    token = emulator.token()
    assert emulator.get(FEED, **{"Ocp-Apim-Subscription-Key": key, "Authorization": f"Bearer {token}"})[0] == 200
    assert emulator.with_token(token)[1] == {"statusCode": 401, "message": INVALID_KEY}


def test_the_key_challenge_names_the_requested_host(emulator: Emulator) -> None:
    _, _, challenge = emulator.get(FEED, Host="api.example:8443")
    assert challenge == (
        'AzureApiManagementKey realm="http://api.example:8443/helse/v1/trygdehendelser",'
        'name="Ocp-Apim-Subscription-Key",type="header"'
    )


# --- the bearer token ----------------------------------------------------------------------------------


def test_no_authorization_header_gets_a_bare_bearer_challenge(emulator: Emulator) -> None:
    assert emulator.get(FEED, **{"Ocp-Apim-Subscription-Key": KEY}) == (
        401,
        {"statusCode": 401, "message": UNAUTHORIZED},
        f'Bearer realm="{REALM}"',
    )


@pytest.mark.parametrize(
    "authorization",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "Token abc.def.ghi", "abc.def.ghi"],
    ids=["basic-scheme", "bearer-without-token", "bearer-with-two-tokens", "other-scheme", "no-scheme"],
)
def test_a_malformed_authorization_header_is_an_invalid_token(emulator: Emulator, authorization: str) -> None:
    headers = {"Ocp-Apim-Subscription-Key": KEY, "Authorization": authorization}
    assert emulator.get(FEED, **headers) == invalid_token("the Authorization header must be 'Bearer <token>'")


def test_the_bearer_scheme_is_case_insensitive(emulator: Emulator) -> None:
    headers = {"Ocp-Apim-Subscription-Key": KEY, "Authorization": f"bearer {emulator.token()}"}
    assert emulator.get(FEED, **headers)[0] == 200


Forgery = Callable[[Emulator], str]

OTHER = rsa_key("attacker")


def _alg_none(emulator: Emulator) -> str:
    return unsigned({"alg": "none", "typ": "JWT", "kid": emulator.kid}, emulator.claims())


def _alg_none_capitalised(emulator: Emulator) -> str:
    return unsigned({"alg": "None", "kid": emulator.kid}, emulator.claims())


def _hs256_with_public_pem(emulator: Emulator) -> str:
    public_pem = public_pem_of(rsa_key("emulator"))
    return hs256(public_pem, {"alg": "HS256", "typ": "JWT", "kid": emulator.kid}, emulator.claims())


def _tampered_payload(emulator: Emulator) -> str:
    return with_claims(emulator.token(scope="nav:annet"), scope=API_SCOPE)


def _other_key_with_emulators_kid(emulator: Emulator) -> str:
    return rs256(OTHER, emulator.claims(), {"kid": emulator.kid})


def _declared_rs512_signed_rs256(emulator: Emulator) -> str:
    _, payload, signature = rs256(rsa_key("emulator"), emulator.claims(), {"kid": emulator.kid}).split(".")
    return f"{segment({'alg': 'RS512', 'typ': 'JWT', 'kid': emulator.kid})}.{payload}.{signature}"


def _unknown_kid(_: Emulator) -> str:
    return rs256(OTHER, _claims_of_nobody(), {"kid": kid_of(OTHER)})


def _claims_of_nobody() -> dict[str, Any]:
    return {"iss": "https://elsewhere.example/", "scope": API_SCOPE, "iat": NOW, "exp": NOW + 60}


def _no_kid(emulator: Emulator) -> str:
    return rs256(rsa_key("emulator"), emulator.claims())


def _signed(**changes: Any) -> Forgery:
    return lambda emulator: rs256(rsa_key("emulator"), emulator.claims(**changes), {"kid": emulator.kid})


def _issued(**changes: Any) -> Forgery:
    return lambda emulator: emulator.token(**changes)


def _omitting(name: str) -> Forgery:
    return lambda emulator: emulator.without(name)


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (lambda _: "not-a-jwt", "the token is not a JWT"),
        (lambda _: "abc.def", "the token is not a JWT"),
        (lambda _: "!!!.???.***", "the token is not a JWT"),
        (_tampered_payload, "the signature does not verify"),
        (_alg_none, "alg 'none' is not accepted; only RS256, RS384, RS512"),
        (_alg_none_capitalised, "alg 'None' is not accepted; only RS256, RS384, RS512"),
        (_hs256_with_public_pem, "alg 'HS256' is not accepted; only RS256, RS384, RS512"),
        (_other_key_with_emulators_kid, "the signature does not verify"),
        (_declared_rs512_signed_rs256, "the signature does not verify"),
        (_unknown_kid, f"no trusted issuer has a key with kid '{kid_of(OTHER)}'"),
        (_no_kid, "the token has no kid"),
        (lambda emulator: emulator.token(lifetime_seconds=-60), "the token has expired"),
        (_issued(nbf=NOW + 60), "the token is not valid yet (nbf)"),
        (_issued(iat=NOW + 60, exp=NOW + 180), "the token was issued in the future (iat)"),
        (
            _issued(iss="https://elsewhere.example/"),
            "the issuer 'https://elsewhere.example/' is not trusted for this key",
        ),
        (
            _issued(iss="http://127.0.0.1:8080/maskinporten"),
            "the issuer 'http://127.0.0.1:8080/maskinporten' is not trusted for this key",
        ),
        (_omitting("exp"), "the token has no exp claim"),
        (_omitting("iat"), "the token has no iat claim"),
        (_omitting("iss"), "the token has no iss claim"),
        (_issued(exp="2099-01-01"), "the exp claim is not a number"),
        (_issued(exp=True), "the exp claim is not a number"),
        (_issued(iat=None), "the token has no iat claim"),
        (_issued(iat="1767225600"), "the iat claim is not a number"),
        (_issued(nbf="now"), "the nbf claim is not a number"),
    ],
    ids=[
        "not-a-jwt",
        "two-segments",
        "not-base64",
        "bad-signature-tampered-payload",
        "alg-none",
        "alg-None",
        "hs256-signed-with-the-public-key-pem",
        "another-rsa-key-with-the-emulators-kid",
        "header-says-rs512-signature-is-rs256",
        "unknown-kid",
        "no-kid",
        "expired",
        "nbf-in-the-future",
        "iat-in-the-future",
        "wrong-iss",
        "iss-without-trailing-slash",
        "missing-exp",
        "missing-iat",
        "missing-iss",
        "exp-a-string",
        "exp-a-boolean",
        "iat-null",
        "iat-a-numeric-string",
        "nbf-a-string",
    ],
)
def test_a_token_that_cannot_be_trusted_gets_invalid_token(emulator: Emulator, forge: Forgery, reason: str) -> None:
    assert emulator.with_token(forge(emulator)) == invalid_token(reason)


@pytest.mark.parametrize(
    "forge",
    [
        lambda emulator: rs256_by_hand(rsa_key("emulator"), {"alg": "RS256", "kid": 12345}, emulator.claims()),
        lambda emulator: rs256(rsa_key("emulator"), emulator.claims(), {"kid": emulator.kid, "crit": "exp"}),
        _signed(exp=float("nan")),
        _signed(iat=float("nan")),
        _signed(nbf=float("nan")),
    ],
    ids=["kid-a-number", "crit-not-a-list", "exp-nan", "iat-nan", "nbf-nan"],
)
def test_a_token_with_a_malformed_header_or_non_finite_times_gets_invalid_token(
    emulator: Emulator, forge: Forgery
) -> None:
    """Whatever the gateway says about it, such a token must be a 401, never a 500 nor a 200."""
    status, body, challenge = emulator.with_token(forge(emulator))
    assert status == 401
    assert body["statusCode"] == 401
    assert body["message"].startswith(UNAUTHORIZED)
    assert challenge is not None
    assert challenge.startswith('Bearer error="invalid_token", error_description="')


def test_a_token_expires_when_the_clock_passes_exp_and_the_leeway(emulator: Emulator) -> None:
    token = emulator.token(lifetime_seconds=120)
    assert emulator.with_token(token)[0] == 200
    emulator.clock.advance(124_000)  # exp + 4 s: within the 5 s leeway
    assert emulator.with_token(token)[0] == 200
    emulator.clock.advance(1_000)
    assert emulator.with_token(token) == invalid_token("the token has expired")


@pytest.mark.parametrize(
    "forge",
    [
        _issued(),
        _issued(nbf=NOW + 5),
        _issued(iat=NOW + 5),
        _issued(exp=NOW - 4),
        lambda emulator: rs256(rsa_key("emulator"), emulator.claims(), {"kid": emulator.kid}, "RS384"),
        lambda emulator: rs256(rsa_key("emulator"), emulator.claims(), {"kid": emulator.kid}, "RS512"),
        _signed(exp=NOW + 60.5),
        _signed(scope=f"openid {API_SCOPE} nav:annet"),
        _signed(scope=OMIT, scp=[API_SCOPE]),
        _signed(scope=OMIT, scp=["openid", API_SCOPE, 7]),
    ],
    ids=[
        "as-issued",
        "nbf-within-leeway",
        "iat-within-leeway",
        "exp-within-leeway",
        "rs384",
        "rs512",
        "exp-fractional",
        "scope-among-others",
        "scp-list-form",
        "scp-list-with-other-items",
    ],
)
def test_a_trustworthy_token_with_the_scope_is_admitted(emulator: Emulator, forge: Forgery) -> None:
    status, body, _ = emulator.with_token(forge(emulator))
    assert status == 200, body
    assert body["antallHendelser"] == 1


@pytest.mark.parametrize(
    "forge",
    [
        _issued(scope="nav:annet"),
        _issued(scope=f"{API_SCOPE}:admin"),
        _issued(scope="nav:helse/v1"),
        _issued(scope=API_SCOPE.upper()),
        _signed(scope=OMIT, scp=f"{API_SCOPE}x"),
        _signed(scope=OMIT, scp=[f"{API_SCOPE}x"]),
        _signed(scope=7),
        lambda emulator: emulator.without("scope"),
    ],
    ids=[
        "another-scope",
        "scope-with-a-suffix",
        "scope-prefix",
        "scope-in-upper-case",
        "scp-string-with-a-suffix",
        "scp-list-with-a-suffix",
        "scope-a-number",
        "no-scope-claim",
    ],
)
def test_a_valid_token_without_the_scope_gets_403_insufficient_scope(emulator: Emulator, forge: Forgery) -> None:
    assert emulator.with_token(forge(emulator)) == (
        403,
        {"statusCode": 403, "message": FORBIDDEN},
        SCOPE_CHALLENGE,
    )


# --- the order of the checks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"Authorization": "Bearer not-a-jwt"}, MISSING_KEY),
        ({"Ocp-Apim-Subscription-Key": "ukjent", "Authorization": "Bearer not-a-jwt"}, INVALID_KEY),
        ({"Ocp-Apim-Subscription-Key": "ukjent"}, INVALID_KEY),
        ({"Ocp-Apim-Subscription-Key": "ukjent", "Authorization": "Basic eDp5"}, INVALID_KEY),
    ],
    ids=["no-key-bad-token", "bad-key-bad-token", "bad-key-no-token", "bad-key-basic-auth"],
)
def test_a_bad_key_wins_over_a_bad_token(emulator: Emulator, headers: dict[str, str], message: str) -> None:
    assert emulator.get(FEED, **headers) == (401, {"statusCode": 401, "message": message}, KEY_CHALLENGE)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/helse/v1/trygdehendelser/ukjent"),
        ("GET", f"{FEED_PATH}/"),
        ("GET", "/helse/v1/trygdehendelser"),
        ("POST", FEED),
        ("DELETE", FEED),
        ("HEAD", FEED),
    ],
    ids=["unknown-path", "trailing-slash", "parent-path", "post", "delete", "head"],
)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Ocp-Apim-Subscription-Key": "ukjent", "Authorization": "Bearer x"}],
    ids=["no-credentials", "bad-credentials"],
)
def test_a_path_or_method_not_served_is_404_before_any_credential_check(
    emulator: Emulator, method: str, path: str, headers: dict[str, str]
) -> None:
    with InProcessClient(emulator.app) as http:
        response = http.request(method, path, headers=headers)
    assert response.status_code == 404
    assert "www-authenticate" not in response.headers
    if method != "HEAD":
        assert response.json() == NOT_FOUND


@pytest.mark.parametrize(
    "query",
    ["hendelsesnummer=abc", "", "hendelsesnummer=1&antallHendelser=101", "hendelsesnummer=-1"],
    ids=["not-a-number", "missing-parameter", "page-too-large", "negative"],
)
def test_bad_parameters_are_judged_only_after_the_token(emulator: Emulator, query: str) -> None:
    url = f"{FEED_PATH}?{query}"
    assert emulator.with_token("not-a-jwt", url) == invalid_token("the token is not a JWT")
    assert emulator.get(url, Authorization=f"Bearer {emulator.token()}")[1]["message"] == MISSING_KEY
    assert emulator.with_token(emulator.token(scope="nav:annet"), url)[0] == 403
    status, body, _ = emulator.with_token(emulator.token(), url)
    assert status == 400
    assert body["status"] == 400
