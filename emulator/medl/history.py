"""A period's history as MEDL reads it from the log: its events' count, times, and the fields given with them."""

from __future__ import annotations

import numpy as np

from emulator.eventlog.events import GROUPS, EventType
from emulator.eventlog.keyed_rows import RowArray
from emulator.eventlog.periods import PeriodIndex
from emulator.medl.derivation import History

_ENDRET = EventType.ENDRET.code
_ANNULLERT = EventType.ANNULLERT.code


def history_of(periods: PeriodIndex, period_id: int) -> History | None:
    """The period as of the log's head, or None when no event names it."""
    rows = periods.rows(period_id)
    if not len(rows):
        return None
    return history_from_rows(periods, period_id, rows)


def history_from_rows(periods: PeriodIndex, period_id: int, rows: RowArray) -> History:
    log = periods.log
    kinds = log.kind.values[rows]
    first, last = int(rows[0]), int(rows[-1])
    anchors = []
    for number in log.medl_numbers_by_period.get(period_id, ()):
        # The version an event's fields belong to: how many ENDRET the period had up to and including it.
        upto = int(np.searchsorted(rows, number - 1, side="right"))
        anchors.append((int(np.count_nonzero(kinds[:upto] == _ENDRET)), log.medl_fields[number]))
    return History(
        period_id=period_id,
        ident=log.idents.values[log.person.values[first]].decode("ascii"),
        group=GROUPS[log.group.values[first]],
        opprettet_ms=int(log.created_ms.values[first]),
        sist_endret_ms=int(log.created_ms.values[last]),
        versjon=int(np.count_nonzero(kinds == _ENDRET)),
        annulled=bool(kinds[-1] == _ANNULLERT),
        anchors=tuple(anchors),
    )
