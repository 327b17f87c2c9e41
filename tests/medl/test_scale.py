"""At scale by structure: MEDL's indexes are numpy arrays of a few bytes per event, with no object per period."""

from __future__ import annotations

import tracemalloc

from emulator.eventlog.appends import Appender
from emulator.eventlog.generator import Recipe, generate
from emulator.medl import Register, check_planned

EVENTS = 1_000_000
# 20 % of the log's ~33 bytes per event.
BUDGET_BYTES_PER_EVENT = 6.6


def test_building_medl_at_a_million_events_keeps_only_arrays_within_budget() -> None:
    log = generate(Recipe(seed=42, events=EVENTS))
    appender = Appender(log, 42, check_planned)
    register = Register(log, 42, appender.periods)
    event = log.event(EVENTS // 2)
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        register.one(str(event.period_id), {})
        register.of_person(event.personident, {})
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert register.nbytes / EVENTS <= BUDGET_BYTES_PER_EVENT
    assert register.nbytes <= log.nbytes * 0.2
    # What stays allocated is the indexes' arrays and little else: an object per period (400,000 of them) would
    # add tens of megabytes.
    assert after - before <= register.nbytes + 1_000_000
