"""A real JWT-bearer consumer against a real server, while a test moves the emulator's clock.

The consumer signs with its own key, registered through EmulatorControl, on its own (real) clock, as in
production; the emulator's controlled clock expires its access tokens, and it renews them as it would.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator.testing.control import API_SCOPE, MEDL_SCOPE, EmulatorControl
from tests.servers import PYTHON_M, issuer_in, running_server

CLIENT_ID = "klokke-konsument"
KID = "min-nokkel"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Consumer:
    """A consumer's token code: a fresh assertion from its real clock whenever it needs a token."""

    def __init__(self, control: EmulatorControl) -> None:
        self.control = control

    def token(self) -> str:
        now = int(time.time())
        claims = {
            "aud": self.control.issuer,
            "iss": CLIENT_ID,
            "scope": f"{API_SCOPE} {MEDL_SCOPE}",
            "iat": now,
            "exp": now + 60,
            "jti": str(uuid.uuid4()),
        }
        assertion = jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": KID, "typ": "JWT"})
        grant = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
        response = httpx.post(self.control.token_url, data=grant)
        assert response.status_code == 200, response.text
        assert response.json()["scope"] == f"{API_SCOPE} {MEDL_SCOPE}"
        token: str = response.json()["access_token"]
        return token

    def read(self, token: str) -> httpx.Response:
        headers = {"Ocp-Apim-Subscription-Key": self.control.subscription_key, "Authorization": f"Bearer {token}"}
        return httpx.get(self.control.feed_url, params={"hendelsesnummer": 1, "antallHendelser": 1}, headers=headers)


@pytest.fixture(scope="module")
def served() -> Iterator[EmulatorControl]:
    command = [*PYTHON_M, "serve", "--events", "50", "--auth-mode", "strict"]
    with running_server(command) as (base, banner), EmulatorControl(base, issuer=issuer_in(banner)) as control:
        yield control


@pytest.mark.parametrize(
    "move",
    [{"action": "set", "now": "2031-05-17T12:00:00Z"}, {"action": "freeze"}, {"action": "reset"}],
    ids=["set", "freeze", "reset"],
)
def test_a_consumer_on_real_time_renews_its_token_after_the_clock_is_moved(
    served: EmulatorControl, move: dict[str, str]
) -> None:
    control = served
    control.reset()
    public_pem = KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    control.register_client(CLIENT_ID, scopes=[API_SCOPE, MEDL_SCOPE], public_keys_pem={KID: public_pem.decode()})
    consumer = Consumer(control)
    token = consumer.token()
    assert consumer.read(token).status_code == 200
    control.advance(600)  # past the token's 120 s
    expired = consumer.read(token)
    assert expired.status_code == 401
    assert expired.json()["message"].endswith("The token has expired.")
    renewed = consumer.token()  # `iat is -600 s from the server's time` before: the assertion is on real time
    assert consumer.read(renewed).status_code == 200
    control.clock(move["action"], now=move.get("now"))  # type: ignore[arg-type]
    after = consumer.token()
    assert consumer.read(after).status_code == 200
