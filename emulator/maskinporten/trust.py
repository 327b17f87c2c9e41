"""Other issuers whose tokens the API accepts too, with their keys from a JWKS file or URL."""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator.maskinporten.keys import public_key_of_jwk
from emulator.maskinporten.tokens import TrustedIssuer


@dataclass(frozen=True)
class IssuerConfig:
    """`{"issuer": "...", "jwks": "https://.../jwks" | "/path/jwks.json"}` in EMULATOR_TRUSTED_ISSUERS."""

    issuer: str
    jwks: str


def parse_trusted_issuers(text: str) -> list[IssuerConfig]:
    if not text.strip():
        return []
    entries: Any = json.loads(text)
    if not isinstance(entries, list):
        raise ValueError("trusted issuers must be a JSON list of {issuer, jwks} objects")
    configs = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("issuer"), str) or not entry.get("jwks"):
            raise ValueError(f"a trusted issuer needs issuer and jwks: {entry!r}")
        configs.append(IssuerConfig(issuer=entry["issuer"], jwks=str(entry["jwks"])))
    return configs


def trusted_issuer(config: IssuerConfig, monotonic: Callable[[], float] = time.monotonic) -> TrustedIssuer:
    if config.jwks.startswith(("http://", "https://")):
        return TrustedIssuer(config.issuer, RemoteKeys(config.jwks, monotonic).key_for)
    keys = _keys_by_kid(json.loads(Path(config.jwks).read_text(encoding="utf-8")), config.jwks)
    return TrustedIssuer(config.issuer, keys.get)


# A fetched key set is used this long before it is fetched again.
REFRESH_SECONDS = 300.0
# The URL is asked again no sooner than this after an attempt, for a kid it lacked or after a failure: a negative
# test's unknown kid must not cost a fetch per request, nor a missing endpoint be hammered.
RETRY_SECONDS = 30.0
FETCH_TIMEOUT_SECONDS = 5.0


class RemoteKeys:
    """A JWKS URL's RSA keys by kid, fetched in a thread of their own, never on the event loop.

    A fetch starts when the keys are made (the other server may not be up yet: then it is retried), when a kid
    is missing, and when the set is older than REFRESH_SECONDS; at most one runs at a time, and a new one starts
    no sooner than RETRY_SECONDS after the last. On the event loop `key_for` answers from what is cached, so a
    request with a kid still being fetched gets the 401 of an unknown key while every other request is served;
    a caller off the loop (a thread, a test) waits for a running fetch, up to its timeout.
    """

    def __init__(self, url: str, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._url = url
        self._monotonic = monotonic
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        self._fetched_at = -math.inf
        self._tried_at = -math.inf
        self._lock = threading.Lock()
        self._running: threading.Event | None = None
        self._schedule(monotonic())

    def key_for(self, kid: str) -> rsa.RSAPublicKey | None:
        now = self._monotonic()
        if kid not in self._keys or now - self._fetched_at >= REFRESH_SECONDS:
            running = self._schedule(now)
            if running is not None and not _on_event_loop():
                running.wait(FETCH_TIMEOUT_SECONDS + 1)
        return self._keys.get(kid)

    def _schedule(self, now: float) -> threading.Event | None:
        """The fetch that is running, or a new one if the last attempt was long enough ago; None if neither."""
        with self._lock:
            if self._running is not None and not self._running.is_set():
                return self._running
            if now - self._tried_at < RETRY_SECONDS:
                return None
            self._tried_at = now
            running = self._running = threading.Event()
        threading.Thread(target=self._fetch, args=(now, running), name="jwks-fetch", daemon=True).start()
        return running

    def _fetch(self, started: float, done: threading.Event) -> None:
        try:
            response = httpx.get(self._url, timeout=FETCH_TIMEOUT_SECONDS)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError):
            # Unreachable, hanging, not JSON: its tokens are refused (401) and the last good keys kept.
            return
        else:
            self._keys = _usable_keys(document)
            self._fetched_at = started
        finally:
            done.set()


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _keys_by_kid(jwks: Any, name: str) -> dict[str, rsa.RSAPublicKey]:
    entries = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(entries, list) or not all(isinstance(jwk, dict) for jwk in entries):
        raise ValueError(f'{name} is not a JWK set: {{"keys": [{{"kty": "RSA", "kid": ...}}, ...]}}')
    return {
        jwk["kid"]: public_key_of_jwk(jwk)
        for jwk in entries
        if jwk.get("kty") == "RSA" and isinstance(jwk.get("kid"), str)
    }


def _usable_keys(jwks: Any) -> dict[str, rsa.RSAPublicKey]:
    """The RSA keys of a fetched set by kid; a key that cannot be read is left out, not fatal."""
    keys: dict[str, rsa.RSAPublicKey] = {}
    entries = jwks.get("keys") if isinstance(jwks, dict) else None
    for jwk in entries if isinstance(entries, list) else []:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not isinstance(jwk.get("kid"), str):
            continue
        try:
            keys[jwk["kid"]] = public_key_of_jwk(jwk)
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            continue
    return keys
