"""A third-party Maskinporten client, unchanged: Authlib's JWT-bearer AssertionClient against a real server.

It is given only what a consumer is given: the token URL, the audience (the issuer) and its own RSA key.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from joserfc.jwk import RSAKey

from emulator.maskinporten.tokens import API_SCOPE
from tests.servers import PYTHON_M, issuer_in, running_server
from tests.tokencraft import claims_of, jwk_of, kid_of, pem_of, rsa_key

with warnings.catch_warnings():
    # Authlib warns, on import, when it finds httpx rather than its successor httpx2; its own module
    # asks for such warnings "always", so the filter goes in after that module is loaded.
    from authlib.deprecate import AuthlibDeprecationWarning  # type: ignore[import-untyped]

    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.base_client import OAuthError  # type: ignore[import-untyped]
    from authlib.integrations.httpx_client import AssertionClient  # type: ignore[import-untyped]

REGISTERED = "tredjepart"
UNREGISTERED = "ny-tredjepart"
CLIENTS = pytest.mark.parametrize("client_id", [REGISTERED, UNREGISTERED], ids=["registered", "unregistered"])
KEY = rsa_key("third party")
SUBSCRIPTION = {"Ocp-Apim-Subscription-Key": "local-subscription-key"}
FEED = "/helse/v1/trygdehendelser/hendelser"


class Server:
    """A running emulator as a consumer knows it: its base URL, and issuer and token URL from metadata."""

    def __init__(self, base: str, banner: str) -> None:
        self.base = base
        self.issuer = issuer_in(banner)
        metadata = httpx.get(f"{self.issuer}.well-known/oauth-authorization-server").json()
        assert metadata["issuer"] == self.issuer
        self.token_endpoint: str = metadata["token_endpoint"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server in open mode, its clients file naming REGISTERED with the key: that one's signature is checked."""
    clients = tmp_path_factory.mktemp("clients") / "clients.json"
    registration = {"client_id": REGISTERED, "scopes": [API_SCOPE], "jwks": [jwk_of(KEY)]}
    clients.write_text(json.dumps({"clients": [registration]}))
    env = {"EMULATOR_CLIENTS_FILE": str(clients)}
    with running_server([*PYTHON_M, "serve", "--events", "50"], env) as (base, banner):
        assert "open mode" in banner
        yield Server(base, banner)


def assertion_client(server: Server, client_id: str = REGISTERED, **options: Any) -> Any:
    """Authlib's client configured as Digdir's guide says: kid in the header, scope as a claim, 60 s."""
    settings: dict[str, Any] = {
        "token_endpoint": server.token_endpoint,
        "issuer": client_id,
        "subject": None,
        "audience": server.issuer,
        "claims": {"scope": API_SCOPE},
        "key": RSAKey.import_key(pem_of(KEY)),
        "header": {"alg": "RS256", "kid": kid_of(KEY)},
        "expires_in": 60,
        **options,
    }
    return AssertionClient(**settings)


@CLIENTS
def test_authlibs_assertion_client_gets_a_token_and_reads_the_feed(server: Server, client_id: str) -> None:
    with assertion_client(server, client_id) as client:
        response = client.get(f"{server.base}{FEED}", params={"hendelsesnummer": 49}, headers=SUBSCRIPTION)
        assert response.status_code == 200, response.text
        assert [event["hendelsesnummer"] for event in response.json()["hendelser"]] == [49, 50]
        token = client.token
        assert token["token_type"] == "Bearer"
        assert isinstance(token["expires_in"], int)
        claims = claims_of(token["access_token"])
        assert (claims["iss"], claims["client_id"], claims["scope"]) == (server.issuer, client_id, API_SCOPE)
        assert claims["client_amr"] == "private_key_jwt"


def test_authlib_with_a_sub_claim_and_typ_header_is_accepted(server: Server) -> None:
    """Digdir's examples put neither `sub` nor `typ`; Maskinporten ignores both, and so must the emulator."""
    with assertion_client(
        server, subject=REGISTERED, header={"alg": "RS256", "kid": kid_of(KEY), "typ": "JWT"}
    ) as client:
        assert client.refresh_token()["scope"] == API_SCOPE


@pytest.mark.parametrize(
    ("options", "description"),
    [
        ({"expires_in": 3600}, "exp is 3600 s after iat; at most 120 s are allowed"),
        ({"audience": None}, "aud must be"),
    ],
    ids=["authlibs-default-one-hour-lifetime", "authlibs-default-audience-the-token-endpoint"],
)
@CLIENTS
def test_authlibs_defaults_that_maskinporten_refuses_are_refused(
    server: Server, client_id: str, options: dict[str, Any], description: str
) -> None:
    """Authlib's defaults suit Google, not Maskinporten: a one-hour assertion, the token URL as aud."""
    with assertion_client(server, client_id, **options) as client, pytest.raises(OAuthError) as caught:
        client.refresh_token()
    assert caught.value.error == "invalid_grant"
    assert description in caught.value.description


def test_a_signature_by_another_key_under_the_registered_kid_is_refused(server: Server) -> None:
    forged = RSAKey.import_key(pem_of(rsa_key("attacker")))
    with assertion_client(server, key=forged) as client, pytest.raises(OAuthError) as caught:
        client.refresh_token()
    assert (caught.value.error, caught.value.description) == (
        "invalid_grant",
        "Invalid assertion: the signature does not verify",
    )


def test_authlib_reuses_its_jti_when_given_claims_and_the_replay_is_refused(server: Server) -> None:
    """Authlib writes the jti it makes into the `claims` dict it was given, so the next assertion repeats it."""
    with assertion_client(server) as client:
        client.refresh_token()
        with pytest.raises(OAuthError) as caught:
            client.refresh_token()
    assert caught.value.error == "invalid_grant"
    assert "has been used before" in caught.value.description
