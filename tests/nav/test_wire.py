"""The bytes on the wire: a page in the seed's field order, the empty page and the three error envelopes."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

import numpy as np
import orjson
import pytest

from emulator.eventlog.canonical import event_fragments
from emulator.eventlog.events import EventType, Group, GroupFilter, NewEvent
from emulator.eventlog.generator import Recipe, generate
from emulator.eventlog.log import EventLog
from emulator.eventlog.timestamps import OsloTime
from emulator.nav.feed import FeedQuery, select_page
from emulator.nav.wire import EMPTY_PAGE, page_body
from emulator.settings import TimestampStyle


def _utc_ms(text: str) -> int:
    """Epoch milliseconds of a UTC wall time `YYYY-MM-DDTHH:MM:SS.mmm`, by the standard library alone."""
    moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1000 + moment.microsecond // 1000


def _hand_built_log() -> EventLog:
    log = EventLog()
    log.append(
        [
            # 2024-03-04T12:34:56.789 in Oslo, winter time.
            NewEvent(2000001, "15918512397", Group.EOS, EventType.OPPRETTET, _utc_ms("2024-03-04T11:34:56.789")),
            # Midnight in Oslo on 1 July, summer time: still 30 June in UTC.
            NewEvent(2000002, "01858500075", Group.OEVRIGE, EventType.OPPRETTET, _utc_ms("2024-06-30T22:00:00.000")),
            # 02:30:00.120 the second time round on the night summer time ends.
            NewEvent(2000001, "15918512397", Group.EOS, EventType.ENDRET, _utc_ms("2024-10-27T01:30:00.120")),
            # New Year in Oslo, one millisecond past.
            NewEvent(2000001, "15918512397", Group.EOS, EventType.ANNULLERT, _utc_ms("2024-12-31T23:00:00.001")),
        ]
    )
    return log


_EVENT_1 = (
    b'{"hendelsesnummer":1,"innhold":{"periodeId":2000001,"personident":"15918512397"},'
    b'"metadata":{"hjemmelgruppe":"EOS","opprettetDato":"2024-03-04T12:34:56.789+01:00"},"type":"OPPRETTET"}'
)
_EVENT_2 = (
    b'{"hendelsesnummer":2,"innhold":{"periodeId":2000002,"personident":"01858500075"},'
    b'"metadata":{"hjemmelgruppe":"OEVRIGE","opprettetDato":"2024-07-01T00:00:00.000+02:00"},"type":"OPPRETTET"}'
)
_EVENT_3 = (
    b'{"hendelsesnummer":3,"innhold":{"periodeId":2000001,"personident":"15918512397"},'
    b'"metadata":{"hjemmelgruppe":"EOS","opprettetDato":"2024-10-27T02:30:00.120+01:00"},"type":"ENDRET"}'
)
_EVENT_4 = (
    b'{"hendelsesnummer":4,"innhold":{"periodeId":2000001,"personident":"15918512397"},'
    b'"metadata":{"hjemmelgruppe":"EOS","opprettetDato":"2025-01-01T00:00:00.001+01:00"},"type":"ANNULLERT"}'
)


def _page(log: EventLog, query: FeedQuery, style: TimestampStyle = TimestampStyle.OFFSET) -> bytes:
    page = select_page(log, query)
    return page_body(event_fragments(log, page.rows, OsloTime(), style), page.total)


# ---------------------------------------------------------------------------------------------------- pages


def test_a_page_has_exactly_the_seeds_bytes() -> None:
    body = _page(_hand_built_log(), FeedQuery(from_number=1, size=2))
    assert body == (
        b'{"antallHendelser":2,"hendelser":[' + _EVENT_1 + b"," + _EVENT_2 + b'],"totaltAntallHendelser":4}'
    )


def test_a_filtered_page_has_exactly_the_seeds_bytes() -> None:
    body = _page(_hand_built_log(), FeedQuery(from_number=2, size=100, group_filter=GroupFilter.EOS))
    assert body == (
        b'{"antallHendelser":2,"hendelser":[' + _EVENT_3 + b"," + _EVENT_4 + b'],"totaltAntallHendelser":2}'
    )


def test_a_page_of_one_counts_what_is_left() -> None:
    body = _page(_hand_built_log(), FeedQuery(from_number=2, size=1, group_filter=GroupFilter.ALLE))
    assert body == b'{"antallHendelser":1,"hendelser":[' + _EVENT_2 + b'],"totaltAntallHendelser":3}'


def test_local_style_writes_springs_offsetless_form() -> None:
    body = _page(_hand_built_log(), FeedQuery(from_number=1), TimestampStyle.LOCAL)
    dates = [event["metadata"]["opprettetDato"] for event in orjson.loads(body)["hendelser"]]
    assert dates == [
        "2024-03-04T12:34:56.789",
        "2024-07-01T00:00:00",
        "2024-10-27T02:30:00.12",
        "2025-01-01T00:00:00.001",
    ]
    assert b'"opprettetDato":"2024-07-01T00:00:00"}' in body


def test_the_empty_page_has_exactly_these_bytes() -> None:
    assert EMPTY_PAGE == b'{"antallHendelser":0,"hendelser":[],"totaltAntallHendelser":0}'
    assert page_body([], 0) == EMPTY_PAGE
    assert _page(_hand_built_log(), FeedQuery(from_number=5)) == EMPTY_PAGE
    assert _page(EventLog(), FeedQuery(from_number=1)) == EMPTY_PAGE


def test_a_page_with_no_events_still_reports_its_total() -> None:
    assert page_body([], 3) == b'{"antallHendelser":0,"hendelser":[],"totaltAntallHendelser":3}'


def test_field_order_follows_the_seed() -> None:
    page = orjson.loads(_page(_hand_built_log(), FeedQuery(from_number=1)))
    assert list(page) == ["antallHendelser", "hendelser", "totaltAntallHendelser"]
    for event in page["hendelser"]:
        assert list(event) == ["hendelsesnummer", "innhold", "metadata", "type"]
        assert list(event["innhold"]) == ["periodeId", "personident"]
        assert list(event["metadata"]) == ["hjemmelgruppe", "opprettetDato"]


# ----------------------------------------------------------------------------------- fragments of a real log


@functools.cache
def _generated() -> EventLog:
    return generate(Recipe(seed=31, events=700))


def test_fragments_carry_each_events_values() -> None:
    log, oslo = _generated(), OsloTime()
    fragments = event_fragments(log, slice(0, len(log)), oslo, TimestampStyle.OFFSET)
    assert len(fragments) == 700
    for number, fragment in enumerate(fragments, start=1):
        event = log.event(number)
        assert orjson.loads(fragment) == {
            "hendelsesnummer": number,
            "innhold": {"periodeId": event.period_id, "personident": event.personident},
            "metadata": {
                "hjemmelgruppe": event.group.value,
                "opprettetDato": oslo.format_one(event.created_ms, TimestampStyle.OFFSET),
            },
            "type": event.type.value,
        }


@pytest.mark.parametrize("style", list(TimestampStyle), ids=[style.value for style in TimestampStyle])
def test_rows_as_an_index_array_give_the_same_text_as_a_slice(style: TimestampStyle) -> None:
    log, oslo = _generated(), OsloTime()
    whole = event_fragments(log, slice(0, len(log)), oslo, style)
    rows = np.flatnonzero(log.group.values == Group.OEVRIGE.code).astype(np.int64)
    assert event_fragments(log, rows, oslo, style) == [whole[row] for row in rows.tolist()]
    assert event_fragments(log, slice(250, 260), oslo, style) == whole[250:260]
    assert event_fragments(log, np.empty(0, dtype=np.int64), oslo, style) == []


def test_every_fragment_is_compact_json() -> None:
    fragments = event_fragments(_generated(), slice(0, 50), OsloTime(), TimestampStyle.OFFSET)
    for fragment in fragments:
        assert orjson.dumps(orjson.loads(fragment)).decode() == fragment


# --------------------------------------------------------------------------------------------------- errors
