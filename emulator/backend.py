"""The emulator's state behind HTTP: log, clock, token server, gateway, and what the control plane adds."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from emulator import configuration
from emulator.clock import ControlledClock
from emulator.errors import EmulatorError
from emulator.eventlog.appends import Appender
from emulator.eventlog.digest import LogDigest
from emulator.eventlog.events import NewEvent
from emulator.eventlog.fixture import SeededLog
from emulator.eventlog.live import LiveSchedule, LiveSpec, Pattern
from emulator.eventlog.log import EventLog, Rows
from emulator.eventlog.store import Store, StoredClock, StoreMismatchError
from emulator.eventlog.timestamps import OsloTime
from emulator.gateway.admission import Admission, Credentials, Gateway, parse_subscription_keys
from emulator.harness.consumers import ConsumerTracker
from emulator.harness.faults import Decision, FaultKind, Faults
from emulator.harness.journal import Journal
from emulator.harness.metrics import Metrics
from emulator.maskinporten.authorization import AuthorizationServer
from emulator.maskinporten.replay import ReplayGuard
from emulator.maskinporten.tokens import TokenIssuer, TokenVerifier, TrustedIssuer
from emulator.medl import check_planned
from emulator.nav.feed import FeedQuery, select_page
from emulator.nav.fragments import FragmentCache
from emulator.nav.wire import error_body, page_body
from emulator.settings import Settings


# Not frozen: one is made for every request, and a frozen dataclass costs a microsecond more to build.
@dataclass(slots=True)
class FeedAnswer:
    """A page (or a fault instead of it) and what the journal and the consumer view need to know."""

    body: bytes
    consumer: str
    requested_from: int
    size: int
    delivered: Sequence[int] | Rows
    fault: Decision | None = None


@dataclass
class Backend:
    settings: Settings
    seeded: SeededLog
    clock: ControlledClock
    authorization: AuthorizationServer
    gateway: Gateway
    store: Store | None = None
    oslo: OsloTime = field(default_factory=OsloTime)
    ready_seconds: float = 0.0

    def __post_init__(self) -> None:
        self.log: EventLog = self.seeded.log
        self.seeded_head = self.log.head
        self.seeded_persons = len(self.log.idents)
        self.digest = LogDigest(self.log, self.oslo)
        self.fragments = FragmentCache(self.log, self.oslo, self.settings.timestamp_style)
        self.appender = Appender(self.log, self.seeded.seed, check_planned)
        self.journal = Journal(self.settings.journal_size)
        self.consumers = ConsumerTracker(self.clock)
        self.metrics = Metrics()
        self.faults = Faults()
        self.live: LiveSchedule | None = None
        self.started_monotonic = time.monotonic()

    @classmethod
    def from_settings(cls, settings: Settings, clock: ControlledClock | None = None) -> Backend:
        started = time.perf_counter()
        clock = clock or ControlledClock()
        seeded = configuration.seeded_log(settings)
        key = configuration.signing_key(settings)
        issuer = TokenIssuer(
            settings.issuer_url, key, clock, settings.token_lifetime, random.Random(f"jti-{settings.seed}")
        )
        authorization = AuthorizationServer(
            issuer, configuration.clients(settings), settings.auth_mode, clock, ReplayGuard(clock)
        )
        own = TrustedIssuer(issuer.issuer, lambda kid: key.private_key.public_key() if kid == key.kid else None)
        gateway = Gateway(
            parse_subscription_keys(settings.subscription_keys),
            TokenVerifier([own, *configuration.trusted_issuers(settings)], clock),
            configuration.rate_limiter(settings, clock),
        )
        store = configuration.store(settings, seeded.identity)
        backend = cls(settings, seeded, clock, authorization, gateway, store)
        backend._replay_store()
        if settings.live_rate > 0:
            backend.start_live(LiveSpec(settings.live_rate, Pattern(settings.live_pattern), seed=seeded.seed))
        backend.ready_seconds = time.perf_counter() - started
        return backend

    def admit(self, credentials: Credentials) -> str:
        """The gateway's checks; returns the consumer's name for the journal and the consumer view."""
        return consumer_name(self.gateway.admit(credentials), self.gateway)

    def read_page(self, consumer: str, query: FeedQuery) -> FeedAnswer:
        """One page as NAV's JSON, unless an injected fault answers instead."""
        fault = self.faults.decide(route="feed", consumer=consumer, from_number=query.from_number)
        if fault is not None and fault.body is not None:
            return FeedAnswer(fault.body, consumer, query.from_number, query.size, (), fault)
        key = (query.from_number, query.size, query.group_filter, self.log.head)
        cached = self.fragments.page(key)
        if cached is None:
            page = select_page(self.log, query)
            rows = page.rows
            # Plain Python numbers: the consumer view reads the count and the last one on every answer.
            numbers = range(rows.start + 1, rows.stop + 1) if isinstance(rows, slice) else (rows + 1).tolist()
            cached = (page_body(self.fragments.fragments(rows), page.total), numbers)
            self.fragments.keep_page(key, cached)
        return FeedAnswer(cached[0], consumer, query.from_number, query.size, cached[1], fault)

    def error_answer(self, error: EmulatorError, path: str) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body of the envelope the upstream component would answer `error` with."""
        now = datetime.fromtimestamp(self.clock.now_ms() / 1000, tz=UTC)
        return (
            error.status,
            error.headers,
            error_body(error, path=path, timestamp=now.isoformat(timespec="milliseconds")),
        )

    def observe(
        self,
        *,
        route: str,
        method: str,
        path: str,
        query: str,
        status: int,
        seconds: float,
        consumer: str | None,
        fault: str | None,
        feed: FeedAnswer | None,
    ) -> None:
        """Journal, metrics and the consumer view, after every answer on the API and token routes."""
        self.journal.record(
            at_ms=self.clock.now_ms(),
            method=method,
            path=path,
            query=query,
            status=status,
            seconds=seconds,
            consumer=consumer,
            fault=fault,
        )
        self.metrics.observe_request(route, status, seconds)
        if route == "feed" and consumer is not None:
            # A dropped or cut page delivered nothing the consumer could use.
            whole = feed is not None and status == 200 and (feed.fault is None or feed.fault.kind is FaultKind.LATENCY)
            self.consumers.observe(
                consumer,
                status=status,
                requested_from=feed.requested_from if feed is not None else None,
                size=feed.size if whole and feed is not None else None,
                delivered=feed.delivered if whole and feed is not None else (),
                head=self.log.head,
            )

    def append(self, events: list[NewEvent]) -> range:
        """Commit (when persistent), then publish: an acknowledged append survives a crash."""
        if self.store is not None and events:
            self.store.append(self.log.head + 1, events)
        numbers = self.log.append(events)
        self.appender.applied(events)
        return numbers

    def start_live(self, spec: LiveSpec) -> None:
        self.live = LiveSchedule(spec, self.clock.now_ms())

    def tick_live(self) -> int:
        """Append the live events now due; called periodically by the server, and by tests directly."""
        if self.live is None:
            return 0
        due = self.live.due(self.clock.now_ms())
        if due:
            self.append(self.appender.generate(due))
        return len(due)

    def save_clock(self) -> None:
        if self.store is not None:
            offset, frozen = self.clock.state()
            self.store.save_clock(StoredClock(offset_ms=offset, frozen_at_ms=frozen))

    def reset(self) -> None:
        """Back to the seeded state in one step: events, faults, journal, consumers, clock, live mode, clients."""
        if self.store is not None:
            self.store.truncate_after(self.seeded_head)
        self.log.truncate(self.seeded_head, self.seeded_persons)
        self.fragments.clear()
        self.appender.forget()
        self.faults.clear()
        self.journal.clear()
        self.consumers.reset()
        self.metrics.reset()
        self.gateway.reset()
        self.authorization.reset()
        self.clock.reset()
        self.save_clock()
        self.live = None
        if self.settings.live_rate > 0:
            self.start_live(
                LiveSpec(self.settings.live_rate, Pattern(self.settings.live_pattern), seed=self.seeded.seed)
            )

    def _replay_store(self) -> None:
        if self.store is None:
            return
        stored = self.store.events()
        if stored and stored[0][0] != self.seeded_head + 1:
            raise StoreMismatchError(
                f"{self.store.path} continues from event {stored[0][0]}, but the seeded log ends at "
                f"{self.seeded_head}; use another --data-dir or delete that file"
            )
        if stored:
            events = [event for _, event in stored]
            self.log.append(events)
            self.appender.applied(events)
        clock = self.store.load_clock()
        if clock is not None:
            self.clock.restore(clock.offset_ms, clock.frozen_at_ms)


def consumer_name(admission: Admission, gateway: Gateway) -> str:
    """`client:<client_id>` when the token names one, else `key:<n>`, the key's place in the list, never the key."""
    if admission.client_id:
        return f"client:{admission.client_id}"
    return f"key:{gateway.key_label(admission.subscription_key)}"
