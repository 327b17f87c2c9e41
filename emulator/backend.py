"""The composition root: builds each emulated system from the settings, wires them together, resets them as one."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from emulator import configuration
from emulator.clock import Clock, ControlledClock, SystemClock
from emulator.eventlog import History, LiveSpec, Pattern
from emulator.gateway import Gateway
from emulator.harness import Harness
from emulator.maskinporten import AuthorizationServer, ReplayGuard, TokenIssuer, TokenVerifier, TrustedIssuer
from emulator.medl import Register, check_planned
from emulator.nav import Pages
from emulator.settings import Settings


@dataclass
class Backend:
    """Everything behind HTTP, one system each; the HTTP layer calls their faces and holds no state of its own."""

    settings: Settings
    clock: ControlledClock
    history: History
    pages: Pages
    medl: Register
    authorization: AuthorizationServer
    gateway: Gateway
    harness: Harness
    ready_seconds: float = 0.0
    started_monotonic: float = field(default_factory=time.monotonic)

    @classmethod
    def from_settings(
        cls, settings: Settings, clock: ControlledClock | None = None, wall_clock: Clock | None = None
    ) -> Backend:
        """`clock` is the controlled clock; `wall_clock` the consumers' real time, which judges their assertions."""
        started = time.perf_counter()
        clock = clock or ControlledClock()
        wall_clock = wall_clock or SystemClock()
        seeded = configuration.seeded_log(settings)
        live = (
            LiveSpec(settings.live_rate, Pattern(settings.live_pattern), seed=seeded.seed)
            if settings.live_rate > 0
            else None
        )
        history = History(
            seeded,
            clock,
            store=configuration.store(settings, seeded.identity),
            live_at_start=live,
            medl_check=check_planned,
        )
        # MEDL reads the same log through the same period index: one world, two views.
        medl = Register(history.log, seeded.seed, history.periods, history.oslo)
        pages = Pages(history.log, history.oslo, settings.timestamp_style)
        history.on_truncate(pages.forget)
        key = configuration.signing_key(settings)
        issuer = TokenIssuer(settings.issuer_url, key, clock, settings.token_lifetime)
        authorization = AuthorizationServer(
            issuer,
            configuration.clients(settings),
            settings.auth_mode,
            wall_clock,
            ReplayGuard(wall_clock),
            issuer_aliases=configuration.issuer_aliases(settings),
            trust_anchors=configuration.trust_anchors(settings),
        )
        own = TrustedIssuer(issuer.issuer, lambda kid: key.private_key.public_key() if kid == key.kid else None)
        gateway = Gateway(
            settings.accepted_subscription_keys,
            TokenVerifier([own, *configuration.trusted_issuers(settings)], clock),
            configuration.rate_limiter(settings, clock),
        )
        harness = Harness(clock, settings.journal_size)
        backend = cls(settings, clock, history, pages, medl, authorization, gateway, harness)
        backend.ready_seconds = time.perf_counter() - started
        return backend

    def reset(self) -> None:
        """Back to the seeded state in one step: events, faults, journal, consumers, clock, live mode, clients."""
        self.clock.reset()
        self.history.reset()
        self.history.save_clock()
        self.harness.reset()
        self.gateway.reset()
        self.authorization.reset()
