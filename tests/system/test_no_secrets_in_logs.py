"""No secret reaches the log: a real server at debug level, fed keys, tokens, assertions and secrets."""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from emulator.maskinporten.authorization import JWT_BEARER
from emulator.maskinporten.tokens import API_SCOPE
from emulator.settings import Settings
from tests.servers import PYTHON_M, issuer_in, running_server
from tests.tokencraft import jwk_of, kid_of, rs256, rsa_key, with_claims

HEADER_KEY = "sk-header-7f3a9c1e"
QUERY_KEY = "sk-query-4b8d2e6f"
CLIENT_SECRET = "cs-hemmelig-91d0c4"
WRONG_SECRET = "cs-feil-2c7e5a"
FEED = "/helse/v1/trygdehendelser/hendelser"


def test_keys_tokens_assertions_and_secrets_never_reach_the_log(tmp_path: Path) -> None:
    key = rsa_key("logged client")
    clients = tmp_path / "clients.json"
    registration = {"client_id": "logget", "scopes": [API_SCOPE], "jwks": [jwk_of(key)], "client_secret": CLIENT_SECRET}
    clients.write_text(json.dumps({"clients": [registration]}))
    env = {"EMULATOR_SUBSCRIPTION_KEYS": f"{HEADER_KEY},{QUERY_KEY}", "EMULATOR_CLIENTS_FILE": str(clients)}
    secrets: list[str] = [HEADER_KEY, QUERY_KEY, CLIENT_SECRET, WRONG_SECRET]
    output: list[str] = []
    command = [*PYTHON_M, "serve", "--events", "30", "--log-level", "debug"]
    with running_server(command, env, output=output) as (base, banner), httpx.Client(base_url=base) as http:
        issuer = issuer_in(banner)
        now = int(time.time())
        claims = {
            "aud": issuer,
            "iss": "logget",
            "scope": API_SCOPE,
            "iat": now,
            "exp": now + 60,
            "jti": str(uuid.uuid4()),
        }
        assertion = rs256(key, claims, {"kid": kid_of(key)})
        bad_assertion = with_claims(assertion, jti=str(uuid.uuid4()))
        secrets += [assertion, bad_assertion]

        token_url = f"{issuer}token"
        issued = http.post(token_url, data={"grant_type": JWT_BEARER, "assertion": assertion})
        assert issued.status_code == 200, issued.text
        assert http.post(token_url, data={"grant_type": JWT_BEARER, "assertion": assertion}).status_code == 400
        assert http.post(token_url, data={"grant_type": JWT_BEARER, "assertion": bad_assertion}).status_code == 400
        form = {"grant_type": "client_credentials", "client_id": "logget", "client_secret": CLIENT_SECRET}
        by_secret = http.post(token_url, data=form)
        assert by_secret.status_code == 200, by_secret.text
        assert http.post(token_url, data={**form, "client_secret": WRONG_SECRET}).status_code == 401
        basic = "Basic " + base64.b64encode(f"logget:{CLIENT_SECRET}".encode()).decode()
        assert (
            http.post(
                token_url, data={"grant_type": "client_credentials"}, headers={"Authorization": basic}
            ).status_code
            == 200
        )
        secrets.append(basic.removeprefix("Basic "))
        minted = http.post("/_emulator/tokens", json={}).json()["access_token"]

        token = issued.json()["access_token"]
        invalid = with_claims(token, scope="nav:alt")
        secrets += [token, by_secret.json()["access_token"], minted, invalid]
        for bearer, status in [(token, 200), (minted, 200), (invalid, 401), ("ikke-en-jwt-3e9f", 401)]:
            response = http.get(
                FEED,
                params={"hendelsesnummer": 1},
                headers={"Ocp-Apim-Subscription-Key": HEADER_KEY, "Authorization": f"Bearer {bearer}"},
            )
            assert response.status_code == status, response.text
        secrets.append("ikke-en-jwt-3e9f")
        response = http.get(
            FEED,
            params={"hendelsesnummer": 1, "subscription-key": QUERY_KEY},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200
        # Refusals, which are the likeliest to be logged: an unknown key, a bad parameter, a missing page.
        assert http.get(FEED, params={"subscription-key": "sk-ukjent-5d1a"}).status_code == 401
        secrets.append("sk-ukjent-5d1a")
        assert (
            http.get(
                FEED,
                params={"hendelsesnummer": "x", "subscription-key": QUERY_KEY},
                headers={"Authorization": f"Bearer {token}"},
            ).status_code
            == 400
        )
        assert http.get(f"{FEED}/ukjent", params={"subscription-key": QUERY_KEY}).status_code == 404

    log = "".join(output)
    assert "Application startup complete" in log  # the log was read, at debug level
    assert "Shutting down" in log or "Finished server process" in log  # ...to its end
    # A token's signature alone would be as bad as the whole token.
    fragments = secrets + [secret.rsplit(".", 1)[-1] for secret in secrets if secret.count(".") == 2]
    leaked = [fragment[:24] for fragment in fragments if fragment in log]
    assert leaked == [], log


def test_the_log_level_stops_short_of_trace_which_prints_query_strings() -> None:
    """uvicorn's `trace` logs each request's raw path and query string: `?subscription-key=` with it."""
    with pytest.raises(ValidationError):
        Settings(log_level="trace")
