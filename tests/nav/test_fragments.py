"""The cache of events' JSON text: always what formatting the log afresh gives, bounded, and cleared by a reset."""

from __future__ import annotations

import numpy as np
import pytest

from emulator.eventlog.canonical import event_fragments
from emulator.eventlog.events import EventType, Group, GroupFilter, NewEvent
from emulator.eventlog.generator import Recipe, generate
from emulator.eventlog.timestamps import OsloTime
from emulator.http.app import create_app
from emulator.http.feed import FEED_PATH
from emulator.nav import fragments as fragments_module
from emulator.nav.fragments import CHUNK_ROWS, FragmentCache, PageAnswer
from emulator.settings import Settings, TimestampStyle
from emulator.testing import InProcessClient, api_headers

EVENTS = 3 * CHUNK_ROWS + 17


@pytest.mark.parametrize(
    ("start", "stop"),
    [(0, 100), (CHUNK_ROWS - 50, CHUNK_ROWS + 50), (0, EVENTS), (EVENTS - 3, EVENTS), (7, 7)],
    ids=["first-chunk", "across-a-boundary", "everything", "the-tail", "empty"],
)
def test_a_range_is_what_formatting_afresh_gives(start: int, stop: int) -> None:
    log = generate(Recipe(seed=5, events=EVENTS))
    cache = FragmentCache(log, OsloTime(), TimestampStyle.OFFSET, max_chunks=2)
    expected = event_fragments(log, slice(start, stop), OsloTime(), TimestampStyle.OFFSET)
    assert cache.fragments(slice(start, stop)) == expected
    assert cache.fragments(slice(start, stop)) == expected  # and again, from the cache


@pytest.mark.parametrize("spread", [3, 40], ids=["close-rows", "rows-far-apart"])
def test_scattered_rows_are_what_formatting_afresh_gives(spread: int) -> None:
    log = generate(Recipe(seed=5, events=EVENTS))
    cache = FragmentCache(log, OsloTime(), TimestampStyle.LOCAL, max_chunks=2)
    rows = np.arange(5, EVENTS, spread, dtype=np.int64)[:100]
    assert cache.fragments(rows) == event_fragments(log, rows, OsloTime(), TimestampStyle.LOCAL)


def test_a_chunk_that_held_the_head_is_refreshed_when_the_log_grows() -> None:
    log = generate(Recipe(seed=5, events=10))
    cache = FragmentCache(log, OsloTime(), TimestampStyle.OFFSET)
    assert len(cache.fragments(slice(0, 10))) == 10
    log.append([NewEvent(99_000_001, "15918512397", Group.EOS, EventType.OPPRETTET, 1_800_000_000_000)])
    assert cache.fragments(slice(10, 11)) == event_fragments(log, slice(10, 11), OsloTime(), TimestampStyle.OFFSET)


def test_the_page_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fragments_module, "MAX_PAGES", 3)
    cache = FragmentCache(generate(Recipe(seed=5, events=10)), OsloTime(), TimestampStyle.OFFSET)
    for first in range(1, 8):
        cache.keep_page((first, 1, GroupFilter.ALLE, 10), PageAnswer(b"{}", range(first, first + 1)))
    assert cache.page((1, 1, GroupFilter.ALLE, 10)) is None
    assert cache.page((7, 1, GroupFilter.ALLE, 10)) is not None


def test_a_cached_page_never_hides_growth_or_a_reset() -> None:
    app = create_app(Settings(seed=5, events=50))
    with InProcessClient(app, headers=api_headers(app)) as http:
        before = http.get(FEED_PATH, params={"hendelsesnummer": 50}).json()
        http.post("/_emulator/events", json={"generate": 1})
        grown = http.get(FEED_PATH, params={"hendelsesnummer": 50}).json()
        http.post("/_emulator/reset")
        http.post("/_emulator/events", json={"events": [{"type": "OPPRETTET", "personident": "15918512397"}]})
        replaced = http.get(FEED_PATH, params={"hendelsesnummer": 50}).json()
    assert before["totaltAntallHendelser"] == 1
    assert grown["totaltAntallHendelser"] == 2
    assert replaced["hendelser"][1]["innhold"]["personident"] == "15918512397"
    assert replaced["hendelser"][1] != grown["hendelser"][1]
