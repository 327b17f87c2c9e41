"""Rows by key (the period index): the same rows as a naive scan, through appends, merges and truncations."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.eventlog import keyed_rows
from emulator.eventlog.events import EventType, Group, NewEvent
from emulator.eventlog.generator import Recipe, generate
from emulator.eventlog.log import EventLog
from emulator.eventlog.periods import PeriodIndex


def _naive(log: EventLog, period_id: int) -> list[int]:
    return [int(row) for row in np.flatnonzero(log.period_id.values == period_id)]


def _events(rng: random.Random, log: EventLog, count: int) -> list[NewEvent]:
    known = log.period_id.values.tolist() or [1]
    return [
        NewEvent(
            rng.choice(known) if rng.random() < 0.6 else rng.randint(1, 3_000_000),
            "15918512397",
            Group.EOS,
            EventType.ENDRET,
            1_800_000_000_000,
        )
        for _ in range(count)
    ]


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 1000),
    events=st.integers(0, 200),
    steps=st.lists(st.tuples(st.sampled_from(["append", "truncate"]), st.integers(0, 40)), max_size=8),
    tail_rows=st.sampled_from([1, 7, 64]),
)
def test_rows_of_a_period_match_a_naive_scan(
    seed: int, events: int, steps: list[tuple[str, int]], tail_rows: int
) -> None:
    rng = random.Random(seed)
    log = generate(Recipe(seed=seed, events=events))
    persons = len(log.idents)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keyed_rows, "TAIL_ROWS", tail_rows)
        index = PeriodIndex(log)
        for step, amount in [("look", 0), *steps]:
            if step == "append":
                log.append(_events(rng, log, amount))
            elif step == "truncate":
                log.truncate(min(log.head, amount * 3), min(persons, len(log.idents)))
            ids = set(log.period_id.values.tolist())
            for period_id in [*sorted(ids)[:30], 0, 2**53]:
                assert index.rows(period_id).tolist() == _naive(log, period_id)
            assert index.highest_id == max(ids, default=0)


def test_a_period_state_follows_its_last_event() -> None:
    log = generate(Recipe(seed=3, events=100))
    index = PeriodIndex(log)
    event = log.event(1)
    assert index.get(event.period_id) is not None
    log.append([NewEvent(event.period_id, event.personident, event.group, EventType.ANNULLERT, 1_800_000_000_000)])
    state = index.get(event.period_id)
    assert state is not None
    assert state.annulled
    assert index.get(123) is None
    assert 123 not in index
