"""The seeded synthetic history: persons, their membership periods and each period's lifecycle, as columns.

Every period starts with OPPRETTET, may be changed (ENDRET) any number of times and may end ANNULLERT;
its events are spread over days to months, so lifecycles interleave in the feed. The feed is the first
`events` of all those events in time order. Everything is drawn vectorised from numpy's legacy
RandomState, whose integer and uniform streams are frozen across numpy versions and platforms, and only
through integer arithmetic and exact float products, so one seed gives a byte-identical log everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time

import numpy as np
import numpy.typing as npt

from emulator.eventlog import draws
from emulator.eventlog.events import EventType
from emulator.eventlog.identities import EARLIEST_BIRTH, LATEST_BIRTH, generate_identities
from emulator.eventlog.log import EventLog, LogColumns
from emulator.eventlog.ordering import stable_sort_prefix
from emulator.eventlog.population import capacity, sample_identities
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
# Part of every cache key: raise it with any change to what a recipe generates.
GENERATOR_VERSION = 1
# Up to here a recipe without `persons` has one person per four events, as every log made before the field
# existed; above, a fixed population, far from the 29 million distinct synthetic numbers.
LEGACY_MAX_EVENTS = 40_000_000
LARGE_LOG_PERSONS = 10_000_000

Progress = Callable[[float], None]


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
    persons: int | None = None

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
        if self.persons is not None:
            if self.persons < 1:
                raise ValueError("persons must be at least 1")
            limit = capacity(self.dnumber_permille)
            if self.persons > limit:
                raise ValueError(
                    f"persons must be at most {limit:,}: no more distinct synthetic numbers exist "
                    f"(birth dates {EARLIEST_BIRTH.year}-{LATEST_BIRTH.year}, dnumber_permille {self.dnumber_permille})"
                )

    @property
    def population(self) -> int:
        """Persons the log is made with (a log of up to LEGACY_MAX_EVENTS without `persons`: about a quarter)."""
        if self.persons is not None:
            return self.persons
        if self.events <= LEGACY_MAX_EVENTS:
            return (self.events // 2 + 16) // 2 + 16
        return LARGE_LOG_PERSONS


def generate(recipe: Recipe, progress: Progress | None = None) -> EventLog:
    return EventLog(generate_columns(recipe, progress))


def generate_columns(recipe: Recipe, progress: Progress | None = None) -> LogColumns:
    """The recipe's log. Every draw comes in the order and size it always has, so pinned logs keep their bytes;
    the work between draws is done in chunks and small dtypes, freeing each array as soon as it is used up.
    """
    report = progress or _ignore
    rs = np.random.RandomState(recipe.seed)
    created_ms, period_of_event, kind, start_ms = _timeline(rs, recipe, report)
    periods = len(start_ms)
    # Sorting needs no draws, so it comes before the period draws: fewer arrays are alive at its peak.
    registered = stable_sort_prefix(start_ms, periods)[1]
    del start_ms
    # Laid out by period then ordinal, so a stable sort on time breaks ties the same way everywhere.
    created_ms, order = stable_sort_prefix(created_ms, recipe.events)
    report(0.70)
    event_period = period_of_event[order]
    del period_of_event
    event_kind = kind[order]
    del kind, order

    # MEDL hands out ids from a sequence as periods are registered: ascending in creation order.
    id_steps = draws.small_integers(rs, 1, 4, periods)
    period_ids = np.empty(periods, dtype=np.int64)
    period_ids[registered] = np.cumsum(id_steps, dtype=np.int64) + _FIRST_PERIOD_ID
    del id_steps, registered
    groups = (~draws.below(rs, periods, 1000, recipe.eos_permille)).view(np.uint8)
    if recipe.persons is None and recipe.events <= LEGACY_MAX_EVENTS:
        person_of_period, persons = _assign_persons(rs, periods)
        idents = generate_identities(rs, persons, dnumber_permille=recipe.dnumber_permille)
    else:
        person_of_period = rs.randint(0, recipe.population, size=periods, dtype=np.int32)
        idents = sample_identities(rs, recipe.population, dnumber_permille=recipe.dnumber_permille)
    report(0.90)
    period_id = period_ids[event_period]
    del period_ids
    person = person_of_period[event_period]
    del person_of_period
    group = groups[event_period]
    report(1.0)
    return LogColumns(
        period_id=period_id, person=person, group=group, kind=event_kind, created_ms=created_ms, idents=idents
    )


def _timeline(
    rs: np.random.RandomState, recipe: Recipe, report: Progress
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """Every event of every period: its instant, its period and its kind; and each period's start."""
    periods = recipe.events // 2 + 16
    changes = draws.weighted(rs, _CHANGES, periods)
    annulled = draws.below(rs, periods, 1000, recipe.annulled_permille)
    per_period = 1 + changes + annulled
    while int(per_period.sum()) < recipe.events:  # only for tiny or unlucky draws
        more = draws.weighted(rs, _CHANGES, periods)
        changes, annulled = np.concatenate([changes, more]), np.concatenate([annulled, np.zeros_like(more, bool)])
        per_period = 1 + changes + annulled
        periods = len(per_period)
    del changes
    start_ms = _ms(recipe.history_start) + draws.uniform_below(rs, recipe.history_days * _MS_PER_DAY, periods)
    report(0.05)

    # Each period's time line: the running sum of its gaps, from its start.
    total = int(per_period.sum())
    bucket = draws.weighted(rs, tuple((index, gap[2]) for index, gap in enumerate(_GAPS)), total)
    created_ms = np.empty(total, dtype=np.int64)
    low = np.array([gap[0] for gap in _GAPS], dtype=np.int64)
    width = np.array([gap[1] - gap[0] for gap in _GAPS], dtype=np.int64)
    draws.scaled_fractions(rs, bucket, low, width, created_ms)
    del bucket
    report(0.20)
    period_of_event, kind = _lay_out_periods(per_period, annulled, start_ms, created_ms)
    report(0.30)
    return created_ms, period_of_event, kind, start_ms


def _lay_out_periods(
    per_period: npt.NDArray[np.uint8],
    annulled: npt.NDArray[np.bool_],
    start_ms: npt.NDArray[np.int64],
    created_ms: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint8]]:
    """Turn gaps into instants (each period's running sum from its start) and mark each event's period and kind.

    A run of whole periods at a time: a period's sum restarts at its first event, so the chunks need
    nothing from each other, and no temporary grows with the log.
    """
    period_of_event = np.empty(len(created_ms), dtype=np.int32)
    kind = np.full(len(created_ms), EventType.ENDRET.code, dtype=np.uint8)
    first_event = 0
    for part in draws.chunks(len(per_period)):
        counts = per_period[part]
        ends = np.cumsum(counts, dtype=np.int64)
        events = slice(first_event, first_event + int(ends[-1]))
        firsts = ends - counts
        times = created_ms[events]
        times[firsts] = 0
        np.cumsum(times, out=times)
        times += np.repeat(start_ms[part] - times[firsts], counts)
        period_of_event[events] = np.repeat(np.arange(part.start, part.stop, dtype=np.int32), counts)
        kinds = kind[events]
        kinds[firsts] = EventType.OPPRETTET.code
        kinds[(ends - 1)[annulled[part]]] = EventType.ANNULLERT.code
        first_event = events.stop
    return period_of_event, kind


def _assign_persons(rs: np.random.RandomState, periods: int) -> tuple[npt.NDArray[np.int32], int]:
    persons = periods // 2 + 16
    counts = draws.weighted(rs, _PERIODS_PER_PERSON, persons)
    while int(counts.sum()) < periods:
        counts = np.concatenate([counts, draws.weighted(rs, _PERIODS_PER_PERSON, persons)])
    slots = np.repeat(np.arange(len(counts), dtype=np.int32), counts)[:periods]
    # A person's periods are registered at different times, not one after the other.
    return slots[rs.permutation(periods)], len(counts)


def _ignore(_: float) -> None:
    pass


def _ms(day: date) -> int:
    return int(datetime.combine(day, clock_time(), tzinfo=OSLO).timestamp()) * 1000
