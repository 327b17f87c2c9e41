"""Other issuers the API trusts, with keys from a JWKS file or a JWKS URL served by a real HTTP server."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from emulator.maskinporten.keys import same_key
from emulator.maskinporten.tokens import API_SCOPE
from emulator.maskinporten.trust import (
    REFRESH_SECONDS,
    RETRY_SECONDS,
    IssuerConfig,
    RemoteKeys,
    parse_trusted_issuers,
    trusted_issuer,
)
from emulator.testing import InProcessClient
from tests.conftest import AppFactory
from tests.tokencraft import NOW, jwk_of, kid_of, rs256, rsa_key

OTHER_ISSUER = "https://login.other.example/tenant/v2.0"
OTHER = rsa_key("other issuer")
OTHER_KID = kid_of(OTHER)
OWN_ISSUER = "http://127.0.0.1:8080/maskinporten/"
FEED = "/helse/v1/trygdehendelser/hendelser?hendelsesnummer=1&antallHendelser=1"
EC_JWK = {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "kid": "ec"}


@dataclass
class JwksServer:
    """A tiny JWKS endpoint on 127.0.0.1: what it serves can change; it records every request."""

    url: str = ""
    document: bytes = b""
    status: int = 200
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    state = JwksServer(document=json.dumps({"keys": [EC_JWK, jwk_of(OTHER)]}).encode())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            found = self.path == "/jwks"
            self.send_response(state.status if found else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            if found:
                self.wfile.write(state.document)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/jwks"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def jwks_file(tmp_path: Path) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [EC_JWK, {"kty": "RSA", "n": "AQAB", "e": "AQAB"}, jwk_of(OTHER)]}))
    return path


@pytest.fixture(params=["file", "url"])
def jwks_source(request: pytest.FixtureRequest, jwks_file: Path) -> str:
    """Where the other issuer's keys come from: a file, or a URL (the server starts only for that)."""
    if request.param == "file":
        return str(jwks_file)
    server: JwksServer = request.getfixturevalue("jwks_server")
    return server.url


def other_token(**changes: Any) -> str:
    """A token as another issuer (Entra ID, say) would sign it: `scp`, `azp`, its own kid."""
    claims = {"iss": OTHER_ISSUER, "iat": NOW, "exp": NOW + 300, "scp": [API_SCOPE], "azp": "annen-klient", **changes}
    return rs256(OTHER, claims, {"kid": OTHER_KID})


def feed(app: FastAPI, token: str) -> tuple[int, Any]:
    headers = {"Ocp-Apim-Subscription-Key": "local-subscription-key", "Authorization": f"Bearer {token}"}
    with InProcessClient(app) as http:
        response = http.get(FEED, headers=headers)
    return response.status_code, response.json()


def trusting(fresh_app: AppFactory, jwks: str) -> FastAPI:
    return fresh_app(trusted_issuers=json.dumps([{"issuer": OTHER_ISSUER, "jwks": jwks}]))


def own_token(app: FastAPI) -> str:
    with InProcessClient(app) as http:
        token: str = http.post("/_emulator/tokens", json={}).json()["access_token"]
    return token


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("  \n", []),
        ("[]", []),
        (
            '[{"issuer": "https://a/", "jwks": "/etc/jwks.json"}, {"issuer": "https://b/", "jwks": "https://b/keys"}]',
            [IssuerConfig("https://a/", "/etc/jwks.json"), IssuerConfig("https://b/", "https://b/keys")],
        ),
    ],
    ids=["empty", "blank", "empty-list", "file-and-url"],
)
def test_trusted_issuers_are_a_json_list(text: str, expected: list[IssuerConfig]) -> None:
    assert parse_trusted_issuers(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"issuer": "https://a/", "jwks": "x"}', "JSON list"),
        ('[{"issuer": "https://a/"}]', "needs issuer and jwks"),
        ('[{"jwks": "x"}]', "needs issuer and jwks"),
        ('[{"issuer": 7, "jwks": "x"}]', "needs issuer and jwks"),
        ('[{"issuer": "https://a/", "jwks": ""}]', "needs issuer and jwks"),
        ('["https://a/"]', "needs issuer and jwks"),
    ],
    ids=["an-object", "no-jwks", "no-issuer", "issuer-not-a-string", "empty-jwks", "a-string"],
)
def test_a_malformed_trusted_issuer_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_trusted_issuers(text)


def test_a_jwks_file_gives_the_rsa_keys_by_kid(jwks_file: Path) -> None:
    trusted = trusted_issuer(IssuerConfig(OTHER_ISSUER, str(jwks_file)))
    assert trusted.issuer == OTHER_ISSUER
    key = trusted.key_for(OTHER_KID)
    assert key is not None
    assert same_key(key, OTHER.public_key())
    assert trusted.key_for("ec") is None
    assert trusted.key_for("ukjent") is None


def test_a_token_of_an_issuer_trusted_by_file_passes_the_gateway(fresh_app: AppFactory, jwks_file: Path) -> None:
    app = trusting(fresh_app, str(jwks_file))
    assert feed(app, other_token())[0] == 200
    assert feed(app, own_token(app))[0] == 200


def until_accepted(app: FastAPI, token: str) -> None:
    """Wait (reading the feed, with a deadline) until the key set fetched in the background lets `token` in."""
    deadline = time.monotonic() + 15
    while feed(app, token)[0] != 200:
        assert time.monotonic() < deadline, "the other issuer's keys never arrived"


def test_a_token_of_an_issuer_trusted_by_url_passes_the_gateway(fresh_app: AppFactory, jwks_server: JwksServer) -> None:
    app = trusting(fresh_app, jwks_server.url)
    until_accepted(app, other_token())  # fetched in the background from the start
    assert feed(app, other_token(azp="igjen"))[0] == 200
    assert jwks_server.requests == ["/jwks"]  # and then cached
    assert feed(app, own_token(app))[0] == 200
    assert jwks_server.requests == ["/jwks"]  # the emulator's own tokens never ask the other issuer


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (lambda: other_token(iss=OWN_ISSUER), f"The issuer '{OWN_ISSUER}' is not trusted for this key."),
        (lambda: other_token(iss="https://login.other.example/"), "is not trusted for this key."),
        (
            lambda: rs256(rsa_key("attacker"), {"iss": OTHER_ISSUER, "iat": NOW, "exp": NOW + 60}, {"kid": OTHER_KID}),
            "The signature does not verify.",
        ),
        (lambda: other_token(exp=NOW - 60), "The token has expired."),
    ],
    ids=["claims-the-emulators-issuer", "another-issuer-url", "signed-by-another-key", "expired"],
)
def test_a_bad_token_of_a_trusted_issuer_is_refused(
    fresh_app: AppFactory, jwks_source: str, token: Any, reason: str
) -> None:
    app = trusting(fresh_app, jwks_source)
    until_accepted(app, other_token())
    status, body = feed(app, token())
    assert status == 401
    assert body["message"].endswith(reason)


def test_the_scope_rule_holds_for_other_issuers_too(fresh_app: AppFactory, jwks_file: Path) -> None:
    app = trusting(fresh_app, str(jwks_file))
    assert feed(app, other_token(scp=["api://annet/.default"]))[0] == 403


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("status", "document"),
    [(500, b"{}"), (200, b"not json"), (200, b'{"keys": []}')],
    ids=["server-error", "not-json", "no-keys"],
)
def test_a_jwks_url_that_gives_no_key_means_401_not_500(
    fresh_app: AppFactory, jwks_server: JwksServer, status: int, document: bytes
) -> None:
    jwks_server.status, jwks_server.document = status, document
    app = trusting(fresh_app, jwks_server.url)
    status_code, body = feed(app, other_token())
    assert status_code == 401
    assert body["message"].endswith(f"No trusted issuer has a key with kid '{OTHER_KID}'.")


def test_an_unreachable_jwks_url_means_401_and_the_emulators_own_tokens_still_work(fresh_app: AppFactory) -> None:
    app = trusting(fresh_app, f"http://127.0.0.1:{_closed_port()}/jwks")
    assert feed(app, other_token())[0] == 401
    assert feed(app, own_token(app))[0] == 200


class FakeMonotonic:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def remote(jwks_server: JwksServer) -> tuple[Any, FakeMonotonic]:
    clock = FakeMonotonic()
    return trusted_issuer(IssuerConfig(OTHER_ISSUER, jwks_server.url), monotonic=clock).key_for, clock


def test_a_jwks_url_is_asked_once_for_many_tokens_with_a_kid_it_lacks(jwks_server: JwksServer) -> None:
    """Each fetch holds up the whole server: a negative test's unknown kid must not cost one per request."""
    key_for, clock = remote(jwks_server)
    assert [key_for("ukjent") for _ in range(50)] == [None] * 50
    assert len(jwks_server.requests) == 1
    assert key_for(OTHER_KID) is not None  # from the set already fetched
    clock.now += RETRY_SECONDS
    assert key_for("ukjent") is None
    assert len(jwks_server.requests) == 2


@pytest.mark.parametrize(
    ("status", "document"),
    [(500, b"{}"), (200, b"not json"), (200, b"[1, 2]")],
    ids=["server-error", "not-json", "not-an-object"],
)
def test_a_failing_jwks_url_is_asked_again_only_after_the_retry_interval(
    jwks_server: JwksServer, status: int, document: bytes
) -> None:
    good = jwks_server.document
    jwks_server.status, jwks_server.document = status, document
    key_for, clock = remote(jwks_server)
    assert [key_for(OTHER_KID) for _ in range(20)] == [None] * 20
    assert len(jwks_server.requests) == 1
    jwks_server.status, jwks_server.document = 200, good
    clock.now += RETRY_SECONDS - 1
    assert key_for(OTHER_KID) is None
    clock.now += 1
    assert key_for(OTHER_KID) is not None
    assert len(jwks_server.requests) == 2


def test_a_fetched_set_is_fetched_again_after_its_lifetime_and_kept_when_that_fails(jwks_server: JwksServer) -> None:
    key_for, clock = remote(jwks_server)
    assert key_for(OTHER_KID) is not None
    clock.now += REFRESH_SECONDS - 1
    assert key_for(OTHER_KID) is not None
    assert len(jwks_server.requests) == 1
    jwks_server.status = 503
    clock.now += 1
    assert key_for(OTHER_KID) is not None  # the refresh failed: the last good keys still count
    assert len(jwks_server.requests) == 2


def test_a_key_that_cannot_be_read_leaves_the_rest_of_a_fetched_set_usable(jwks_server: JwksServer) -> None:
    broken = {"kty": "RSA", "kid": "brukket", "n": "!!", "e": "AQAB"}
    jwks_server.document = json.dumps({"keys": [broken, "not a key", jwk_of(OTHER)]}).encode()
    key_for, _ = remote(jwks_server)
    assert key_for("brukket") is None
    assert key_for(OTHER_KID) is not None


# --- a slow JWKS endpoint never holds up the server ----------------------------------------------------


@dataclass
class SlowJwksServer:
    """A JWKS endpoint that holds every answer until the test releases it (it blocks in its own thread)."""

    url: str
    asked: threading.Event
    release: threading.Event


@pytest.fixture
def slow_jwks_server() -> Iterator[SlowJwksServer]:
    asked, release = threading.Event(), threading.Event()
    document = json.dumps({"keys": [jwk_of(OTHER)]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.set()
            release.wait(30)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    state = SlowJwksServer(f"http://127.0.0.1:{server.server_address[1]}/jwks", asked, release)
    try:
        yield state
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_hanging_jwks_url_holds_up_no_request(fresh_app: AppFactory, slow_jwks_server: SlowJwksServer) -> None:
    """While the other issuer's JWKS hangs, the feed answers: its own tokens pass, the other's get a prompt 401."""
    app = trusting(fresh_app, slow_jwks_server.url)
    assert slow_jwks_server.asked.wait(10), "the emulator never asked for the key set"
    # The fetch is now held by the slow server: nothing the feed does may wait for it.
    own = own_token(app)
    with InProcessClient(app) as http:
        for _ in range(20):
            assert (
                http.get(
                    FEED,
                    headers={"Ocp-Apim-Subscription-Key": "local-subscription-key", "Authorization": f"Bearer {own}"},
                ).status_code
                == 200
            )
    status, body = feed(app, other_token())
    assert status == 401
    assert body["message"].endswith(f"No trusted issuer has a key with kid '{OTHER_KID}'.")
    assert not slow_jwks_server.release.is_set()  # all of the above ran while the fetch hung
    slow_jwks_server.release.set()
    until_accepted(app, other_token())


async def _key_on_the_loop(keys: RemoteKeys, kid: str) -> object:
    return keys.key_for(kid)


def test_on_the_event_loop_a_kid_being_fetched_is_unknown_at_once_and_off_it_the_fetch_is_awaited(
    slow_jwks_server: SlowJwksServer,
) -> None:
    keys = RemoteKeys(slow_jwks_server.url)
    assert slow_jwks_server.asked.wait(10)
    assert asyncio.run(_key_on_the_loop(keys, OTHER_KID)) is None
    slow_jwks_server.release.set()
    key = keys.key_for(OTHER_KID)  # this thread runs no event loop: it waits for the fetch
    assert key is not None
    assert same_key(key, OTHER.public_key())
