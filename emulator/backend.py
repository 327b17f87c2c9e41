"""The emulator's state behind HTTP: the log, clock, token server and gateway; it knows nothing of HTTP."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources

from emulator.authorization import AuthorizationServer
from emulator.clients import ClientRegistry
from emulator.clock import ControlledClock
from emulator.digest import LogDigest
from emulator.feed import parse_query, select_page
from emulator.gateway import Credentials, Gateway, parse_subscription_keys
from emulator.generator import Recipe, generate
from emulator.keys import SigningKey
from emulator.log import EventLog
from emulator.replay import ReplayGuard
from emulator.settings import Settings
from emulator.timestamps import OsloTime
from emulator.tokens import TokenIssuer, TokenVerifier, TrustedIssuer
from emulator.trust import parse_trusted_issuers, trusted_issuer
from emulator.wire import event_fragments, page_body


@dataclass
class Backend:
    settings: Settings
    log: EventLog
    clock: ControlledClock
    authorization: AuthorizationServer
    gateway: Gateway
    oslo: OsloTime = field(default_factory=OsloTime)
    ready_seconds: float = 0.0

    def __post_init__(self) -> None:
        self.digest = LogDigest(self.log, self.oslo)

    @classmethod
    def from_settings(cls, settings: Settings, clock: ControlledClock | None = None) -> Backend:
        started = time.perf_counter()
        clock = clock or ControlledClock()
        log = generate(Recipe(seed=settings.seed, events=settings.events))
        key = (
            SigningKey.load(settings.signing_key_file) if settings.signing_key_file else SigningKey.generate()
        )
        issuer = TokenIssuer(
            settings.issuer_url, key, clock, settings.token_lifetime, random.Random(f"jti-{settings.seed}")
        )
        authorization = AuthorizationServer(
            issuer, _clients(settings), settings.auth_mode, clock, ReplayGuard(clock)
        )
        own = TrustedIssuer(
            issuer.issuer, lambda kid: key.private_key.public_key() if kid == key.kid else None
        )
        others = [trusted_issuer(config) for config in parse_trusted_issuers(settings.trusted_issuers)]
        gateway = Gateway(
            parse_subscription_keys(settings.subscription_keys), TokenVerifier([own, *others], clock)
        )
        backend = cls(settings=settings, log=log, clock=clock, authorization=authorization, gateway=gateway)
        backend.ready_seconds = time.perf_counter() - started
        return backend

    def read_feed(self, credentials: Credentials, first_value: Callable[[str], str | None]) -> bytes:
        """One page of the feed as NAV's JSON; the gateway decides first, then the backend reads the query."""
        self.gateway.admit(credentials)
        page = select_page(self.log, parse_query(first_value))
        fragments = event_fragments(self.log, page.rows, self.oslo, self.settings.timestamp_style)
        return page_body(fragments, page.total)


def _clients(settings: Settings) -> ClientRegistry:
    if settings.clients_file is not None:
        return ClientRegistry.load(settings.clients_file)
    return ClientRegistry.from_json(
        resources.files("emulator").joinpath("fixtures/clients.json").read_text("utf-8")
    )
