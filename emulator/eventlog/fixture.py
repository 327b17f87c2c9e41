"""Fixtures: a seeded log described by a recipe or listed event by event, in JSON; bundled presets by name.

    {"format": "trygdehendelser-emulator/recipe", "version": 1, "recipe": {"seed": 1, "events": 1000000, ...}}
    {"format": "trygdehendelser-emulator/events", "version": 1, "hendelser": [<events in the API's wire form>]}

An event may carry `medlemskapsunntak`, the period's MEDL fields in MEDL's own names, as an append may.
Event fixtures are checked against the lifecycle rules (and MEDL's, given `medl_check`) like any append;
they are written as a stream, so `generate` can write millions of events without holding their text in memory.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

import orjson

from emulator.eventlog.appends import Appender, AppendRejectedError, EventDraft, MedlCheck
from emulator.eventlog.cache import LogCache
from emulator.eventlog.canonical import event_fragments
from emulator.eventlog.digest import LogDigest
from emulator.eventlog.events import EventType, Group
from emulator.eventlog.generator import Recipe, generate
from emulator.eventlog.log import EventLog
from emulator.eventlog.progress import MIN_EVENTS, BuildProgress
from emulator.eventlog.timestamps import OsloTime, parse_instant
from emulator.settings import TimestampStyle

RECIPE_FORMAT = "trygdehendelser-emulator/recipe"
EVENTS_FORMAT = "trygdehendelser-emulator/events"
PRESETS = ("empty", "small", "large")
# The same bounds as the `--seed` and `--events` settings.
MAX_SEED = 2**32 - 1
MAX_EVENTS = 100_000_000
_CHUNK = 65_536


class FixtureError(ValueError):
    """A fixture that cannot be read; the message says which and why."""


@dataclass(frozen=True)
class SeededLog:
    """The log the emulator starts from, the seed that continues it, and a name for it that a data dir keeps."""

    log: EventLog
    seed: int
    identity: str
    description: str


def load_seeded_log(
    fixture: str | None,
    *,
    seed: int,
    events: int,
    medl_check: MedlCheck | None = None,
    cache: LogCache | None = None,
) -> SeededLog:
    """The log a recipe of `seed` and `events` makes, or the fixture (a preset's name or a file) when one is given.

    An events fixture is checked like any append; `medl_check` checks the MEDL fields its events may carry.
    A recipe's log comes from `cache` when it holds it (and is stored there when not).
    """
    if fixture is None:
        recipe = Recipe(seed=seed, events=events)
        log = recipe_log(recipe, cache)
        return SeededLog(log, recipe.seed, f"recipe:{_recipe_key(recipe)}", f"seed {recipe.seed}")
    text, name = _fixture_text(fixture)
    identity = f"fixture:{hashlib.sha256(text).hexdigest()[:20]}"
    document = _parse(text, name)
    if document["format"] == RECIPE_FORMAT:
        recipe = recipe_of(document.get("recipe", {}), name)
        log = recipe_log(recipe, cache)
        return SeededLog(log, recipe.seed, identity, f"fixture {name} (seed {recipe.seed})")
    seed = document.get("seed", seed)
    if not _is_int(seed) or not 0 <= seed <= MAX_SEED:
        raise FixtureError(f"{name}: seed must be an integer from 0 to {MAX_SEED}, not {seed!r}")
    log = events_log(document.get("hendelser", []), name, seed, medl_check)
    return SeededLog(log, seed, identity, f"fixture {name}")


def recipe_log(recipe: Recipe, cache: LogCache | None = None) -> EventLog:
    """The recipe's log, built (reporting progress when it is large) or mapped from the cache."""
    progress = BuildProgress(recipe.events) if recipe.events >= MIN_EVENTS else None
    if cache is None:
        return generate(recipe, progress)
    return cache.load_or_build(recipe, lambda: generate(recipe, progress))[0]


def check_fixture(fixture: str) -> None:
    """Refuse, as load_seeded_log would, a fixture that is neither a preset nor a readable file of the right format
    (a recipe's fields included), without building the log; an events fixture's events are checked when it is."""
    text, name = _fixture_text(fixture)
    document = _parse(text, name)
    if document["format"] == RECIPE_FORMAT:
        recipe_of(document.get("recipe", {}), name)


def _is_int(value: object) -> bool:
    # JSON's true is not 1 here, nor is 1.0 or "1".
    return isinstance(value, int) and not isinstance(value, bool)


def recipe_of(fields_given: Any, name: str) -> Recipe:
    if not isinstance(fields_given, dict):
        raise FixtureError(f"{name}: recipe must be an object")
    known = {field.name for field in fields(Recipe)}
    unknown = set(fields_given) - known
    if unknown:
        raise FixtureError(f"{name}: unknown recipe fields {sorted(unknown)}; known: {sorted(known)}")
    values = dict(fields_given)
    for field_name, value in values.items():
        if field_name != "history_start" and not _is_int(value):
            raise FixtureError(f"{name}: recipe field {field_name} must be an integer, not {value!r}")
    if values.get("events", 0) > MAX_EVENTS:
        raise FixtureError(f"{name}: a recipe makes at most {MAX_EVENTS:,} events, not {values['events']:,}")
    if "history_start" in values:
        try:
            values["history_start"] = date.fromisoformat(values["history_start"])
        except (TypeError, ValueError):
            raise FixtureError(
                f"{name}: history_start must be a date like 2023-01-01, not {values['history_start']!r}"
            ) from None
    try:
        return Recipe(**values)
    except (TypeError, ValueError) as error:
        raise FixtureError(f"{name}: {error}") from None


def events_log(events: Any, name: str, seed: int, medl_check: MedlCheck | None = None) -> EventLog:
    """A log holding exactly `events` (wire form), numbered 1, 2, 3 ... and valid under the lifecycle rules."""
    if not isinstance(events, list):
        raise FixtureError(f"{name}: hendelser must be a list")
    drafts = []
    for index, event in enumerate(events, start=1):
        try:
            number = event["hendelsesnummer"]
            if not _is_int(number) or number != index:
                raise FixtureError(f"{name}: event {index} has hendelsesnummer {number!r}")
            period_id, personident = event["innhold"]["periodeId"], event["innhold"]["personident"]
            if not _is_int(period_id):
                raise FixtureError(f"{name}: event {index} has periodeId {period_id!r}, not an integer")
            if not isinstance(personident, str):
                raise FixtureError(f"{name}: event {index} has personident {personident!r}, not a string")
            medl = event.get("medlemskapsunntak")
            if medl is not None and not isinstance(medl, dict):
                raise FixtureError(f"{name}: event {index} has medlemskapsunntak {medl!r}, not an object")
            drafts.append(
                EventDraft(
                    type=EventType(event["type"]),
                    period_id=period_id,
                    personident=personident,
                    group=Group(event["metadata"]["hjemmelgruppe"]),
                    created_ms=parse_instant(event["metadata"]["opprettetDato"]),
                    medlemskapsunntak=medl,
                )
            )
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, FixtureError):
                raise
            raise FixtureError(f"{name}: event {index} is not a valid Hendelse ({error!r})") from None
    log = EventLog()
    appender = Appender(log, seed, medl_check)
    try:
        planned = appender.plan(drafts, now_ms=0)
    except AppendRejectedError as error:
        raise FixtureError(f"{name}: {error}") from None
    log.append(planned)
    return log


def write_fixture(seeded: SeededLog, stream: TextIO) -> str:
    """Write the log as an events fixture and return its digest."""
    oslo = OsloTime()
    digest = LogDigest(seeded.log, oslo).hexdigest()
    header = {"format": EVENTS_FORMAT, "version": 1, "seed": seeded.seed, "source": seeded.description}
    stream.write(orjson.dumps({**header, "digest": digest}).decode()[:-1])
    stream.write(',"hendelser":[\n')
    log = seeded.log
    for start in range(0, len(log), _CHUNK):
        fragments = event_fragments(log, slice(start, min(start + _CHUNK, len(log))), oslo, TimestampStyle.OFFSET)
        for number in sorted(n for n in log.medl_fields if start < n <= start + len(fragments)):
            # The MEDL fields the event was appended with, so the fixture loads into the same MEDL answers.
            medl = orjson.dumps(dict(log.medl_fields[number])).decode()
            fragments[number - 1 - start] = f'{fragments[number - 1 - start][:-1]},"medlemskapsunntak":{medl}}}'
        stream.write(("," if start else "") + ",\n".join(fragments))
    stream.write("\n]}\n")
    return digest


def _fixture_text(fixture: str) -> tuple[bytes, str]:
    if fixture in PRESETS:
        return resources.files("emulator").joinpath(f"fixtures/{fixture}.json").read_bytes(), fixture
    path = Path(fixture)
    if not path.is_file():
        raise FixtureError(f"no fixture {fixture!r}: not a preset ({', '.join(PRESETS)}) nor a file")
    return path.read_bytes(), str(path)


def _parse(text: bytes, name: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise FixtureError(f"{name}: not JSON ({error})") from None
    if not isinstance(document, dict) or document.get("format") not in (RECIPE_FORMAT, EVENTS_FORMAT):
        raise FixtureError(f"{name}: format must be {RECIPE_FORMAT!r} or {EVENTS_FORMAT!r}")
    if document.get("version") != 1:
        raise FixtureError(f"{name}: only version 1 is known")
    return document


def _recipe_key(recipe: Recipe) -> str:
    # A recipe without persons keeps the name it had before the field existed, and so its data dirs.
    return ";".join(f"{key}={value}" for key, value in asdict(recipe).items() if value is not None)
