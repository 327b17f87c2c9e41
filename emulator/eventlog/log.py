"""The event log: append-only numpy columns, one row per event, with a position index per hjemmelgruppe.

Event number n lives in row n - 1, so the global sequence has no gaps and needs no column. Each group
keeps the ascending rows of its events, so "the next k events of group g from number n" is one binary
search and a slice, wherever n lies: O(log N), and about 30 bytes per event in all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from emulator.eventlog.columns import Column
from emulator.eventlog.events import EVENT_TYPES, GROUPS, Event, Group, MedlFields, NewEvent

Rows = npt.NDArray[np.int64]
COLUMN_NAMES = ("period_id", "person", "group", "kind", "created_ms", "idents")


@dataclass(frozen=True, slots=True)
class LogColumns:
    """Whole columns as built by the generator or a fixture: row i is event number i + 1."""

    period_id: npt.NDArray[np.int64]
    person: npt.NDArray[np.int32]
    group: npt.NDArray[np.uint8]
    kind: npt.NDArray[np.uint8]
    created_ms: npt.NDArray[np.int64]
    idents: npt.NDArray[np.bytes_]

    def copy(self) -> LogColumns:
        """Columns of their own, for a second log that must not share memory with the first."""
        return LogColumns(*(getattr(self, name).copy() for name in self.__dataclass_fields__))


class EventLog:
    """All events, in number order; rows are only ever appended (or truncated back by a reset)."""

    def __init__(self, columns: LogColumns | None = None) -> None:
        if columns is None:
            columns = empty_columns()
        self.period_id = Column(np.dtype(np.int64), columns.period_id)
        self.person = Column(np.dtype(np.int32), columns.person)
        self.group = Column(np.dtype(np.uint8), columns.group)
        self.kind = Column(np.dtype(np.uint8), columns.kind)
        self.created_ms = Column(np.dtype(np.int64), columns.created_ms)
        # Identities are stored once per person; `person` holds the row in this table.
        self.idents = Column(np.dtype("S11"), columns.idents)
        group_codes = columns.group
        self._group_rows = [Column(np.dtype(np.int64), np.flatnonzero(group_codes == group.code)) for group in GROUPS]
        # MEDL fields given explicitly with an event, by event number: only appends and fixtures carry them.
        self.medl_fields: dict[int, MedlFields] = {}
        self.medl_numbers_by_period: dict[int, list[int]] = {}
        # The head each truncation cut back to, so indexes built over the rows can tell what they lost.
        self._cuts: list[int] = []
        # Raised after every append and truncation: an answer made from the log holds while this stays the same.
        self.changes = 0

    @classmethod
    def of_columns(cls, columns: dict[str, Column[Any]], group_rows: list[Column[np.int64]]) -> EventLog:
        """A log over columns made elsewhere (mapped from a cache), named as the attributes are."""
        log = cls()  # everything else a log keeps starts as in any new log
        for name in COLUMN_NAMES:
            setattr(log, name, columns[name])
        log._group_rows = group_rows
        return log

    def __len__(self) -> int:
        return len(self.group)

    def group_rows(self, group: Group) -> Rows:
        """The rows of one group's events, ascending."""
        return self._group_rows[group.code].values

    @property
    def head(self) -> int:
        """The number of the newest event, 0 when the log is empty."""
        return len(self.group)

    @property
    def nbytes(self) -> int:
        columns: list[Column[Any]] = [self.period_id, self.person, self.group, self.kind, self.created_ms]
        return sum(column.nbytes for column in [*columns, self.idents, *self._group_rows])

    def count(self, group: Group | None) -> int:
        head = len(self)
        return head if group is None else int(np.searchsorted(self._group_rows[group.code].values, head))

    def rows_from(self, first_row: int, limit: int, group: Group | None) -> tuple[Rows | slice, int]:
        """Up to `limit` rows from `first_row` on in `group` (None: all), and how many there are in all.

        Consistent with the head read first: an append on another thread fills a group's rows before it
        raises the head, so rows at or past that head are left out.
        """
        head = len(self)
        if group is None:
            total = max(head - first_row, 0)
            return slice(first_row, first_row + min(limit, total)), total
        rows = self._group_rows[group.code].values
        start, stop = (int(position) for position in np.searchsorted(rows, [first_row, head]))
        return rows[start : min(start + limit, stop)], max(stop - start, 0)

    def event(self, number: int) -> Event:
        row = number - 1
        if not 0 <= row < len(self):
            raise IndexError(f"no event number {number}; the head is {self.head}")
        return Event(
            number=number,
            period_id=int(self.period_id.values[row]),
            personident=self.idents.values[self.person.values[row]].decode("ascii"),
            group=GROUPS[self.group.values[row]],
            type=EVENT_TYPES[self.kind.values[row]],
            created_ms=int(self.created_ms.values[row]),
        )

    def append(self, events: list[NewEvent]) -> range:
        """Append events in order; returns their numbers. Callers check the lifecycle rules first.

        One writer at a time, which may run on another thread than the readers: every column is filled before
        the group column raises the head, so a reader sees the whole batch or none of it.
        """
        first_number = self.head + 1
        if not events:
            return range(first_number, first_number)
        # Every value is converted before any column changes, so a bad event leaves the log as it was.
        if any(len(event.personident) != 11 for event in events):
            raise ValueError("a personident has 11 digits")
        idents = np.array([event.personident.encode("ascii") for event in events], dtype="S11")
        period_ids = np.array([event.period_id for event in events], dtype=np.int64)
        created_ms = np.array([event.created_ms for event in events], dtype=np.int64)
        kinds = np.array([event.type.code for event in events], dtype=np.uint8)
        codes = np.array([event.group.code for event in events], dtype=np.uint8)
        rows = np.arange(first_number - 1, first_number - 1 + len(events), dtype=np.int64)
        self.person.extend(len(self.idents) + np.arange(len(events), dtype=np.int32))
        self.idents.extend(idents)
        self.period_id.extend(period_ids)
        self.created_ms.extend(created_ms)
        self.kind.extend(kinds)
        for group in GROUPS:
            self._group_rows[group.code].extend(rows[codes == group.code])
        for number, event in enumerate(events, start=first_number):
            if event.medl is not None:
                self.medl_fields[number] = event.medl
                self.medl_numbers_by_period.setdefault(event.period_id, []).append(number)
        # The group column goes last: its length is the log's length, so readers never see half a row.
        self.group.extend(codes)
        self.changes += 1
        return range(first_number, first_number + len(events))

    def truncate(self, head: int, persons: int) -> None:
        """Forget every event after `head` and every identity after the first `persons` (a reset)."""
        for column in (self.period_id, self.person, self.group, self.kind, self.created_ms):
            column.truncate(head)
        self.idents.truncate(persons)
        for rows in self._group_rows:
            rows.truncate(int(np.searchsorted(rows.values, head)))
        for number in [number for number in self.medl_fields if number > head]:
            del self.medl_fields[number]
        for period_id, numbers in list(self.medl_numbers_by_period.items()):
            kept = [number for number in numbers if number <= head]
            if kept:
                self.medl_numbers_by_period[period_id] = kept
            else:
                del self.medl_numbers_by_period[period_id]
        self._cuts.append(head)
        self.changes += 1

    @property
    def truncations(self) -> int:
        """How many times the log was cut back: with the head, what names one state of the log."""
        return len(self._cuts)

    def cuts_since(self, seen: int) -> tuple[int, int | None]:
        """How many truncations there have been, and the lowest head cut back to after the first `seen` of them."""
        later = self._cuts[seen:]
        return len(self._cuts), (min(later) if later else None)


def empty_columns() -> LogColumns:
    return LogColumns(
        period_id=np.empty(0, dtype=np.int64),
        person=np.empty(0, dtype=np.int32),
        group=np.empty(0, dtype=np.uint8),
        kind=np.empty(0, dtype=np.uint8),
        created_ms=np.empty(0, dtype=np.int64),
        idents=np.empty(0, dtype="S11"),
    )
