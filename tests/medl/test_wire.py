"""MEDL's JSON details: LocalDateTime text exactly as the feed's offset-less style writes it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from emulator.eventlog.timestamps import MAX_INSTANT_MS, MIN_INSTANT_MS, OsloTime
from emulator.medl.wire import local_date_time
from emulator.settings import TimestampStyle

OSLO = OsloTime()


@given(st.integers(MIN_INSTANT_MS, MAX_INSTANT_MS))
def test_local_date_times_are_the_feeds_local_style(instant_ms: int) -> None:
    assert local_date_time(OSLO, instant_ms) == OSLO.format_one(instant_ms, TimestampStyle.LOCAL)


def test_a_whole_second_has_no_fraction_and_trailing_zeros_go() -> None:
    assert local_date_time(OSLO, 1_700_000_000_000) == "2023-11-14T23:13:20"
    assert local_date_time(OSLO, 1_700_000_000_120) == "2023-11-14T23:13:20.12"
