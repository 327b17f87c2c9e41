"""The seeded synthetic history: persons, their membership periods and each period's lifecycle, as columns.

Every period starts with OPPRETTET, may be changed (ENDRET) any number of times and may end ANNULLERT;
its events are spread over days to months, so lifecycles interleave in the feed. The feed is the first
`events` of all those events in time order. Everything is drawn vectorised from numpy's legacy
RandomState, whose integer and uniform streams are frozen across numpy versions and platforms, and only
through integer arithmetic and exact float products, so one seed gives a byte-identical log everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time

import numpy as np
import numpy.typing as npt

from emulator.eventlog.events import EventType
from emulator.eventlog.identities import generate_identities
from emulator.eventlog.log import EventLog, LogColumns
from emulator.eventlog.ordering import stable_argsort
from emulator.eventlog.timestamps import OSLO

_MS_PER_DAY = 86_400_000
# How many times a period is changed after it is created (value, weight).
_CHANGES = ((0, 38), (1, 27), (2, 15), (3, 9), (4, 5), (5, 3), (6, 2), (8, 1))
# How many periods a person has (value, weight): most one, some many.
_PERIODS_PER_PERSON = ((1, 52), (2, 24), (3, 11), (4, 6), (5, 3), (6, 2), (8, 1), (12, 1))
# Time from one event of a period to its next (lowest ms, highest ms, weight): minutes to a year.
_GAPS = (
    (60_000, 3_600_000, 8),
    (3_600_000, _MS_PER_DAY, 22),
    (_MS_PER_DAY, 30 * _MS_PER_DAY, 45),
    (30 * _MS_PER_DAY, 365 * _MS_PER_DAY, 25),
)
_FIRST_PERIOD_ID = 2_000_000


@dataclass(frozen=True, slots=True)
class Recipe:
    """What the generator makes; the same recipe gives the same log, byte for byte."""

    seed: int = 1
    events: int = 10_000
    eos_permille: int = 650
    annulled_permille: int = 60
    dnumber_permille: int = 120
    history_start: date = date(2023, 1, 1)
    history_days: int = 730

    def __post_init__(self) -> None:
        if not 0 <= self.seed < 2**32:
            raise ValueError("seed must be between 0 and 4294967295")
        if self.events < 0:
            raise ValueError("events must not be negative")
        for name in ("eos_permille", "annulled_permille", "dnumber_permille"):
            if not 0 <= getattr(self, name) <= 1000:
                raise ValueError(f"{name} must be between 0 and 1000")
        if self.history_days < 1:
            raise ValueError("history_days must be at least 1")


def generate(recipe: Recipe) -> EventLog:
    return EventLog(generate_columns(recipe))


def generate_columns(recipe: Recipe) -> LogColumns:
    rs = np.random.RandomState(recipe.seed)
    periods = recipe.events // 2 + 16
    changes = _draw(rs, _CHANGES, periods)
    annulled = rs.randint(0, 1000, size=periods) < recipe.annulled_permille
    per_period = 1 + changes + annulled
    while per_period.sum() < recipe.events:  # only for tiny or unlucky draws
        more = _draw(rs, _CHANGES, periods)
        changes, annulled = (
            np.concatenate([changes, more]),
            np.concatenate([annulled, np.zeros_like(more, bool)]),
        )
        per_period = 1 + changes + annulled
        periods = len(per_period)

    start_ms = _ms(recipe.history_start) + _uniform_below(rs, recipe.history_days * _MS_PER_DAY, periods)
    period_of_event = np.repeat(np.arange(periods, dtype=np.int64), per_period)
    first_of_period = np.cumsum(per_period) - per_period
    # Each period's time line: the running sum of its gaps, from its start. In place, since at ten million
    # events every temporary column is another 100 MB at the peak.
    created_ms = _gaps(rs, len(period_of_event))
    created_ms[first_of_period] = 0
    np.cumsum(created_ms, out=created_ms)
    created_ms -= np.repeat(created_ms[first_of_period], per_period)
    created_ms += start_ms[period_of_event]
    kind = np.full(len(period_of_event), EventType.ENDRET.code, dtype=np.uint8)
    kind[first_of_period] = EventType.OPPRETTET.code
    last_of_annulled = first_of_period[annulled] + per_period[annulled] - 1
    kind[last_of_annulled] = EventType.ANNULLERT.code

    # Laid out by period then ordinal, so a stable sort on time breaks ties the same way everywhere.
    order = stable_argsort(created_ms)[: recipe.events]
    event_period = period_of_event[order]
    event_kind = kind[order]
    event_created_ms = created_ms[order]
    del period_of_event, kind, created_ms, order

    # MEDL hands out ids from a sequence as periods are registered: ascending in creation order.
    id_steps = rs.randint(1, 4, size=periods).astype(np.int64)
    period_ids = np.empty(periods, dtype=np.int64)
    period_ids[stable_argsort(start_ms)] = _FIRST_PERIOD_ID + np.cumsum(id_steps)
    groups = (rs.randint(0, 1000, size=periods) >= recipe.eos_permille).astype(np.uint8)
    person_of_period, persons = _assign_persons(rs, periods)
    idents = generate_identities(rs, persons, dnumber_permille=recipe.dnumber_permille)

    return LogColumns(
        period_id=period_ids[event_period],
        person=person_of_period[event_period],
        group=groups[event_period],
        kind=event_kind,
        created_ms=event_created_ms,
        idents=idents,
    )


def _assign_persons(rs: np.random.RandomState, periods: int) -> tuple[npt.NDArray[np.int32], int]:
    persons = periods // 2 + 16
    counts = _draw(rs, _PERIODS_PER_PERSON, persons)
    while counts.sum() < periods:
        counts = np.concatenate([counts, _draw(rs, _PERIODS_PER_PERSON, persons)])
    slots = np.repeat(np.arange(len(counts), dtype=np.int32), counts)[:periods]
    # A person's periods are registered at different times, not one after the other.
    return slots[rs.permutation(periods)], len(counts)


def _draw(rs: np.random.RandomState, table: tuple[tuple[int, int], ...], size: int) -> npt.NDArray[np.int64]:
    values = np.array([value for value, _ in table], dtype=np.int64)
    bounds = np.cumsum([weight for _, weight in table])
    return values[np.searchsorted(bounds, rs.randint(0, int(bounds[-1]), size=size), side="right")]


def _gaps(rs: np.random.RandomState, size: int) -> npt.NDArray[np.int64]:
    low = np.array([gap[0] for gap in _GAPS], dtype=np.int64)
    width = np.array([gap[1] - gap[0] for gap in _GAPS], dtype=np.int64)
    bucket = _draw(rs, tuple((index, gap[2]) for index, gap in enumerate(_GAPS)), size)
    fraction = rs.random_sample(size)
    fraction *= width[bucket]
    gaps = fraction.astype(np.int64)
    del fraction
    gaps += low[bucket]
    return gaps


def _uniform_below(rs: np.random.RandomState, bound: int, size: int) -> npt.NDArray[np.int64]:
    # A double from 53 random bits times an integer is exact enough and identical on every IEEE machine.
    return (rs.random_sample(size) * bound).astype(np.int64)


def _ms(day: date) -> int:
    return int(datetime.combine(day, clock_time(), tzinfo=OSLO).timestamp()) * 1000
