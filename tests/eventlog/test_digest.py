"""The log digest: sha256 of the canonical JSON, kept incrementally through appends and resets."""

from __future__ import annotations

import hashlib

import pytest

from emulator.eventlog import digest as digest_module
from emulator.eventlog.canonical import event_fragments
from emulator.eventlog.digest import LogDigest, log_digest
from emulator.eventlog.events import EventType, Group, NewEvent
from emulator.eventlog.generator import Recipe, generate
from emulator.eventlog.log import EventLog
from emulator.eventlog.timestamps import OsloTime
from emulator.settings import TimestampStyle


def spelled_out_digest(log: EventLog) -> str:
    """The definition, in one go: `[event,event,...]` in wire text with offset timestamps."""
    fragments = event_fragments(log, slice(0, len(log)), OsloTime(), TimestampStyle.OFFSET)
    return "sha256:" + hashlib.sha256(("[" + ",".join(fragments) + "]").encode()).hexdigest()


def new_event(period_id: int) -> NewEvent:
    return NewEvent(
        period_id=period_id,
        personident="15918512397",
        group=Group.OEVRIGE,
        type=EventType.OPPRETTET,
        created_ms=1_800_000_000_000,
    )


@pytest.mark.parametrize("events", [0, 1, 250], ids=["empty", "one", "some"])
def test_the_digest_is_sha256_of_the_canonical_json(events: int) -> None:
    log = generate(Recipe(seed=3, events=events))
    assert log_digest(log) == spelled_out_digest(log)


def test_an_empty_log_hashes_an_empty_array() -> None:
    assert log_digest(EventLog()) == "sha256:" + hashlib.sha256(b"[]").hexdigest()


def test_the_digest_follows_appends_across_chunk_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(digest_module, "_CHUNK", 7)
    log = generate(Recipe(seed=3, events=30))
    running = LogDigest(log, OsloTime())
    before = running.hexdigest()
    log.append([new_event(90_000_001), new_event(90_000_002)])
    after = running.hexdigest()
    assert before != after
    assert after == spelled_out_digest(log)


def test_the_digest_follows_a_reset_to_an_earlier_state() -> None:
    log = generate(Recipe(seed=3, events=30))
    running = LogDigest(log, OsloTime())
    seeded = running.hexdigest()
    persons = len(log.idents)
    log.append([new_event(90_000_001)])
    assert running.hexdigest() != seeded
    log.truncate(30, persons)
    assert running.hexdigest() == seeded
