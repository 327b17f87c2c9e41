"""Fixtures: a seeded log described by a recipe or listed event by event, in JSON; bundled presets by name.

    {"format": "trygdehendelser-emulator/recipe", "version": 1, "recipe": {"seed": 1, "events": 1000000, ...}}
    {"format": "trygdehendelser-emulator/events", "version": 1, "hendelser": [<events in the API's wire form>]}

Event fixtures are checked against the lifecycle rules like any append; they are written as a stream, so
`generate` can write millions of events without holding their text in memory.
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

from emulator.appends import Appender, AppendRejectedError, EventDraft
from emulator.digest import LogDigest
from emulator.events import EventType, Group
from emulator.generator import Recipe, generate
from emulator.log import EventLog
from emulator.settings import Settings
from emulator.timestamps import OsloTime, TimestampStyle, parse_instant
from emulator.wire import event_fragments

RECIPE_FORMAT = "trygdehendelser-emulator/recipe"
EVENTS_FORMAT = "trygdehendelser-emulator/events"
PRESETS = ("empty", "small", "large")
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


def load_seeded_log(settings: Settings) -> SeededLog:
    if settings.fixture is None:
        recipe = Recipe(seed=settings.seed, events=settings.events)
        return SeededLog(generate(recipe), recipe.seed, f"recipe:{_recipe_key(recipe)}", f"seed {recipe.seed}")
    text, name = _fixture_text(settings.fixture)
    identity = f"fixture:{hashlib.sha256(text).hexdigest()[:20]}"
    document = _parse(text, name)
    if document["format"] == RECIPE_FORMAT:
        recipe = recipe_of(document.get("recipe", {}), name)
        return SeededLog(generate(recipe), recipe.seed, identity, f"fixture {name} (seed {recipe.seed})")
    seed = int(document.get("seed", settings.seed))
    return SeededLog(events_log(document.get("hendelser", []), name, seed), seed, identity, f"fixture {name}")


def recipe_of(fields_given: Any, name: str) -> Recipe:
    if not isinstance(fields_given, dict):
        raise FixtureError(f"{name}: recipe must be an object")
    known = {field.name for field in fields(Recipe)}
    unknown = set(fields_given) - known
    if unknown:
        raise FixtureError(f"{name}: unknown recipe fields {sorted(unknown)}; known: {sorted(known)}")
    values = dict(fields_given)
    if "history_start" in values:
        values["history_start"] = date.fromisoformat(str(values["history_start"]))
    try:
        return Recipe(**values)
    except (TypeError, ValueError) as error:
        raise FixtureError(f"{name}: {error}") from None


def events_log(events: Any, name: str, seed: int) -> EventLog:
    """A log holding exactly `events` (wire form), numbered 1, 2, 3 ... and valid under the lifecycle rules."""
    if not isinstance(events, list):
        raise FixtureError(f"{name}: hendelser must be a list")
    drafts = []
    for index, event in enumerate(events, start=1):
        try:
            if event["hendelsesnummer"] != index:
                raise FixtureError(f"{name}: event {index} has hendelsesnummer {event['hendelsesnummer']}")
            drafts.append(
                EventDraft(
                    type=EventType(event["type"]),
                    period_id=int(event["innhold"]["periodeId"]),
                    personident=str(event["innhold"]["personident"]),
                    group=Group(event["metadata"]["hjemmelgruppe"]),
                    created_ms=parse_instant(event["metadata"]["opprettetDato"]),
                )
            )
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, FixtureError):
                raise
            raise FixtureError(f"{name}: event {index} is not a valid Hendelse ({error!r})") from None
    log = EventLog()
    appender = Appender(log, seed)
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
    return ";".join(f"{key}={value}" for key, value in asdict(recipe).items())
