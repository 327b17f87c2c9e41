"""Each period's state (open or annulled, its person and group), to check appends against its lifecycle.

Built from the log's columns on first use, not at start: a ten-million-event log has millions of periods,
held here as sorted numpy arrays (searched in O(log N)); later periods live in a small dict beside them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from emulator.eventlog.events import GROUPS, EventType, Group
from emulator.eventlog.log import EventLog
from emulator.eventlog.ordering import stable_argsort


@dataclass(frozen=True, slots=True)
class PeriodState:
    period_id: int
    personident: str
    group: Group
    annulled: bool


class PeriodIndex:
    """The state of every period in a log as of a given head, kept current through `record`."""

    def __init__(self, log: EventLog) -> None:
        self._log = log
        rows = log.period_id.values
        # The last event of each period tells its state; a stable sort keeps rows in order within a period.
        order = stable_argsort(np.ascontiguousarray(rows))
        ordered = rows[order]
        last = np.concatenate([ordered[1:] != ordered[:-1], [True]]) if len(ordered) else np.empty(0, bool)
        self._ids: npt.NDArray[np.int64] = ordered[last]
        self._last_rows: npt.NDArray[np.int64] = order[last]
        self._later: dict[int, PeriodState] = {}
        self.highest_id = int(self._ids[-1]) if len(self._ids) else 0

    def get(self, period_id: int) -> PeriodState | None:
        later = self._later.get(period_id)
        if later is not None:
            return later
        position = int(np.searchsorted(self._ids, period_id))
        if position == len(self._ids) or self._ids[position] != period_id:
            return None
        row = int(self._last_rows[position])
        log = self._log
        return PeriodState(
            period_id=period_id,
            personident=log.idents.values[log.person.values[row]].decode("ascii"),
            group=GROUPS[log.group.values[row]],
            annulled=EventType.ANNULLERT.code == log.kind.values[row],
        )

    def record(self, period_id: int, personident: str, group: Group, event_type: EventType) -> None:
        self._later[period_id] = PeriodState(period_id, personident, group, event_type is EventType.ANNULLERT)
        self.highest_id = max(self.highest_id, period_id)

    def __contains__(self, period_id: int) -> bool:
        return self.get(period_id) is not None
