"""The periods of a person: the OPPRETTET rows, sorted by the person's number, found in O(log N).

A period belongs to the person its OPPRETTET named (person and group never change within a period), so
only OPPRETTET rows are indexed: four bytes per period, and no Python object per period or person.
"""

from __future__ import annotations

import numpy as np

from emulator.eventlog import EventLog, EventType, KeyedRows, Keys, RowArray

_OPPRETTET = EventType.OPPRETTET.code
# What the eleven ASCII "0"s add when bytes are read as digits: taken off once, at the end.
_ZEROS = ord("0") * sum(10**power for power in range(11))


def ident_keys(log: EventLog, rows: RowArray) -> Keys:
    """Each row's personident read as an 11-digit number (an order only: equal keys are compared as text)."""
    digits = log.idents.values[log.person.values[rows]].view(np.uint8).reshape(-1, 11)
    # Horner's rule a column at a time: several times faster than an integer matrix product in numpy.
    keys: Keys = digits[:, 0].astype(np.int64)
    for column in range(1, 11):
        keys *= 10
        keys += digits[:, column]
    keys -= _ZEROS
    return keys


def _openings(log: EventLog, start: int, stop: int) -> RowArray:
    rows: RowArray = np.flatnonzero(log.kind.values[start:stop] == _OPPRETTET).astype(np.int64) + start
    return rows


class PersonIndex:
    """periodeIds by personident, in step with the log."""

    def __init__(self, log: EventLog) -> None:
        self._log = log
        self._rows = KeyedRows(log, ident_keys, _openings)

    @property
    def nbytes(self) -> int:
        return self._rows.nbytes

    def warm(self) -> None:
        self._rows.sync()

    def period_ids(self, personident: str) -> list[int]:
        """The periods whose OPPRETTET named `personident`, by periodeId ascending."""
        encoded = personident.encode("ascii")
        if len(encoded) != 11 or not encoded.isdigit():
            return []
        rows = self._rows.find(int(encoded))
        log = self._log
        rows = rows[log.idents.values[log.person.values[rows]] == encoded]
        return sorted(set(log.period_id.values[rows].tolist()))
