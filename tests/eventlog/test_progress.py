"""A large build's progress: lines every interval and one at the end, with events built, rate and time left."""

from __future__ import annotations

import logging

import pytest

from emulator.eventlog.progress import LOGGER_NAME, BuildProgress, describe


def test_a_line_says_events_built_rate_and_time_left() -> None:
    assert describe(100_000_000, 0.25, 10.0) == (
        "building the log: 25,000,000 of 100,000,000 events, 2,500,000 events/s, about 30 s left"
    )
    assert describe(100_000_000, 1.0, 40.0) == "built 100,000,000 events in 40.0 s (2,500,000 events/s)"


def test_lines_come_every_interval_and_at_the_end(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    progress = BuildProgress(1000, clock=lambda: now[0], interval=2.0)
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        for moment, fraction in [(0.5, 0.1), (2.5, 0.3), (3.0, 0.4), (4.6, 0.6), (5.0, 1.0)]:
            now[0] = moment
            progress(fraction)
    assert [record.getMessage().split(":")[0] for record in caplog.records] == [
        "building the log",
        "building the log",
        "built 1,000 events in 5.0 s (200 events/s)",
    ]
