"""The fake Maskinporten's grant logic, without HTTP: the grants table, both modes, every assertion rule."""

from __future__ import annotations

import base64
import datetime
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from emulator.clock import ControlledClock
from emulator.errors import OAuthError
from emulator.maskinporten.assertions import (
    ASSERTION_CLOCK_SKEW_SECONDS,
    ASSERTION_MAX_LIFETIME_SECONDS,
    INVALID_AUDIENCE,
)
from emulator.maskinporten.authorization import (
    CLIENT_CREDENTIALS,
    JWT_BEARER,
    AuthorizationServer,
    TokenRequest,
)
from emulator.maskinporten.clients import DEFAULT_ORGANISATION, Client, ClientRegistry
from emulator.maskinporten.keys import SigningKey
from emulator.maskinporten.replay import ReplayGuard
from emulator.maskinporten.tokens import API_SCOPE, MEDL_SCOPE, TokenIssuer
from emulator.settings import Mode
from tests.tokencraft import (
    NOW,
    NOW_MS,
    assertion_claims,
    claims_of,
    hs256,
    jwk_of,
    kid_of,
    public_pem_of,
    rs256,
    rs256_by_hand,
    rsa_key,
    segment,
    self_signed_certificate,
    unsigned,
    with_claims,
)

ISSUER = "https://maskinporten.test/"
CLIENT_KEY = rsa_key("client")
CLIENT_KID = kid_of(CLIENT_KEY)
CERTIFICATE = self_signed_certificate(CLIENT_KEY)
REGISTERED = Client(
    client_id="registrert",
    organisation_number="310000027",
    scopes=frozenset({API_SCOPE, "nav:annet"}),
    jwks=(jwk_of(CLIENT_KEY),),
    certificates=(CERTIFICATE,),
    client_secret="hemmelig",
)
SECRETLESS = Client(client_id="uten-hemmelighet", scopes=frozenset({API_SCOPE}))


def make_server(mode: Mode = Mode.OPEN, lifetime: int = 120) -> tuple[AuthorizationServer, ControlledClock]:
    clock = ControlledClock(frozen_at_ms=NOW_MS)
    issuer = TokenIssuer(ISSUER, SigningKey.of(rsa_key("emulator")), clock, lifetime)
    clients = ClientRegistry([REGISTERED, SECRETLESS])
    return AuthorizationServer(issuer, clients, mode, clock, ReplayGuard(clock)), clock


def claims(**changes: Any) -> dict[str, Any]:
    """A Maskinporten assertion's claims for the registered client; a None change leaves a claim out."""
    return assertion_claims(ISSUER, REGISTERED.client_id, **changes)


def assertion(header: dict[str, Any] | None = None, **changes: Any) -> str:
    return rs256(CLIENT_KEY, claims(**changes), {"kid": CLIENT_KID, "typ": "JWT"} if header is None else header)


def bearer(token: str) -> TokenRequest:
    return TokenRequest({"grant_type": JWT_BEARER, "assertion": token})


def refusal(server: AuthorizationServer, request: TokenRequest) -> tuple[str, int, str]:
    with pytest.raises(OAuthError) as caught:
        server.token(request)
    return caught.value.error, caught.value.status, caught.value.message


def access_claims(server: AuthorizationServer, request: TokenRequest) -> dict[str, Any]:
    return claims_of(server.token(request).access_token)


def test_the_metadata_is_maskinportens_under_the_configured_issuer() -> None:
    server, _ = make_server()
    assert server.metadata() == {
        "issuer": ISSUER,
        "token_endpoint": f"{ISSUER}token",
        "jwks_uri": f"{ISSUER}jwk",
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "grant_types_supported": [JWT_BEARER],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "RS384", "RS512"],
    }


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({}, "invalid_request"),
        ({"grant_type": ""}, "invalid_request"),
        ({"grant_type": "password", "username": "a", "password": "b"}, "unsupported_grant_type"),
        ({"grant_type": "authorization_code", "code": "x"}, "unsupported_grant_type"),
        ({"grant_type": JWT_BEARER.upper(), "assertion": "x"}, "unsupported_grant_type"),
        ({"grant_type": JWT_BEARER}, "invalid_request"),
        ({"grant_type": JWT_BEARER, "assertion": ""}, "invalid_request"),
    ],
    ids=[
        "no-grant-type",
        "empty-grant-type",
        "password-grant",
        "authorization-code-grant",
        "grant-type-in-upper-case",
        "no-assertion",
        "empty-assertion",
    ],
)
def test_the_grants_table_refuses_what_it_does_not_serve(form: dict[str, str], error: str) -> None:
    server, _ = make_server()
    assert refusal(server, TokenRequest(form))[:2] == (error, 400)


# --- JWT bearer: what an access token says about the assertion behind it ------------------------------


def test_a_registered_client_gets_a_token_naming_it_and_its_organisation() -> None:
    server, _ = make_server(Mode.STRICT)
    issued = server.token(bearer(assertion(scope=f"{API_SCOPE} nav:annet")))
    assert issued.expires_in == 120
    assert issued.scope == f"{API_SCOPE} nav:annet"
    token = claims_of(issued.access_token)
    assert token["client_id"] == "registrert"
    assert token["client_amr"] == "private_key_jwt"
    assert token["consumer"] == {"authority": "iso6523-actorid-upis", "ID": "0192:310000027"}
    assert token["aud"] == "unspecified"
    assert token["iss"] == ISSUER
    assert (token["iat"], token["exp"]) == (NOW, NOW + 120)


@pytest.mark.parametrize(
    ("extra", "organisation"),
    [
        ({}, DEFAULT_ORGANISATION),
        ({"consumer_org": "310000035"}, "310000035"),
        ({"consumer_org": "31000003"}, DEFAULT_ORGANISATION),
        ({"consumer_org": 310000035}, DEFAULT_ORGANISATION),
    ],
    ids=["default", "consumer-org-claim", "consumer-org-too-short", "consumer-org-a-number"],
)
def test_an_unregistered_client_in_open_mode_is_of_its_consumer_org(extra: dict[str, Any], organisation: str) -> None:
    server, _ = make_server()
    token = access_claims(server, bearer(assertion(iss="ny-klient", **extra)))
    assert token["client_id"] == "ny-klient"
    assert token["consumer"]["ID"] == f"0192:{organisation}"


def test_a_registered_clients_organisation_wins_over_its_consumer_org_claim() -> None:
    server, _ = make_server()
    assert access_claims(server, bearer(assertion(consumer_org="310000035")))["consumer"]["ID"] == "0192:310000027"


@pytest.mark.parametrize(
    ("resource", "audience"),
    [(None, "unspecified"), ("https://api.nav.no", "https://api.nav.no"), ("", "unspecified"), (7, "unspecified")],
    ids=["no-resource", "resource", "empty-resource", "resource-a-number"],
)
def test_the_access_tokens_audience_is_the_asked_for_resource(resource: object, audience: str) -> None:
    server, _ = make_server()
    assert access_claims(server, bearer(assertion(resource=resource)))["aud"] == audience


# --- JWT bearer: the assertion's claims, at and past each limit --------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": NOW + ASSERTION_MAX_LIFETIME_SECONDS},
        {"iat": NOW - ASSERTION_CLOCK_SKEW_SECONDS, "exp": NOW + 60},
        {"iat": NOW + ASSERTION_CLOCK_SKEW_SECONDS, "exp": NOW + 70},
        {"iat": NOW - 10, "exp": NOW + 1},
        {"aud": [ISSUER]},
        {"exp": NOW + 60.5, "iat": NOW + 0.5},
        {"jti": None},
        {"sub": "registrert"},
    ],
    ids=[
        "lifetime-120",
        "iat-10-s-early",
        "iat-10-s-late",
        "expires-in-1-s",
        "aud-a-list-of-one",
        "fractional-times",
        "no-jti-in-open-mode",
        "with-sub",
    ],
)
def test_an_assertion_at_the_limits_is_accepted(changes: dict[str, Any]) -> None:
    server, _ = make_server()
    assert server.token(bearer(assertion(**changes))).scope == API_SCOPE


@pytest.mark.parametrize(
    ("changes", "description"),
    [
        ({"exp": NOW + 121}, "Invalid assertion: exp is 121 s after iat; at most 120 s are allowed"),
        ({"iat": NOW - 11, "exp": NOW + 60}, "Invalid assertion: iat is -11 s from the server's time"),
        ({"iat": NOW + 11, "exp": NOW + 60}, "Invalid assertion: iat is +11 s from the server's time"),
        ({"iat": NOW - 10, "exp": NOW}, "Invalid assertion: it has expired"),
        ({"exp": NOW - 1, "iat": NOW - 10}, "Invalid assertion: it has expired"),
        ({"aud": f"{ISSUER}token"}, f"{INVALID_AUDIENCE}: aud must be '{ISSUER}'"),
        ({"aud": ISSUER.rstrip("/")}, f"{INVALID_AUDIENCE}: aud must be '{ISSUER}'"),
        ({"aud": [ISSUER, "https://other.example/"]}, f"{INVALID_AUDIENCE}: aud must be '{ISSUER}'"),
        ({"aud": None}, f"{INVALID_AUDIENCE}: aud must be '{ISSUER}', was None"),
        ({"iat": None}, "Invalid assertion: iat and exp must both be present, as numbers"),
        ({"exp": None}, "Invalid assertion: iat and exp must both be present, as numbers"),
        ({"exp": str(NOW + 60)}, "Invalid assertion: iat and exp must both be present, as numbers"),
        ({"iat": True}, "Invalid assertion: iat and exp must both be present, as numbers"),
        ({"iss": None}, "Invalid assertion: iss (your client_id) is missing"),
        ({"iss": ""}, "Invalid assertion: iss (your client_id) is missing"),
    ],
    ids=[
        "lifetime-121",
        "iat-11-s-early",
        "iat-11-s-late",
        "expires-now",
        "expired",
        "aud-the-token-endpoint",
        "aud-without-trailing-slash",
        "aud-a-list-of-two",
        "no-aud",
        "no-iat",
        "no-exp",
        "exp-a-string",
        "iat-a-boolean",
        "no-iss",
        "empty-iss",
    ],
)
def test_an_assertion_past_a_limit_is_an_invalid_grant(changes: dict[str, Any], description: str) -> None:
    server, _ = make_server()
    error, status, message = refusal(server, bearer(assertion(**changes)))
    assert (error, status) == ("invalid_grant", 400)
    assert message.startswith(description)


def test_an_assertion_whose_iss_is_not_a_string_is_an_invalid_grant() -> None:
    server, _ = make_server()
    token = with_claims(assertion(), iss=["registrert"])  # PyJWT will not sign it; unsigned, it is still read
    assert refusal(server, bearer(token)) == (
        "invalid_grant",
        400,
        "Invalid assertion: iss (your client_id) must be a string, was ['registrert']",
    )


@pytest.mark.parametrize(
    ("client_id", "key_name"),
    [(REGISTERED.client_id, "client"), ("ny-klient", "unknown")],
    ids=["registered-signature-checked", "unknown-signature-unchecked"],
)
@pytest.mark.parametrize("jti", [12345, {"id": 1}, ["a"]], ids=["a-number", "an-object", "a-list"])
def test_a_jti_that_is_not_a_string_is_refused_whether_or_not_the_signature_was_checked(
    client_id: str, key_name: str, jti: object
) -> None:
    server, _ = make_server()
    token = rs256_by_hand(rsa_key(key_name), {"alg": "RS256", "kid": CLIENT_KID}, claims(iss=client_id, jti=jti))
    assert refusal(server, bearer(token)) == (
        "invalid_grant",
        400,
        f"Invalid assertion: jti must be a string, was {jti!r}",
    )


def test_a_sub_claim_that_is_not_a_string_is_ignored_as_maskinporten_ignores_sub() -> None:
    server, _ = make_server()
    token = rs256_by_hand(CLIENT_KEY, {"alg": "RS256", "kid": CLIENT_KID}, claims(sub=7))
    assert server.token(bearer(token)).scope == API_SCOPE


@pytest.mark.parametrize("name", ["iat", "exp"], ids=["iat-nan", "exp-nan"])
def test_an_assertion_with_a_non_finite_time_is_an_invalid_grant(name: str) -> None:
    """JSON parsers accept NaN; every comparison with it is false, so it slips past range checks."""
    server, _ = make_server()
    token = rs256(rsa_key("unknown"), claims(iss="ny-klient", **{name: float("nan")}), {"kid": "k"})
    assert refusal(server, bearer(token))[:2] == ("invalid_grant", 400)


def test_a_jti_is_refused_again_until_its_assertion_has_expired() -> None:
    server, clock = make_server()
    server.token(bearer(assertion(jti="engang", exp=NOW + 30)))
    assert refusal(server, bearer(assertion(jti="engang"))) == (
        "invalid_grant",
        400,
        "Invalid assertion: jti 'engang' has been used before",
    )
    clock.advance(29_000)
    assert refusal(server, bearer(assertion(jti="engang", iat=NOW + 29, exp=NOW + 89)))[0] == "invalid_grant"
    clock.advance(1_000)
    assert server.token(bearer(assertion(jti="engang", iat=NOW + 30, exp=NOW + 90))).scope == API_SCOPE


def test_a_jti_is_refused_for_as_long_as_a_fractional_exp_keeps_its_assertion_valid() -> None:
    server, clock = make_server()
    replayed = assertion(jti="brøk", iat=NOW + 55, exp=NOW + 60.5)
    clock.set(NOW_MS + 50_000)
    server.token(bearer(replayed))
    clock.set(NOW_MS + 60_200)  # the assertion is still valid: exp is 0.3 s away
    assert refusal(server, bearer(replayed))[:2] == ("invalid_grant", 400)


def test_a_refused_assertion_does_not_use_up_its_jti() -> None:
    server, _ = make_server(Mode.STRICT)
    assert refusal(server, bearer(assertion(jti="en", scope="nav:fremmed")))[0] == "invalid_scope"
    assert server.token(bearer(assertion(jti="en"))).scope == API_SCOPE


# --- JWT bearer: the assertion's signature and header --------------------------------------------------


def _reheaded(header: dict[str, Any]) -> str:
    """A genuine RS256 signature by the client's key under another header."""
    _, payload, signature = assertion().split(".")
    return f"{segment(header)}.{payload}.{signature}"


@pytest.mark.parametrize(
    ("token", "error", "description"),
    [
        (lambda: "ikke-en-jwt", "invalid_grant", "Invalid assertion: it is not a JWT (Not enough segments)"),
        (
            lambda: f"{segment({'alg': 'RS256', 'kid': CLIENT_KID})}.{segment([1, 2])}.c2ln",  # type: ignore[arg-type]
            "invalid_grant",
            "Invalid assertion: it is not a JWT (Invalid payload string: must be a json object)",
        ),
        (
            lambda: rs256_by_hand(CLIENT_KEY, {"alg": "RS256", "kid": 7}, claims()),
            "invalid_grant",
            "Invalid assertion: its header is malformed (Key ID header parameter must be a string)",
        ),
        (
            lambda: rs256(CLIENT_KEY, claims(), {"kid": CLIENT_KID, "crit": "exp"}),
            "invalid_grant",
            "Invalid assertion: its header is malformed (Invalid 'crit' header: must be a non-empty list)",
        ),
        (
            lambda: hs256(public_pem_of(CLIENT_KEY), {"alg": "HS256", "kid": CLIENT_KID}, claims()),
            "invalid_grant",
            "Invalid assertion: alg must be one of RS256, RS384, RS512, was 'HS256'",
        ),
        (
            lambda: unsigned({"alg": "none", "kid": CLIENT_KID}, claims()),
            "invalid_grant",
            "Invalid assertion: alg must be one of RS256, RS384, RS512, was 'none'",
        ),
        (
            lambda: unsigned({"kid": CLIENT_KID}, claims()),
            "invalid_grant",
            "Invalid assertion: alg must be one of RS256, RS384, RS512, was None",
        ),
        (
            lambda: rs256(CLIENT_KEY, claims(), {"typ": "JWT"}),
            "invalid_grant",
            "Invalid assertion: the header needs kid or x5c",
        ),
        (
            lambda: with_claims(assertion(), scope="nav:annet"),
            "invalid_grant",
            "Invalid assertion: the signature does not verify",
        ),
        (
            lambda: rs256(rsa_key("attacker"), claims(), {"kid": CLIENT_KID}),
            "invalid_grant",
            "Invalid assertion: the signature does not verify",
        ),
        (
            lambda: _reheaded({"alg": "RS512", "kid": CLIENT_KID}),
            "invalid_grant",
            "Invalid assertion: the signature does not verify",
        ),
        (
            lambda: rs256(CLIENT_KEY, claims(), {"kid": "ikke-registrert"}),
            "invalid_client",
            "kid 'ikke-registrert' is not a registered key of client 'registrert'",
        ),
    ],
    ids=[
        "not-a-jwt",
        "payload-not-an-object",
        "kid-a-number",
        "crit-not-a-list",
        "hs256-with-the-public-key-pem",
        "alg-none",
        "no-alg",
        "no-kid-and-no-x5c",
        "tampered-payload",
        "signed-by-another-key",
        "header-says-rs512",
        "unregistered-kid",
    ],
)
@pytest.mark.parametrize("mode", list(Mode), ids=[mode.value for mode in Mode])
def test_a_badly_signed_assertion_of_a_registered_client_is_refused(
    mode: Mode, token: Any, error: str, description: str
) -> None:
    server, _ = make_server(mode)
    assert refusal(server, bearer(token())) == (error, 400, description)


@pytest.mark.parametrize("algorithm", ["RS256", "RS384", "RS512"], ids=["rs256", "rs384", "rs512"])
def test_every_rsa_algorithm_maskinporten_lists_is_accepted(algorithm: str) -> None:
    server, _ = make_server(Mode.STRICT)
    token = rs256(CLIENT_KEY, claims(), {"kid": CLIENT_KID}, algorithm)
    assert server.token(bearer(token)).scope == API_SCOPE


def test_open_mode_cannot_check_the_signature_of_a_client_it_has_no_key_for() -> None:
    server, _ = make_server()
    forged = with_claims(rs256(rsa_key("unknown"), claims(iss="ny-klient"), {"kid": "k"}), scope="nav:alt")
    assert server.token(bearer(forged)).scope == "nav:alt"


# --- x5c: a business certificate instead of a registered key -------------------------------------------


def test_an_x5c_assertion_is_verified_with_the_certificates_key() -> None:
    server, _ = make_server()
    other = rsa_key("certificate holder")
    token = rs256(other, claims(iss="sertifikat-klient"), {"x5c": [self_signed_certificate(other)]})
    access = access_claims(server, bearer(token))
    assert access["client_amr"] == "virksomhetssertifikat"
    assert access["client_id"] == "sertifikat-klient"
    tampered = with_claims(token, jti="ny", scope="nav:alt")
    assert refusal(server, bearer(tampered)) == (
        "invalid_grant",
        400,
        "Invalid assertion: the signature does not verify",
    )
    # Someone else's certificate with one's own key: the signature is checked against the certificate.
    stolen = rs256(rsa_key("attacker"), claims(iss="sertifikat-klient"), {"x5c": [self_signed_certificate(other)]})
    assert refusal(server, bearer(stolen))[2] == "Invalid assertion: the signature does not verify"


def _ec_certificate() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ec")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
        .not_valid_after(datetime.datetime(2120, 1, 1, tzinfo=datetime.UTC))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


@pytest.mark.parametrize(
    "x5c",
    [CERTIFICATE, [], [7], ["not base64!"], [base64.b64encode(b"not a certificate").decode()], "ec"],
    ids=["not-a-list", "empty-list", "not-a-string", "not-base64", "not-a-certificate", "ec-certificate"],
)
def test_a_malformed_x5c_is_an_invalid_grant(x5c: object) -> None:
    server, _ = make_server()
    chain = [_ec_certificate()] if x5c == "ec" else x5c
    token = rs256(CLIENT_KEY, claims(iss="ny-klient"), {"x5c": chain})
    error, status, message = refusal(server, bearer(token))
    assert (error, status) == ("invalid_grant", 400)
    assert message.startswith("Invalid assertion: x5c")


@pytest.mark.parametrize("mode", list(Mode), ids=[mode.value for mode in Mode])
def test_a_registered_client_may_use_only_a_certificate_registered_for_it(mode: Mode) -> None:
    server, _ = make_server(mode)
    assert server.token(bearer(assertion(header={"x5c": [CERTIFICATE]}))).scope == API_SCOPE
    other = rsa_key("certificate holder")
    token = rs256(other, claims(), {"x5c": [self_signed_certificate(other)]})
    assert refusal(server, bearer(token)) == (
        "invalid_client",
        400,
        "The certificate in x5c is not registered for 'registrert'",
    )


@pytest.mark.parametrize("mode", list(Mode), ids=[mode.value for mode in Mode])
@pytest.mark.parametrize(
    "client_id", [REGISTERED.client_id, SECRETLESS.client_id], ids=["with-a-certificate", "with-none"]
)
def test_no_one_signs_as_a_registered_client_with_a_self_made_certificate(mode: Mode, client_id: str) -> None:
    server, _ = make_server(mode)
    impostor = rsa_key("impostor")
    token = rs256(impostor, claims(iss=client_id), {"x5c": [self_signed_certificate(impostor)]})
    assert refusal(server, bearer(token)) == (
        "invalid_client",
        400,
        f"The certificate in x5c is not registered for {client_id!r}",
    )


# --- strict mode -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "refused"),
    [
        (
            {"iss": "ukjent"},
            ("invalid_client", 400, "Unknown client 'ukjent': strict mode takes only registered clients"),
        ),
        ({"scope": "nav:fremmed"}, ("invalid_scope", 400, "Client 'registrert' may not ask for nav:fremmed")),
        (
            {"scope": f"{API_SCOPE} nav:fremmed nav:ukjent"},
            ("invalid_scope", 400, "Client 'registrert' may not ask for nav:fremmed nav:ukjent"),
        ),
        ({"scope": None}, ("invalid_scope", 400, "scope is missing")),
        ({"scope": " "}, ("invalid_scope", 400, "scope is missing")),
        ({"jti": None}, ("invalid_grant", 400, "Invalid assertion: jti is required")),
    ],
    ids=["unknown-client", "scope-not-allowed", "some-scopes-not-allowed", "no-scope", "blank-scope", "no-jti"],
)
def test_strict_mode_refuses_what_the_client_is_not_registered_for(
    changes: dict[str, Any], refused: tuple[str, int, str]
) -> None:
    server, _ = make_server(Mode.STRICT)
    assert refusal(server, bearer(assertion(**changes))) == refused


@pytest.mark.parametrize("scope", [API_SCOPE, "nav:fremmed", f"{API_SCOPE} {MEDL_SCOPE}"], ids=["api", "any", "both"])
def test_open_mode_gives_an_unknown_client_what_it_asks_for(scope: str) -> None:
    server, _ = make_server()
    token = rs256(rsa_key("unknown"), claims(iss="ukjent", scope=scope), {"kid": "k"})
    assert server.token(bearer(token)).scope == scope


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize(
    ("scope", "refused"),
    [("nav:fremmed", "nav:fremmed"), (f"{API_SCOPE} {MEDL_SCOPE}", MEDL_SCOPE)],
    ids=["unregistered", "one-of-two"],
)
def test_a_registered_client_gets_only_its_registered_scopes_in_every_mode(
    mode: Mode, scope: str, refused: str
) -> None:
    server, _ = make_server(mode)
    assert refusal(server, bearer(assertion(scope=scope))) == (
        "invalid_scope",
        400,
        f"Client 'registrert' may not ask for {refused}",
    )
    basic = TokenRequest({"grant_type": CLIENT_CREDENTIALS, "scope": scope}, ("registrert", "hemmelig"))
    assert refusal(server, basic)[0] == "invalid_scope"


def test_open_mode_still_wants_a_scope() -> None:
    server, _ = make_server()
    assert refusal(server, bearer(assertion(scope=None))) == ("invalid_scope", 400, "scope is missing")


# --- client_credentials (an emulator extension) ------------------------------------------------------


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.mark.parametrize("mode", list(Mode), ids=[mode.value for mode in Mode])
@pytest.mark.parametrize(
    ("form", "authorization", "method"),
    [
        ({"client_id": "registrert", "client_secret": "hemmelig"}, None, "client_secret_post"),
        ({}, _basic("registrert", "hemmelig"), "client_secret_basic"),
        ({"client_id": "someone-else"}, _basic("registrert", "hemmelig"), "client_secret_basic"),
        ({}, _basic("registr%65rt", "hemm%65lig"), "client_secret_basic"),
    ],
    ids=["form", "http-basic", "http-basic-wins-over-form", "http-basic-urlencoded"],
)
def test_client_credentials_with_the_right_secret_gets_a_token(
    mode: Mode, form: dict[str, str], authorization: str | None, method: str
) -> None:
    server, _ = make_server(mode)
    request = TokenRequest({"grant_type": CLIENT_CREDENTIALS, **form}, TokenRequest.basic(authorization))
    issued = server.token(request)
    assert issued.scope == f"nav:annet {API_SCOPE}"  # all the client's scopes, sorted
    token = claims_of(issued.access_token)
    assert token["client_amr"] == method
    assert token["client_id"] == "registrert"
    assert token["consumer"]["ID"] == "0192:310000027"


def test_client_credentials_may_ask_for_fewer_scopes() -> None:
    server, _ = make_server(Mode.STRICT)
    form = {"grant_type": CLIENT_CREDENTIALS, "client_id": "registrert", "client_secret": "hemmelig"}
    assert server.token(TokenRequest({**form, "scope": API_SCOPE})).scope == API_SCOPE
    assert refusal(server, TokenRequest({**form, "scope": "nav:fremmed"}))[0] == "invalid_scope"


@pytest.mark.parametrize(
    ("form", "authorization"),
    [
        ({"client_id": "registrert", "client_secret": "feil"}, None),
        ({"client_id": "registrert", "client_secret": "HEMMELIG"}, None),
        ({"client_id": "registrert", "client_secret": ""}, None),
        ({"client_id": "registrert"}, None),
        ({"client_secret": "hemmelig"}, None),
        ({"client_id": "ukjent", "client_secret": "hemmelig"}, None),
        ({"client_id": "uten-hemmelighet", "client_secret": "None"}, None),
        ({}, _basic("registrert", "feil")),
        ({"client_id": "registrert", "client_secret": "hemmelig"}, _basic("registrert", "feil")),
    ],
    ids=[
        "wrong-secret",
        "secret-in-other-case",
        "empty-secret",
        "no-secret",
        "no-client-id",
        "unknown-client",
        "client-without-a-secret",
        "basic-wrong-secret",
        "basic-wrong-secret-wins-over-right-form",
    ],
)
def test_client_credentials_with_a_wrong_secret_is_invalid_client_401(
    form: dict[str, str], authorization: str | None
) -> None:
    server, _ = make_server()
    request = TokenRequest({"grant_type": CLIENT_CREDENTIALS, **form}, TokenRequest.basic(authorization))
    assert refusal(server, request)[:2] == ("invalid_client", 401)


@pytest.mark.parametrize(
    ("authorization", "expected"),
    [
        (None, None),
        ("Bearer abc", None),
        (_basic("a", "b"), ("a", "b")),
        ("basic " + base64.b64encode(b"a:b:c").decode(), ("a", "b:c")),
        (_basic("a%3Ab", "c%20d"), ("a:b", "c d")),
        ("Basic " + base64.b64encode(b"a:").decode(), ("a", "")),
    ],
    ids=["absent", "other-scheme", "plain", "lower-case-scheme-and-colon-in-secret", "urlencoded", "empty-secret"],
)
def test_http_basic_credentials_are_read_as_rfc_6749_says(
    authorization: str | None, expected: tuple[str, str] | None
) -> None:
    assert TokenRequest.basic(authorization) == expected


@pytest.mark.parametrize(
    ("authorization", "description"),
    [
        ("Basic !!!", "The Basic credentials are not valid base64"),
        ("Basic " + base64.b64encode(b"no-colon").decode(), "The Basic credentials have no ':' between id and secret"),
        ("Basic " + base64.b64encode(b"\xff:x").decode(), "The Basic credentials are not UTF-8"),
    ],
    ids=["not-base64", "no-colon", "not-utf8"],
)
def test_malformed_http_basic_credentials_are_invalid_client_401(authorization: str, description: str) -> None:
    with pytest.raises(OAuthError) as caught:
        TokenRequest.basic(authorization)
    assert (caught.value.error, caught.value.status, caught.value.message) == ("invalid_client", 401, description)


def test_an_assertion_may_name_an_alias_of_the_issuer_as_aud_and_the_token_names_the_issuer() -> None:
    clock = ControlledClock(frozen_at_ms=NOW_MS)
    issuer = TokenIssuer(ISSUER, SigningKey.of(rsa_key("emulator")), clock, 120)
    alias = "http://localhost:8080/maskinporten/"
    server = AuthorizationServer(
        issuer, ClientRegistry([REGISTERED]), Mode.STRICT, clock, ReplayGuard(clock), issuer_aliases=[alias]
    )
    assert access_claims(server, bearer(assertion(aud=alias)))["iss"] == ISSUER
    assert access_claims(server, bearer(assertion(aud=[ISSUER])))["iss"] == ISSUER
    error, _, message = refusal(server, bearer(assertion(aud="http://localhost:8080/annet/")))
    assert error == "invalid_grant"
    assert message == (f"{INVALID_AUDIENCE}: aud must be '{ISSUER}' or '{alias}', was 'http://localhost:8080/annet/'")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"nbf": NOW + ASSERTION_CLOCK_SKEW_SECONDS + 1}, "Invalid assertion: it is not valid yet (nbf)"),
        ({"nbf": "now"}, "Invalid assertion: nbf must be a number, a time before the year 10000"),
        ({"iat": 10**400}, "Invalid assertion: iat and exp must be times before the year 10000"),
        ({"exp": -(10**400)}, "Invalid assertion: iat and exp must be times before the year 10000"),
    ],
    ids=["nbf-ahead", "nbf-text", "iat-huge", "exp-huge-negative"],
)
def test_an_assertions_times_are_judged_without_overflow(changes: dict[str, Any], reason: str) -> None:
    server, _ = make_server()
    assert refusal(server, bearer(assertion(**changes))) == ("invalid_grant", 400, reason)
