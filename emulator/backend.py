"""The emulator's state behind the HTTP layer: the log, the clock, the gateway; it knows nothing of HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from emulator.clock import ControlledClock
from emulator.digest import LogDigest
from emulator.feed import parse_query, select_page
from emulator.gateway import Credentials, Gateway
from emulator.generator import Recipe, generate
from emulator.log import EventLog
from emulator.settings import Settings
from emulator.timestamps import OsloTime
from emulator.wire import event_fragments, page_body


@dataclass
class Backend:
    settings: Settings
    log: EventLog
    clock: ControlledClock
    gateway: Gateway
    oslo: OsloTime = field(default_factory=OsloTime)
    ready_seconds: float = 0.0

    def __post_init__(self) -> None:
        self.digest = LogDigest(self.log, self.oslo)

    @classmethod
    def from_settings(cls, settings: Settings, clock: ControlledClock | None = None) -> Backend:
        started = time.perf_counter()
        log = generate(Recipe(seed=settings.seed, events=settings.events))
        backend = cls(settings=settings, log=log, clock=clock or ControlledClock(), gateway=Gateway())
        backend.ready_seconds = time.perf_counter() - started
        return backend

    def read_feed(self, credentials: Credentials, first_value: Callable[[str], str | None]) -> bytes:
        """One page of the feed as NAV's JSON; the gateway decides first, then the backend reads the query."""
        self.gateway.admit(credentials)
        page = select_page(self.log, parse_query(first_value))
        return page_body(
            event_fragments(self.log, page.rows, self.oslo, self.settings.timestamp_style), page.total
        )
