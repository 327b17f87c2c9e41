"""New events after the seeded history: explicit ones checked against the lifecycle, or generated ones.

Checked one after the other, so a batch may create a period and change it. Generated events continue the
history: new periods for new or known persons, changes and annulments of open periods, from a Random seeded
by the log's seed and head, so the same calls on the same log append the same events.
"""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from emulator.eventlog.events import EventType, Group, MedlFields, NewEvent
from emulator.eventlog.identities import InvalidIdentityError, synthetic_identity, validate_synthetic
from emulator.eventlog.log import EventLog
from emulator.eventlog.periods import PeriodIndex, PeriodState

_NEW_PERIOD_SHARE = 0.45
_KNOWN_PERSON_SHARE = 0.2
_ANNUL_SHARE = 0.08
_EOS_SHARE = 0.65
_DNUMBER_SHARE = 0.12
_POOL_WINDOW = 20_000
# At most this many open periods are candidates for the next generated events: the newest, as live data would be.
_POOL_LIMIT = 20_000
# JSON-safe (JavaScript reads numbers as doubles), and far enough below int64's limit that ids generated after
# it still fit.
MAX_PERIOD_ID = 2**53 - 1


@dataclass(frozen=True, slots=True)
class EventDraft:
    """An event as a tester describes it; gaps are filled in (a new id, the period's person, now)."""

    type: EventType
    period_id: int | None = None
    personident: str | None = None
    group: Group | None = None
    created_ms: int | None = None
    medlemskapsunntak: MedlFields | None = None


class AppendRejectedError(ValueError):
    """An explicit event breaks a rule; the message names the event and the rule."""


# Checks the MEDL fields that planned events carry against the period's record so far (the register's rules
# live with the register); raises AppendRejectedError naming the event and the rule.
MedlCheck = Callable[[PeriodIndex, int, Sequence[NewEvent]], None]


class Appender:
    def __init__(self, log: EventLog, seed: int, medl_check: MedlCheck | None = None) -> None:
        self._log = log
        self._seed = seed
        self._medl_check = medl_check
        # Cheap to make: it reads the log on first use and follows it from then on, resets included.
        self.periods = PeriodIndex(log)
        # Ordered by opening; an ordered dict removes an annulled period in O(1) and keeps the others' order.
        self._open: OrderedDict[int, None] | None = None

    def forget(self) -> None:
        """After a reset: the pool of open periods is rebuilt from the log when next needed."""
        self._open = None

    def plan(self, drafts: Sequence[EventDraft], now_ms: int) -> list[NewEvent]:
        """The events to append for `drafts`, or AppendRejectedError; nothing is recorded until `applied`."""
        # The batch's own periods are staged in a dict and the highest id is kept as it goes, so each draft is
        # checked in O(1) (or one binary search in the index): a batch of n costs O(n log N), not O(n²).
        staged: dict[int, PeriodState] = {}
        highest = self.periods.highest_id
        floor = self._last_created()
        planned: list[NewEvent] = []
        for index, draft in enumerate(drafts, start=1):
            try:
                created = draft.created_ms if draft.created_ms is not None else max(now_ms, floor)
                if created < floor:
                    raise AppendRejectedError(f"opprettetDato may not be earlier than the newest event's ({floor} ms)")
                if draft.type is EventType.OPPRETTET:
                    state = self._opening(draft, staged, highest)
                    highest = max(highest, state.period_id)
                else:
                    state = self._continuing(draft, staged)
            except AppendRejectedError as error:
                raise AppendRejectedError(f"event {index} of {len(drafts)}: {error}") from None
            staged[state.period_id] = state
            floor = created
            planned.append(
                NewEvent(state.period_id, state.personident, state.group, draft.type, created, draft.medlemskapsunntak)
            )
        if self._medl_check is not None and any(event.medl is not None for event in planned):
            self._medl_check(self.periods, self._seed, planned)
        return planned

    def _opening(self, draft: EventDraft, staged: dict[int, PeriodState], highest: int) -> PeriodState:
        period_id = draft.period_id if draft.period_id is not None else highest + 1
        if not 1 <= period_id <= MAX_PERIOD_ID:
            raise AppendRejectedError(f"periodeId must be between 1 and {MAX_PERIOD_ID}")
        if period_id in staged or period_id in self.periods:
            raise AppendRejectedError(f"period {period_id} already exists; OPPRETTET starts a new period")
        if draft.personident is None:
            raise AppendRejectedError("OPPRETTET needs a personident")
        try:
            validate_synthetic(draft.personident)
        except InvalidIdentityError as error:
            raise AppendRejectedError(f"personident: {error}") from None
        return PeriodState(period_id, draft.personident, draft.group or Group.EOS, annulled=False)

    def _continuing(self, draft: EventDraft, staged: dict[int, PeriodState]) -> PeriodState:
        if draft.period_id is None:
            raise AppendRejectedError(f"{draft.type} needs the periodeId of an existing period")
        known = staged.get(draft.period_id) or self.periods.get(draft.period_id)
        if known is None:
            raise AppendRejectedError(f"{draft.type} for period {draft.period_id}, which does not exist")
        if known.annulled:
            raise AppendRejectedError(
                f"{draft.type} for period {draft.period_id}, which is annulled (ANNULLERT is its last event)"
            )
        if draft.personident is not None and draft.personident != known.personident:
            raise AppendRejectedError(f"period {draft.period_id} belongs to another personident; that never changes")
        if draft.group is not None and draft.group is not known.group:
            raise AppendRejectedError(f"period {draft.period_id} is {known.group}; its hjemmelgruppe never changes")
        return PeriodState(known.period_id, known.personident, known.group, draft.type is EventType.ANNULLERT)

    def generate(self, created_ms: Sequence[int]) -> list[NewEvent]:
        """One generated event per timestamp (non-decreasing), continuing the history plausibly."""
        rng = random.Random(f"{self._seed}:{self._log.head}")
        # A copy: the pool itself follows only what reaches the log (see `applied`).
        pool = list(self._open_pool())
        staged: dict[int, PeriodState] = {}
        next_id = self.periods.highest_id
        events: list[NewEvent] = []
        for created in created_ms:
            if not pool or rng.random() < _NEW_PERIOD_SHARE:
                next_id += rng.randint(1, 3)
                if pool and rng.random() < _KNOWN_PERSON_SHARE:
                    personident = self._state(pool[rng.randrange(len(pool))], staged).personident
                else:
                    personident = synthetic_identity(rng, dnumber=rng.random() < _DNUMBER_SHARE)
                group = Group.EOS if rng.random() < _EOS_SHARE else Group.OEVRIGE
                state = PeriodState(next_id, personident, group, annulled=False)
                event_type = EventType.OPPRETTET
                pool.append(next_id)
            else:
                slot = rng.randrange(len(pool))
                known = self._state(pool[slot], staged)
                event_type = EventType.ANNULLERT if rng.random() < _ANNUL_SHARE else EventType.ENDRET
                state = PeriodState(known.period_id, known.personident, known.group, event_type is EventType.ANNULLERT)
                if state.annulled:
                    pool[slot] = pool[-1]
                    pool.pop()
            staged[state.period_id] = state
            events.append(NewEvent(state.period_id, state.personident, state.group, event_type, created))
        return events

    def applied(self, events: Sequence[NewEvent]) -> None:
        """Record events that are now in the log (the period index follows the log by itself)."""
        open_pool = self._open
        if open_pool is None:
            return
        for event in events:
            if event.type is EventType.OPPRETTET:
                open_pool[event.period_id] = None
            elif event.type is EventType.ANNULLERT:
                open_pool.pop(event.period_id, None)
        while len(open_pool) > _POOL_LIMIT:
            open_pool.popitem(last=False)

    def _state(self, period_id: int, staged: dict[int, PeriodState]) -> PeriodState:
        state = staged.get(period_id) or self.periods.get(period_id)
        assert state is not None
        return state

    def _open_pool(self) -> OrderedDict[int, None]:
        """Periods still open among the recent ones: the ones a live feed would change next."""
        if self._open is None:
            start = max(self._log.head - _POOL_WINDOW, 0)
            recent = self._log.period_id.values[start:]
            # ANNULLERT is a period's last event, so one that has events here was annulled here or not at all.
            annulled = set(recent[self._log.kind.values[start:] == EventType.ANNULLERT.code].tolist())
            candidates = dict.fromkeys(int(period_id) for period_id in recent.tolist())
            self._open = OrderedDict.fromkeys(pid for pid in candidates if pid not in annulled)
        return self._open

    def _last_created(self) -> int:
        return int(self._log.created_ms.values[-1]) if self._log.head else 0
