"""MEDL in process: build time and memory of its indexes, and the cost of a look-up by id and by person.

    .venv/bin/python bench/medl_lookup.py [--sizes 1000000,10000000] [--lookups 2000]

For each log size: generates the seeded log, measures the log's bytes per event, builds MEDL's indexes (the
period index the appender shares, and the person index) and reports their extra bytes per event and the
peak Python allocation while building (tracemalloc), then times look-ups of random existing periods and
persons, and of each after 10,000 appended events (the indexes' tail), in microseconds per answer.
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:
    _here = Path(__file__).resolve().parent
    sys.path[:] = [str(_here.parent), *(entry for entry in sys.path if Path(entry).resolve() != _here)]

import argparse
import functools
import random
import time
import tracemalloc
from collections.abc import Callable, Sequence

from emulator.eventlog.appends import Appender
from emulator.eventlog.generator import Recipe, generate
from emulator.medl import Register, check_planned


def _per_call_us(calls: Sequence[Callable[[], object]]) -> float:
    started = time.perf_counter()
    for call in calls:
        call()
    return (time.perf_counter() - started) / len(calls) * 1e6


def measure(size: int, lookups: int) -> dict[str, float]:
    log = generate(Recipe(seed=42, events=size))
    appender = Appender(log, 42, check_planned)
    register = Register(log, 42, appender.periods)
    rng = random.Random(1)
    numbers = [rng.randrange(1, log.head + 1) for _ in range(lookups)]
    ids = [str(log.event(number).period_id) for number in numbers]
    idents = [log.event(number).personident for number in numbers]
    tracemalloc.start()
    started = time.perf_counter()
    register.one(ids[0], {})
    register.of_person(idents[0], {})
    build_seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    figures = {
        "events": float(log.head),
        "log_bytes_per_event": log.nbytes / log.head,
        "medl_bytes_per_event": register.nbytes / log.head,
        "build_seconds": build_seconds,
        "build_peak_mb": peak / 1e6,
        "by_id_us": _per_call_us([functools.partial(register.one, unntak_id, {}) for unntak_id in ids]),
        "by_person_us": _per_call_us([functools.partial(register.of_person, ident, {}) for ident in idents]),
    }
    last = int(log.created_ms.values[-1])
    events = appender.generate([last] * 10_000)
    log.append(events)
    appender.applied(events)
    recent = events[-lookups:]
    by_id = [functools.partial(register.one, str(event.period_id), {}) for event in recent]
    figures["by_id_with_tail_us"] = _per_call_us(by_id)
    by_person = [functools.partial(register.of_person, event.personident, {}) for event in recent]
    figures["by_person_with_tail_us"] = _per_call_us(by_person)
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--lookups", type=int, default=2_000)
    arguments = parser.parse_args(argv)
    for size in (int(text) for text in arguments.sizes.split(",")):
        figures = measure(size, arguments.lookups)
        print(" ".join(f"{name}={value:,.2f}" for name, value in figures.items()), flush=True)


if __name__ == "__main__":
    main()
