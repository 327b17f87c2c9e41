"""The token endpoint under load: Maskinporten's JWT-bearer grant, with assertions signed beforehand, each used once."""

from __future__ import annotations

import logging
import math
import time
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from bench.consumer import call_json
from bench.load import LoadDriver, rate
from bench.results import Settings, TokenRun

logger = logging.getLogger(__name__)
API_SCOPE = "nav:helse/v1/trygdehendelser"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# An assertion's iat may be at most this far from the server's clock (Maskinporten's rule, the emulator's too).
ASSERTION_SKEW_S = 10


def sign_assertions(key: rsa.RSAPrivateKey, issuer: str, count: int, iat: int) -> list[bytes]:
    """`count` form bodies of the grant, each with a fresh jti, all with the one `iat`."""
    return [
        (
            f"grant_type={JWT_BEARER.replace(':', '%3A')}&assertion="
            + jwt.encode(
                {
                    "aud": issuer,
                    "iss": "bench-client",
                    "scope": API_SCOPE,
                    "iat": iat,
                    "exp": iat + 60,
                    "jti": str(uuid.uuid4()),
                },
                key,
                algorithm="RS256",
                headers={"kid": "bench-key"},
            )
        ).encode("ascii")
        for _ in range(count)
    ]


def run_tokens(driver: LoadDriver, settings: Settings, port: int) -> list[TokenRun]:
    """The JWT-bearer grant in tokens/s: assertions signed beforehand, each used once."""
    metadata = call_json(port, "GET", "/maskinporten/.well-known/oauth-authorization-server")
    issuer: str = metadata["issuer"]
    token_path = "/" + metadata["token_endpoint"].split("://", 1)[1].split("/", 1)[1]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # Every assertion of a run carries one iat, for the middle of the run, so a run (warm-up included) lasts at most
    # 12 s and stays within the skew either side of it.
    seconds = min(settings.duration, ASSERTION_SKEW_S)
    warmup = min(settings.warmup, 2)
    sign_assertions(key, issuer, 1, int(time.time()))  # the first one pays for what loads lazily
    calibration = time.perf_counter()
    sign_assertions(key, issuer, 100, int(time.time()))
    signs_per_s = 100 / (time.perf_counter() - calibration)
    expected = signs_per_s  # the tokens/s the next run's assertions are counted for
    runs: list[TokenRun] = []
    for connections in settings.connections:
        for _ in range(3):
            count = math.ceil(expected * (seconds + warmup) * 1.5) + 100
            # Signing is predicted generously and the run then waits for its planned start, so that it stays within
            # the iat's window even if the machine signs faster or (by up to 10 - seconds/2 s) slower than planned.
            start = time.time() + 1.25 * count / signs_per_s + 0.5
            bodies = sign_assertions(key, issuer, count, int(start + warmup + seconds / 2))
            if (early := start - time.time()) > 0:
                time.sleep(early)
            warm = math.ceil(expected * warmup * 1.5) + 20 if warmup else 0
            if warm:
                driver.post_each(port, token_path, bodies[:warm], connections, warmup)
            result = driver.post_each(port, token_path, bodies[warm:], connections, seconds)
            # A run that used up its assertions went at least this fast; the next one gets enough for twice that.
            expected = max(expected, result.requests_per_s * (2 if result.exhausted else 1))
            if not result.exhausted:
                break
        runs.append(TokenRun(connections, result, count))
        logger.info(
            f"  token endpoint c={connections:<3} {rate(result, 'tokens/s')} p99 {result.p99_ms:6.2f} ms "
            f"({count:,} assertions)"
        )
    return runs
