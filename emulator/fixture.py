"""Fixture files: a log written as JSON, streamed so that millions of events never sit in memory as text."""

from __future__ import annotations

from dataclasses import asdict
from typing import TextIO

import orjson

from emulator.digest import LogDigest
from emulator.generator import Recipe, generate
from emulator.log import EventLog
from emulator.timestamps import OsloTime, TimestampStyle
from emulator.wire import event_fragments

FORMAT = "trygdehendelser-emulator/events"
_CHUNK = 65_536


def write_events(recipe: Recipe, stream: TextIO) -> str:
    """Write `{"format", "version", "recipe", "digest", "hendelser": [...]}` and return the digest."""
    log = generate(recipe)
    oslo = OsloTime()
    digest = LogDigest(log, oslo).hexdigest()
    header = {"format": FORMAT, "version": 1, "recipe": asdict(recipe), "digest": digest}
    stream.write(orjson.dumps(header).decode()[:-1])
    stream.write(',"hendelser":[')
    _write_fragments(log, oslo, stream)
    stream.write("]}\n")
    return digest


def _write_fragments(log: EventLog, oslo: OsloTime, stream: TextIO) -> None:
    for start in range(0, len(log), _CHUNK):
        fragments = event_fragments(
            log, slice(start, min(start + _CHUNK, len(log))), oslo, TimestampStyle.OFFSET
        )
        stream.write(("," if start else "") + ",\n".join(fragments))
