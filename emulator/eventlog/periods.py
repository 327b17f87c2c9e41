"""Each period's events (and so its state: open or annulled, its person and group), found by periodeId.

Built from the log's columns on first use, not at start, and kept in step with the log by reading it: the
rows of every period, sorted by periodeId, are one int32 array searched in O(log N) (see keyed_rows), so
appends, live mode, stored events and resets all reach it without being told.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emulator.eventlog.events import GROUPS, EventType, Group
from emulator.eventlog.keyed_rows import KeyedRows, Keys, RowArray
from emulator.eventlog.log import EventLog


@dataclass(frozen=True, slots=True)
class PeriodState:
    period_id: int
    personident: str
    group: Group
    annulled: bool


def _period_ids(log: EventLog, rows: RowArray) -> Keys:
    return log.period_id.values[rows]


def _every_row(_log: EventLog, start: int, stop: int) -> RowArray:
    return np.arange(start, stop, dtype=np.int64)


class PeriodIndex:
    """The rows of every period in a log, as of the log's head whenever it is asked."""

    def __init__(self, log: EventLog) -> None:
        self._log = log
        self._rows = KeyedRows(log, _period_ids, _every_row)
        self._highest_id = 0
        self._highest_seen_head = 0
        self._cuts_seen = 0

    @property
    def log(self) -> EventLog:
        return self._log

    @property
    def nbytes(self) -> int:
        return self._rows.nbytes

    @property
    def highest_id(self) -> int:
        """The highest periodeId in the log (0 when it has none)."""
        log = self._log
        self._cuts_seen, lowest = log.cuts_since(self._cuts_seen)
        if lowest is not None:
            self._highest_id, self._highest_seen_head = 0, 0  # recounted from the start: ids may be gone
        if log.head > self._highest_seen_head:
            newer = log.period_id.values[self._highest_seen_head :]
            self._highest_id = max(self._highest_id, int(newer.max()))
        self._highest_seen_head = log.head
        return self._highest_id

    def warm(self) -> None:
        """Build the index now (seconds at ten million events) rather than on the first look-up."""
        self._rows.sync()

    def rows(self, period_id: int) -> RowArray:
        """The rows of the period's events, ascending (empty when there is no such period)."""
        return self._rows.find(period_id)

    def get(self, period_id: int) -> PeriodState | None:
        rows = self.rows(period_id)
        if not len(rows):
            return None
        row = int(rows[-1])
        log = self._log
        return PeriodState(
            period_id=period_id,
            personident=log.idents.values[log.person.values[row]].decode("ascii"),
            group=GROUPS[log.group.values[row]],
            annulled=EventType.ANNULLERT.code == log.kind.values[row],
        )

    def __contains__(self, period_id: int) -> bool:
        return len(self.rows(period_id)) > 0
