"""A period's history as MEDL reads it from the log: its events' count, times, and the fields given with them."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from emulator.eventlog import GROUPS, EventLog, EventType, PeriodIndex, RowArray, stable_argsort
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


def every_history(log: EventLog, periods: PeriodIndex) -> Iterator[History]:
    """Every period's history, by periodeId: one sort of the log, then counted a period at a time in numpy."""
    head = log.head
    rows = stable_argsort(np.ascontiguousarray(log.period_id.values[:head]))
    ids = log.period_id.values[rows]
    starts = np.flatnonzero(np.concatenate([[True], ids[1:] != ids[:-1]])) if head else np.empty(0, np.int64)
    stops = np.append(starts[1:], head)
    endret = (log.kind.values[rows] == _ENDRET).astype(np.int64)
    counts = np.add.reduceat(endret, starts) if head else np.empty(0, np.int64)
    first_rows, last_rows = rows[starts], rows[stops - 1]
    idents = log.idents.values[log.person.values[first_rows]].astype("U11").tolist()
    groups = log.group.values[first_rows].tolist()
    created = log.created_ms.values
    opened, last = created[first_rows].tolist(), created[last_rows].tolist()
    annulled = (log.kind.values[last_rows] == _ANNULLERT).tolist()
    for index, period_id in enumerate(ids[starts].tolist()):
        if period_id in log.medl_numbers_by_period:
            yield history_from_rows(periods, period_id, rows[starts[index] : stops[index]])
            continue
        yield History(
            period_id=period_id,
            ident=idents[index],
            group=GROUPS[groups[index]],
            opprettet_ms=opened[index],
            sist_endret_ms=last[index],
            versjon=int(counts[index]),
            annulled=annulled[index],
        )
