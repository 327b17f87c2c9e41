"""Registered clients: the bundled demo clients, the clients file format, and what a client trusts."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from jwt.algorithms import RSAAlgorithm

from emulator.maskinporten.clients import DEFAULT_ORGANISATION, Client, ClientRegistry, client_from_dict
from emulator.maskinporten.keys import same_key
from emulator.maskinporten.tokens import API_SCOPE, MEDL_SCOPE
from tests.tokencraft import jwk_of, kid_of, rsa_key, self_signed_certificate


def bundled() -> ClientRegistry:
    return ClientRegistry.from_json(resources.files("emulator").joinpath("fixtures/clients.json").read_text("utf-8"))


def test_the_bundled_demo_client_may_read_the_feed_with_its_documented_secret() -> None:
    demo = bundled().get("trygdehendelser-demo")
    assert demo is not None
    assert demo.scopes == {API_SCOPE, MEDL_SCOPE}
    assert demo.organisation_number == "310000019"
    assert demo.secret_matches("demo-secret")
    assert demo.jwks == ()


def test_the_clients_file_under_fixtures_is_the_bundled_one_and_loads_as_a_clients_file() -> None:
    """`fixtures/clients.json` at the repository's top is what `--clients-file` users copy and edit."""
    top = Path(__file__).resolve().parents[2] / "fixtures" / "clients.json"
    assert top.read_text("utf-8") == resources.files("emulator").joinpath("fixtures/clients.json").read_text("utf-8")
    assert ClientRegistry.load(top).get("trygdehendelser-demo") is not None


def test_the_bundled_client_without_access_lacks_the_api_scope() -> None:
    registry = bundled()
    assert len(registry) == 2
    client = registry.get("uten-tilgang")
    assert client is not None
    assert API_SCOPE not in client.scopes
    assert client.secret_matches("demo-secret")
    assert client.organisation_number != "310000019"


@pytest.mark.parametrize("number", ["310000019", "310000027"], ids=["demo", "uten-tilgang"])
def test_the_bundled_organisation_numbers_are_synthetic_and_mod_11_valid(number: str) -> None:
    # Real organisation numbers start with 8 or 9.
    weights = [3, 2, 7, 6, 5, 4, 3, 2]
    remainder = sum(int(digit) * weight for digit, weight in zip(number, weights, strict=False)) % 11
    assert int(number[-1]) == (0 if remainder == 0 else 11 - remainder)
    assert number[0] not in "89"


def test_a_minimal_entry_gets_the_defaults() -> None:
    client = client_from_dict({"client_id": "k"})
    assert client == Client(client_id="k", organisation_number=DEFAULT_ORGANISATION)
    assert client.client_secret is None
    assert not client.secret_matches("")
    assert not client.secret_matches("None")


@pytest.mark.parametrize(
    "jwks",
    [[jwk_of(rsa_key("client"))], {"keys": [jwk_of(rsa_key("client"))]}],
    ids=["list-of-jwks", "jwk-set"],
)
def test_a_clients_key_is_found_by_its_kid(jwks: Any) -> None:
    client = client_from_dict({"client_id": "k", "jwks": jwks, "scopes": ["a", "b", "a"]})
    key = client.key_for(kid_of(rsa_key("client")))
    assert key is not None
    assert same_key(key, rsa_key("client").public_key())
    assert client.key_for("ukjent") is None
    assert client.scopes == {"a", "b"}


def test_a_pasted_private_jwk_keeps_only_its_public_members() -> None:
    private = RSAAlgorithm.to_jwk(rsa_key("client"), as_dict=True) | {"kid": "p"}
    client = client_from_dict({"client_id": "k", "jwks": [private]})
    assert {"d", "p", "q", "dp", "dq", "qi"}.isdisjoint(client.jwks[0])
    assert {"kty", "n", "e", "kid"} <= set(client.jwks[0])


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"client_id": "k", "organisation_number": "12345678"}, "9 digits"),
        ({"client_id": "k", "organisation_number": "31000001a"}, "9 digits"),
        ({"client_id": "k", "organisation_number": "3100000190"}, "9 digits"),
        ({"client_id": "k", "jwks": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}, "every JWK needs a kid"),
        (
            {"client_id": "k", "jwks": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "kid": "e"}]},
            "not an RSA key",
        ),
        ({"client_id": "k", "jwks": [{"kty": "oct", "k": "c2VjcmV0", "kid": "h"}]}, "not an RSA key"),
    ],
    ids=[
        "organisation-number-too-short",
        "organisation-number-not-digits",
        "organisation-number-too-long",
        "jwk-without-kid",
        "ec-jwk",
        "symmetric-jwk",
    ],
)
def test_a_bad_entry_is_refused_naming_the_client(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=f"client 'k'.*{message}"):
        client_from_dict(entry)


@pytest.mark.parametrize("client_id", [None, "", 7], ids=["missing", "empty", "a-number"])
def test_an_entry_without_a_client_id_string_is_refused(client_id: object) -> None:
    entry = {"scopes": [API_SCOPE]} if client_id is None else {"client_id": client_id}
    with pytest.raises(ValueError, match="every client needs a client_id"):
        client_from_dict(entry)


def test_a_numeric_organisation_number_is_read_as_text() -> None:
    assert client_from_dict({"client_id": "k", "organisation_number": 310000019}).organisation_number == "310000019"


@pytest.mark.parametrize(
    ("secret", "matches"),
    [("riktig", True), ("Riktig", False), ("riktig ", False), ("", False), ("rikti", False)],
    ids=["right", "other-case", "trailing-space", "empty", "prefix"],
)
def test_a_secret_matches_only_exactly(secret: str, matches: bool) -> None:
    assert Client(client_id="k", client_secret="riktig").secret_matches(secret) is matches


def test_the_secret_stays_out_of_the_clients_repr() -> None:
    assert "riktig" not in repr(Client(client_id="k", client_secret="riktig"))


def test_a_client_trusts_only_its_registered_certificates_keys() -> None:
    client = Client(client_id="k", certificates=(self_signed_certificate(rsa_key("holder")),))
    assert client.trusts_certificate_key(rsa_key("holder").public_key())
    assert not client.trusts_certificate_key(rsa_key("attacker").public_key())
    assert not Client(client_id="k").trusts_certificate_key(rsa_key("holder").public_key())


def test_the_registry_loads_a_file_and_takes_new_and_replacing_registrations(tmp_path: Path) -> None:
    path = tmp_path / "clients.json"
    path.write_text(json.dumps({"clients": [{"client_id": "a", "scopes": ["x"]}]}), encoding="utf-8")
    registry = ClientRegistry.load(path)
    assert len(registry) == 1
    registry.register(Client(client_id="b"))
    registry.register(Client(client_id="a", scopes=frozenset({"y"})))
    assert len(registry) == 2
    client = registry.get("a")
    assert client is not None
    assert client.scopes == {"y"}
    assert registry.get("c") is None


@pytest.mark.parametrize("text", ["{}", '{"clients": []}'], ids=["no-clients-member", "empty-list"])
def test_a_file_without_clients_is_an_empty_registry(text: str) -> None:
    assert len(ClientRegistry.from_json(text)) == 0
