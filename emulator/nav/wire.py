"""The bytes on the wire: the feed's JSON in the seed's field order, and the three error envelopes."""

from __future__ import annotations

from http import HTTPStatus

import numpy as np
import orjson

from emulator.errors import EmulatorError, Envelope, OAuthError
from emulator.eventlog.events import EVENT_TYPES, GROUPS
from emulator.eventlog.log import EventLog, Rows
from emulator.eventlog.timestamps import OsloTime, TimestampStyle

_GROUP_NAMES = [group.value for group in GROUPS]
_TYPE_NAMES = [event_type.value for event_type in EVENT_TYPES]
EMPTY_PAGE = b'{"antallHendelser":0,"hendelser":[],"totaltAntallHendelser":0}'


def event_fragments(log: EventLog, rows: Rows | slice, oslo: OsloTime, style: TimestampStyle) -> list[str]:
    """Each event in `rows` as compact JSON text, with the fields in the order NAV's page documents."""
    numbers = range(rows.start + 1, rows.stop + 1) if isinstance(rows, slice) else (rows + 1).tolist()
    period_ids = log.period_id.values[rows].tolist()
    idents = log.idents.values[log.person.values[rows]].astype("U11").tolist()
    groups = log.group.values[rows].tolist()
    kinds = log.kind.values[rows].tolist()
    created = oslo.format(np.asarray(log.created_ms.values[rows]), style)
    return [
        f'{{"hendelsesnummer":{number},"innhold":{{"periodeId":{period_id},"personident":"{ident}"}},'
        f'"metadata":{{"hjemmelgruppe":"{_GROUP_NAMES[group]}","opprettetDato":"{timestamp}"}},'
        f'"type":"{_TYPE_NAMES[kind]}"}}'
        for number, period_id, ident, group, kind, timestamp in zip(
            numbers, period_ids, idents, groups, kinds, created, strict=True
        )
    ]


def page_body(fragments: list[str], total: int) -> bytes:
    """A `Trygdehendelse`: antallHendelser, hendelser, totaltAntallHendelser."""
    if not fragments and total == 0:
        return EMPTY_PAGE
    return (
        f'{{"antallHendelser":{len(fragments)},"hendelser":[{",".join(fragments)}],"totaltAntallHendelser":{total}}}'
    ).encode()


def error_body(error: EmulatorError, *, path: str, timestamp: str) -> bytes:
    """The envelope the upstream component that rejects this request would answer with."""
    if error.envelope is Envelope.SPRING:
        return orjson.dumps(
            {
                "timestamp": timestamp,
                "status": error.status,
                "error": HTTPStatus(error.status).phrase,
                "message": error.message,
                "path": path,
            }
        )
    if error.envelope is Envelope.CONTROL:
        return orjson.dumps({"detail": error.message})
    if isinstance(error, OAuthError):
        return orjson.dumps({"error": error.error, "error_description": error.message})
    return orjson.dumps({"statusCode": error.status, "message": error.message})
