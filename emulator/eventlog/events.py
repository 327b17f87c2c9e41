"""The vocabulary of the feed: event types, hjemmelgrupper and one event as a value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    """`type` on the wire; the position in this enum is the code stored in the log."""

    OPPRETTET = "OPPRETTET"
    ENDRET = "ENDRET"
    ANNULLERT = "ANNULLERT"

    @property
    def code(self) -> int:
        return EVENT_TYPES.index(self)


class Group(StrEnum):
    """The hjemmelgruppe an event belongs to; the position in this enum is the code stored in the log."""

    EOS = "EOS"
    OEVRIGE = "OEVRIGE"

    @property
    def code(self) -> int:
        return GROUPS.index(self)


class GroupFilter(StrEnum):
    """The `hjemmelgruppe` query parameter: one group, or ALLE for both."""

    EOS = "EOS"
    OEVRIGE = "OEVRIGE"
    ALLE = "ALLE"

    @property
    def group(self) -> Group | None:
        return None if self is GroupFilter.ALLE else Group(self.value)


EVENT_TYPES: tuple[EventType, ...] = tuple(EventType)
GROUPS: tuple[Group, ...] = tuple(Group)


@dataclass(frozen=True, slots=True)
class Event:
    """One event of the feed; `created_ms` is `opprettetDato` as milliseconds since the epoch."""

    number: int
    period_id: int
    personident: str
    group: Group
    type: EventType
    created_ms: int


# MEDL's fields of a period as a tester gives them with an event (`medlemskapsunntak`, MEDL's own names).
MedlFields = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append: the log assigns its number. `medl`: MEDL fields given with it, if any."""

    period_id: int
    personident: str
    group: Group
    type: EventType
    created_ms: int
    medl: MedlFields | None = None
