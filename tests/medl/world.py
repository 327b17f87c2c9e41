"""A log, its appender and MEDL wired as the emulator wires them, plus MEDL's rules spelled out naively."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from emulator.eventlog.appends import Appender, EventDraft
from emulator.eventlog.events import EventType, Group, NewEvent
from emulator.eventlog.generator import Recipe, generate
from emulator.eventlog.log import EventLog
from emulator.eventlog.timestamps import OsloTime
from emulator.medl import Register, check_planned, codes
from emulator.medl.derivation import History, Record, derive
from emulator.settings import TimestampStyle

NOW_MS = 1_800_000_000_000


@dataclass
class World:
    """What backend.Backend holds for the feed and MEDL: append, reset, and both of MEDL's views."""

    log: EventLog
    seed: int
    appender: Appender = field(init=False)
    register: Register = field(init=False)
    seeded_head: int = field(init=False)
    seeded_persons: int = field(init=False)

    def __post_init__(self) -> None:
        self.appender = Appender(self.log, self.seed, check_planned)
        self.register = Register(self.log, self.seed, self.appender.periods)
        self.seeded_head = self.log.head
        self.seeded_persons = len(self.log.idents)

    @classmethod
    def generated(cls, seed: int, events: int) -> World:
        return cls(generate(Recipe(seed=seed, events=events)), seed)

    def append(self, drafts: Sequence[EventDraft], now_ms: int = NOW_MS) -> range:
        planned = self.appender.plan(drafts, now_ms)
        return self._appended(planned)

    def generate(self, count: int) -> range:
        last = int(self.log.created_ms.values[-1]) if self.log.head else NOW_MS
        return self._appended(self.appender.generate([max(last, NOW_MS)] * count))

    def reset(self) -> None:
        self.log.truncate(self.seeded_head, self.seeded_persons)
        self.appender.forget()

    def one(self, unntak_id: int, *, traces: bool = True) -> dict[str, Any]:
        query = {"inkluderSporingsinfo": ["true"]} if traces else {}
        answer: dict[str, Any] = orjson.loads(self.register.one(str(unntak_id), query))
        return answer

    def of_person(self, ident: str, **query: list[str]) -> list[dict[str, Any]]:
        answer: list[dict[str, Any]] = orjson.loads(self.register.of_person(ident, query))
        return answer

    def _appended(self, planned: list[NewEvent]) -> range:
        numbers = self.log.append(planned)
        self.appender.applied(planned)
        return numbers


def histories(log: EventLog, upto: int | None = None) -> dict[int, list[tuple[int, NewEvent]]]:
    """Every period's events up to event `upto` (default: the head), read one by one: the naive view."""
    periods: dict[int, list[tuple[int, NewEvent]]] = {}
    for number in range(1, (log.head if upto is None else upto) + 1):
        event = log.event(number)
        periods.setdefault(event.period_id, []).append(
            (
                number,
                NewEvent(
                    event.period_id,
                    event.personident,
                    event.group,
                    event.type,
                    event.created_ms,
                    log.medl_fields.get(number),
                ),
            )
        )
    return periods


def naive_history(events: Sequence[tuple[int, NewEvent]]) -> History:
    """The History of a period from its events, counted one at a time."""
    first, last = events[0][1], events[-1][1]
    versjon = 0
    anchors = []
    for _, event in events:
        versjon += event.type is EventType.ENDRET
        if event.medl is not None:
            anchors.append((versjon, event.medl))
    return History(
        period_id=first.period_id,
        ident=first.personident,
        group=first.group,
        opprettet_ms=first.created_ms,
        sist_endret_ms=last.created_ms,
        versjon=versjon,
        annulled=last.type is EventType.ANNULLERT,
        anchors=tuple(anchors),
    )


NON_NULL = (
    "unntakId",
    "ident",
    "fraOgMed",
    "tilOgMed",
    "status",
    "dekning",
    "helsedel",
    "medlem",
    "lovvalg",
    "grunnlag",
)


def assert_agreement(world: World) -> None:
    """Every rule of 'one world, two views', for every period, by id and by person."""
    oslo = OsloTime()
    periods = histories(world.log)
    persons: dict[str, set[int]] = {}
    for period_id, events in periods.items():
        opening = events[0][1]
        assert opening.type is EventType.OPPRETTET
        persons.setdefault(opening.personident, set()).add(period_id)
        answer = world.one(period_id)
        for name in NON_NULL:
            assert answer.get(name) is not None, name
        assert answer["unntakId"] == period_id
        assert answer["ident"] == opening.personident
        assert answer["tilOgMed"] >= answer["fraOgMed"]
        traces = answer["sporingsinformasjon"]
        assert traces["versjon"] == sum(event.type is EventType.ENDRET for _, event in events)
        assert traces["opprettet"] == oslo.format_one(opening.created_ms, TimestampStyle.LOCAL)
        assert traces["sistEndret"] == oslo.format_one(events[-1][1].created_ms, TimestampStyle.LOCAL)
        if events[-1][1].type is EventType.ANNULLERT:
            assert (answer["status"], answer["statusaarsak"]) == ("AVST", "Feilregistrert")
        if opening.group is Group.EOS:
            assert answer["grunnlag"].startswith("FO_")
            assert answer["lovvalgsland"] in codes.EEA_COUNTRIES
        else:
            assert answer["grunnlag"].startswith("FTL_") or answer["grunnlag"] in codes.BILATERAL_GRUNNLAG
        assert_each_endret_changes_a_field(world.seed, events)
        assert derive(world.seed, naive_history(events)) == world.register.record(period_id)
    for ident, expected in persons.items():
        listed = world.of_person(ident, inkluderSporingsinfo=["true"])
        assert [entry["unntakId"] for entry in listed] == sorted(expected)
        assert listed == [world.one(period_id) for period_id in sorted(expected)]


def assert_each_endret_changes_a_field(seed: int, events: Sequence[tuple[int, NewEvent]]) -> None:
    previous: Record | None = None
    for upto in range(1, len(events) + 1):
        record = derive(seed, naive_history(events[:upto]))
        if events[upto - 1][1].type is EventType.ENDRET:
            assert previous is not None
            assert record.fields() != previous.fields()
        previous = record
