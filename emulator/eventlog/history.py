"""The register's history as one object: the seeded log, what is appended to it, live growth and persistence."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from emulator.clock import ControlledClock
from emulator.eventlog.appends import Appender, AppendRejectedError, EventDraft, MedlCheck
from emulator.eventlog.digest import LogDigest
from emulator.eventlog.events import NewEvent
from emulator.eventlog.fixture import MAX_EVENTS, SeededLog
from emulator.eventlog.live import MAX_BACKLOG, LiveSchedule, LiveSpec
from emulator.eventlog.log import EventLog
from emulator.eventlog.periods import PeriodIndex
from emulator.eventlog.store import Store, StoredClock, StoreMismatchError
from emulator.eventlog.timestamps import OsloTime


class History:
    """Appends are committed (when persistent) before they are published, so an acknowledged one survives a crash.

    Views derived from the log (the feed's page cache, MEDL's indexes) register `on_truncate`, so a reset moves
    them with the log at once.

    One writer at a time (append, generate, tick_live, reset), which may run on another thread than the log's
    readers: the log publishes a batch whole (see `EventLog.append`). The server runs appends on a worker
    thread, one after the other, so a large one never holds up the event loop.
    """

    def __init__(
        self,
        seeded: SeededLog,
        clock: ControlledClock,
        *,
        store: Store | None = None,
        live_at_start: LiveSpec | None = None,
        oslo: OsloTime | None = None,
        medl_check: MedlCheck | None = None,
    ) -> None:
        self.seeded = seeded
        self.log: EventLog = seeded.log
        self.seeded_head = self.log.head
        self._seeded_persons = len(self.log.idents)
        self._clock = clock
        self.store = store
        self.oslo = oslo or OsloTime()
        self.digest = LogDigest(self.log, self.oslo)
        self._appender = Appender(self.log, seeded.seed, medl_check)
        self._live_at_start = live_at_start
        self._live: LiveSchedule | None = None
        self._truncate_listeners: list[Callable[[], None]] = []
        self._replay_store()
        if live_at_start is not None:
            self.start_live(live_at_start)

    def on_truncate(self, listener: Callable[[], None]) -> None:
        self._truncate_listeners.append(listener)

    @property
    def periods(self) -> PeriodIndex:
        """Each period's rows, kept in step with the log: the appender's, and MEDL's to share."""
        return self._appender.periods

    @property
    def live(self) -> LiveSpec | None:
        return self._live.spec if self._live is not None else None

    def live_status(self) -> dict[str, object] | None:
        """Live mode as started, and how many of its events were skipped (beyond the backlog, or the log full)."""
        live = self._live
        if live is None:
            return None
        return {**live.spec.as_dict(), "skipped": live.skipped, "backlog_limit": MAX_BACKLOG}

    def plan(self, drafts: Sequence[EventDraft]) -> list[NewEvent]:
        """The drafts as events, checked against each period's lifecycle; raises AppendRejectedError."""
        return self._appender.plan(drafts, self._clock.now_ms())

    def append_drafts(self, drafts: Sequence[EventDraft]) -> range:
        """Plan and append in one step; raises AppendRejectedError, and then nothing is appended."""
        self._check_room(len(drafts))
        return self.append(self.plan(drafts))

    def append(self, events: list[NewEvent]) -> range:
        self._check_room(len(events))
        if self.store is not None and events:
            self.store.append(self.log.head + 1, events)
        numbers = self.log.append(events)
        self._appender.applied(events)
        return numbers

    def generate(self, count: int) -> range:
        """`count` events continuing the seeded history, stamped now (or with the newest time, if that is later)."""
        self._check_room(count)
        last = int(self.log.created_ms.values[-1]) if self.log.head else 0
        return self.append(self._appender.generate([max(self._clock.now_ms(), last)] * count))

    def start_live(self, spec: LiveSpec) -> None:
        self._live = LiveSchedule(spec, self._clock.now_ms())

    def stop_live(self) -> None:
        self._live = None

    def tick_live(self) -> int:
        """Append the live events now due; called periodically by the server, and by tests directly."""
        live = self._live  # read once: live mode may be changed from another thread meanwhile
        if live is None:
            return 0
        due = live.due(self._clock.now_ms())
        room = MAX_EVENTS - self.log.head
        if len(due) > room:
            live.skip(len(due) - room)
            due = due[: max(room, 0)]
        if due:
            self.append(self._appender.generate(due))
        return len(due)

    def save_clock(self) -> None:
        if self.store is not None:
            offset, frozen = self._clock.state()
            self.store.save_clock(StoredClock(offset_ms=offset, frozen_at_ms=frozen))

    def reset(self) -> None:
        """Back to the seeded log and live mode as configured at start; the clock is the caller's to reset."""
        if self.store is not None:
            self.store.truncate_after(self.seeded_head)
        self.log.truncate(self.seeded_head, self._seeded_persons)
        self._appender.forget()
        for listener in self._truncate_listeners:
            listener()
        self._live = None
        if self._live_at_start is not None:
            self.start_live(self._live_at_start)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    def _check_room(self, count: int) -> None:
        if self.log.head + count > MAX_EVENTS:
            raise AppendRejectedError(
                f"the log holds at most {MAX_EVENTS:,} events; it has {self.log.head:,}, so {count:,} more "
                "do not fit (POST /_emulator/reset starts over)"
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
            self._appender.applied(events)
        clock = self.store.load_clock()
        if clock is not None:
            self._clock.restore(clock.offset_ms, clock.frozen_at_ms)
