"""Each event as the compact JSON text NAV's feed shows, in the seed's field order; the digest hashes the same."""

from __future__ import annotations

import numpy as np

from emulator.eventlog.events import EVENT_TYPES, GROUPS
from emulator.eventlog.log import EventLog, Rows
from emulator.eventlog.timestamps import OsloTime
from emulator.settings import TimestampStyle

_GROUP_NAMES = [group.value for group in GROUPS]
_TYPE_NAMES = [event_type.value for event_type in EVENT_TYPES]


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
