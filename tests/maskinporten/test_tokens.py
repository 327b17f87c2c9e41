"""Access tokens without HTTP: what the issuer signs, and what the verifier accepts at each limit."""

from __future__ import annotations

import math
import re
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.clock import ControlledClock
from emulator.maskinporten.keys import SigningKey
from emulator.maskinporten.tokens import (
    API_SCOPE,
    LATEST_NUMERIC_DATE,
    LEEWAY_SECONDS,
    InvalidTokenError,
    IssuedToken,
    TokenIssuer,
    TokenVerifier,
    TrustedIssuer,
    Validity,
    granted_scopes,
    numeric_date,
)
from tests.tokencraft import (
    NOW,
    NOW_MS,
    claims_of,
    header_of,
    jwk_of,
    kid_of,
    rs256,
    rsa_key,
    self_signed_certificate,
)

ISSUER = "https://maskinporten.test/"
OTHER_ISSUER = "https://login.other.example/v2.0"
KEY = SigningKey.of(rsa_key("emulator"))
OTHER = rsa_key("other issuer")


def make(lifetime: int = 120) -> tuple[TokenIssuer, TokenVerifier, ControlledClock]:
    clock = ControlledClock(frozen_at_ms=NOW_MS)
    issuer = TokenIssuer(ISSUER, KEY, clock, lifetime)
    trusted = [
        TrustedIssuer(ISSUER, lambda kid: KEY.private_key.public_key() if kid == KEY.kid else None),
        TrustedIssuer(OTHER_ISSUER, lambda kid: OTHER.public_key() if kid == "other" else None),
    ]
    return issuer, TokenVerifier(trusted, clock), clock


def issue(issuer: TokenIssuer, **options: Any) -> str:
    arguments: dict[str, Any] = {
        "client_id": "klient",
        "organisation_number": "310000019",
        "scope": API_SCOPE,
        "client_amr": "private_key_jwt",
        **options,
    }
    return issuer.issue(**arguments).access_token


def test_an_issued_token_is_shaped_like_maskinportens() -> None:
    issuer, _, _ = make()
    issued = issuer.issue(
        client_id="klient", organisation_number="310000027", scope=f"{API_SCOPE} x", client_amr="virksomhetssertifikat"
    )
    assert (issued.expires_in, issued.scope) == (120, f"{API_SCOPE} x")
    assert header_of(issued.access_token) == {"alg": "RS256", "kid": KEY.kid, "typ": "JWT"}
    claims = claims_of(issued.access_token)
    assert claims == {
        "aud": "unspecified",
        "scope": f"{API_SCOPE} x",
        "iss": ISSUER,
        "client_amr": "virksomhetssertifikat",
        "token_type": "Bearer",
        "exp": NOW + 120,
        "iat": NOW,
        "client_id": "klient",
        "jti": claims["jti"],
        "consumer": {"authority": "iso6523-actorid-upis", "ID": "0192:310000027"},
    }
    assert uuid.UUID(claims["jti"]).version == 4


def test_the_response_is_maskinportens_four_members() -> None:
    assert IssuedToken("t", 60, "s").response() == {
        "access_token": "t",
        "token_type": "Bearer",
        "expires_in": 60,
        "scope": "s",
    }


def test_jtis_are_unique_across_issuers_made_alike() -> None:
    first, _, _ = make()
    second, _, _ = make()
    jtis = [first.new_id() for _ in range(100)] + [second.new_id() for _ in range(100)]
    assert len(set(jtis)) == 200


def test_the_issuer_takes_a_lifetime_audience_extra_claims_and_omissions() -> None:
    issuer, _, _ = make()
    claims = claims_of(
        issue(issuer, audience="https://api.nav.no", lifetime_seconds=-60, extra_claims={"pid": "x"}, omit=["jti"])
    )
    assert claims["aud"] == "https://api.nav.no"
    assert claims["exp"] == NOW - 60
    assert claims["pid"] == "x"
    assert "jti" not in claims


def test_the_jwks_publishes_only_the_public_key() -> None:
    issuer, _, _ = make()
    assert issuer.jwks() == {"keys": [KEY.public_jwk]}


def test_a_token_verifies_into_its_claims() -> None:
    issuer, verifier, _ = make()
    token = issue(issuer)
    assert verifier.verify(token) == claims_of(token)


def test_the_key_decides_which_issuer_a_token_must_name() -> None:
    _, verifier, _ = make()
    claims = {"iss": OTHER_ISSUER, "iat": NOW, "exp": NOW + 60, "scp": [API_SCOPE]}
    assert verifier.verify(rs256(OTHER, claims, {"kid": "other"}))["iss"] == OTHER_ISSUER
    with pytest.raises(InvalidTokenError, match=re.escape(f"the issuer '{ISSUER}' is not trusted")):
        verifier.verify(rs256(OTHER, {**claims, "iss": ISSUER}, {"kid": "other"}))
    with pytest.raises(InvalidTokenError, match="signature"):
        verifier.verify(rs256(OTHER, claims, {"kid": KEY.kid}))


@pytest.mark.parametrize(
    ("advance_seconds", "valid"),
    [(120 + LEEWAY_SECONDS - 1, True), (120 + LEEWAY_SECONDS, False)],
    ids=["within-the-leeway", "at-the-leeway"],
)
def test_expiry_allows_the_leeway_and_no_more(advance_seconds: int, valid: bool) -> None:
    issuer, verifier, clock = make()
    token = issue(issuer)
    clock.advance(advance_seconds * 1000)
    if valid:
        verifier.verify(token)
    else:
        with pytest.raises(InvalidTokenError, match="the token has expired"):
            verifier.verify(token)


@pytest.mark.parametrize(
    ("claim", "offset", "valid"),
    [
        ("nbf", LEEWAY_SECONDS, True),
        ("nbf", LEEWAY_SECONDS + 1, False),
        ("iat", LEEWAY_SECONDS, True),
        ("iat", LEEWAY_SECONDS + 1, False),
    ],
    ids=["nbf-at-the-leeway", "nbf-past-the-leeway", "iat-at-the-leeway", "iat-past-the-leeway"],
)
def test_a_token_from_the_future_is_refused_past_the_leeway(claim: str, offset: int, valid: bool) -> None:
    issuer, verifier, _ = make()
    token = issue(issuer, extra_claims={claim: NOW + offset, "exp": NOW + 600})
    if valid:
        verifier.verify(token)
    else:
        with pytest.raises(InvalidTokenError, match=f"\\({claim}\\)"):
            verifier.verify(token)


def test_a_verifier_trusting_nobody_refuses_everything() -> None:
    issuer, _, clock = make()
    with pytest.raises(InvalidTokenError, match="no trusted issuer has a key with kid"):
        TokenVerifier([], clock).verify(issue(issuer))


def test_the_first_trusted_issuer_with_the_kid_wins() -> None:
    issuer, _, clock = make()
    shadowing = TrustedIssuer("https://shadow.example/", lambda _: KEY.private_key.public_key())
    own = TrustedIssuer(ISSUER, lambda _: KEY.private_key.public_key())
    token = issue(issuer)
    assert TokenVerifier([own, shadowing], clock).verify(token)["iss"] == ISSUER
    with pytest.raises(InvalidTokenError, match="not trusted for this key"):
        TokenVerifier([shadowing, own], clock).verify(token)


@pytest.mark.parametrize(
    ("claims", "scopes"),
    [
        ({"scope": f"{API_SCOPE} openid"}, {API_SCOPE, "openid"}),
        ({"scope": f"  {API_SCOPE}   openid "}, {API_SCOPE, "openid"}),
        ({"scp": [API_SCOPE, 7, None]}, {API_SCOPE}),
        ({"scp": f"{API_SCOPE} openid"}, {API_SCOPE, "openid"}),
        ({"scope": "a", "scp": [API_SCOPE]}, {"a"}),
        ({"scope": 7}, set()),
        ({"scope": {"nav": 1}}, set()),
        ({}, set()),
    ],
    ids=[
        "scope-string",
        "scope-with-extra-spaces",
        "scp-list-skipping-non-strings",
        "scp-string",
        "scope-wins-over-scp",
        "scope-a-number",
        "scope-an-object",
        "neither",
    ],
)
def test_granted_scopes_reads_scope_or_scp(claims: dict[str, Any], scopes: set[str]) -> None:
    assert granted_scopes(claims) == scopes


def test_verification_never_takes_a_key_from_the_token() -> None:
    """A jwk or x5c in the header names the attacker's key; the verifier must not use it."""
    _, verifier, _ = make()
    attacker = rsa_key("attacker")
    claims = {"iss": ISSUER, "iat": NOW, "exp": NOW + 60, "scope": API_SCOPE}
    for header in (
        {"kid": KEY.kid, "jwk": jwk_of(attacker)},
        {"kid": KEY.kid, "x5c": [self_signed_certificate(attacker)]},
        {"kid": kid_of(attacker), "jku": "https://attacker.example/jwks"},
    ):
        with pytest.raises(InvalidTokenError):
            verifier.verify(rs256(attacker, claims, header))


@given(st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.text(max_size=3)))
def test_numeric_date_never_raises_and_takes_only_finite_numbers_up_to_the_year_9999(value: object) -> None:
    result = numeric_date(value)
    usable = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and value == value  # noqa: PLR0124 - NaN
        and -LATEST_NUMERIC_DATE <= value <= LATEST_NUMERIC_DATE
    )
    assert (result is not None) == usable
    if result is not None:
        assert result == value


@pytest.mark.parametrize(
    ("claim", "value", "reason"),
    [
        ("exp", 10**400, "the exp claim is out of range"),
        ("iat", -(10**400), "the iat claim is out of range"),
        ("nbf", math.inf, "the nbf claim is out of range"),
        ("exp", 1e300, "the exp claim is out of range"),
        ("exp", math.nan, "the exp claim is not a number"),
    ],
    ids=["exp-huge-int", "iat-huge-negative", "nbf-infinite", "exp-huge-float", "exp-nan"],
)
def test_a_time_claim_no_clock_can_compare_is_an_invalid_token(claim: str, value: object, reason: str) -> None:
    issuer, verifier, _ = make()
    token = issuer.issue(
        client_id="k", organisation_number="310000019", scope=API_SCOPE, client_amr="x", extra_claims={claim: value}
    ).access_token
    with pytest.raises(InvalidTokenError, match=f"^{reason}$"):
        verifier.verify(token)


# Times as tokens carry them: whole or fractional seconds from 2020 to 2040, and nbf sometimes absent.
_SECONDS = st.one_of(st.integers(1_577_836_800, 2_208_988_800), st.floats(1_577_836_800, 2_208_988_800))


@settings(max_examples=400)
@given(
    expires=_SECONDS,
    issued=_SECONDS,
    not_before=st.one_of(st.just(-math.inf), _SECONDS),
    # Anywhere near the time, and most often right at the leeway's edges, where a bound could be off by one.
    offset_ms=st.one_of(st.integers(-20_000, 20_000), st.sampled_from([-5_001, -5_000, -4_999, 4_999, 5_000, 5_001])),
    near=st.sampled_from(["expires", "issued", "not_before"]),
)
def test_a_tokens_window_holds_exactly_the_milliseconds_at_which_its_times_pass(
    expires: float, issued: float, not_before: float, offset_ms: int, near: str
) -> None:
    validity = Validity(float(expires), float(not_before), float(issued))
    anchor = {"expires": expires, "issued": issued, "not_before": not_before}[near]
    now_ms = (math.floor(anchor * 1000) if anchor != -math.inf else 1_700_000_000_000) + offset_ms
    clock = ControlledClock(frozen_at_ms=now_ms)
    verifier = TokenVerifier([], clock)
    start, until = verifier.window(validity)
    try:
        verifier.check_times(validity)
        passes = True
    except InvalidTokenError:
        passes = False
    assert passes == (start <= now_ms < until)
