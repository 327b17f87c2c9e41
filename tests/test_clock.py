"""The controlled clock: it follows its source from an offset, stands still when frozen, and moves when told."""

from __future__ import annotations

import time

from emulator.clock import ControlledClock, SystemClock


class _Source:
    def __init__(self, now_ms: int) -> None:
        self.now = now_ms

    def now_ms(self) -> int:
        return self.now


def test_the_clock_follows_its_source_from_the_offset_it_was_set_to() -> None:
    source = _Source(1_000)
    clock = ControlledClock(source)
    clock.set(5_000)
    source.now += 250
    assert clock.now_ms() == 5_250
    clock.advance(-1_000)
    assert clock.now_ms() == 4_250


def test_a_frozen_clock_stands_still_and_goes_on_from_there_when_unfrozen() -> None:
    source = _Source(1_000)
    clock = ControlledClock(source)
    clock.freeze()
    source.now += 500
    assert clock.now_ms() == 1_000
    clock.unfreeze()
    source.now += 20
    assert clock.now_ms() == 1_020


def test_on_the_system_clock_it_reads_the_systems_time_plus_its_offset() -> None:
    clock = ControlledClock(SystemClock())
    clock.advance(3_600_000)
    before = time.time_ns() // 1_000_000
    now = clock.now_ms()
    after = time.time_ns() // 1_000_000
    assert before + 3_600_000 <= now <= after + 3_600_000
    clock.reset()
    assert before <= clock.now_ms() <= time.time_ns() // 1_000_000
