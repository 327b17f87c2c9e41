"""Rows of the log sorted by a key (a period's id, a person's number), found by key in O(log N), as numpy only.

The rows sorted by (key, row) are one int32 array; every 64th key is kept beside them, so a look-up is one
binary search in that sample and one in a block of 64. Rows appended later stay in a tail that is scanned
(vectorised) until it is merged in; a truncation drops the rows it cut. No Python object per row or key.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from emulator.eventlog.log import EventLog
from emulator.eventlog.ordering import stable_argsort

Keys = npt.NDArray[np.int64]
RowArray = npt.NDArray[np.int64]
# The keys of the given rows; and which of the rows in a range belong in the index at all.
KeyOf = Callable[[EventLog, RowArray], Keys]
Selects = Callable[[EventLog, int, int], RowArray]

SAMPLE_EVERY = 64
TAIL_ROWS = 65_536


class KeyedRows:
    """The rows of `log` chosen by `selects`, grouped by `key_of`, kept in step with the log as it changes."""

    def __init__(self, log: EventLog, key_of: KeyOf, selects: Selects) -> None:
        self._log = log
        self._key_of = key_of
        self._selects = selects
        self._rows: npt.NDArray[np.int32] = np.empty(0, dtype=np.int32)
        self._sample: Keys = np.empty(0, dtype=np.int64)
        self._built_head = 0  # rows below it are in `_rows`; from it to the head, in the tail
        self._cuts_seen = 0
        self._built = False

    @property
    def nbytes(self) -> int:
        return int(self._rows.nbytes + self._sample.nbytes)

    def find(self, key: int) -> RowArray:
        """Every indexed row with this key, ascending."""
        self.sync()
        found = self._in_sorted(key)
        tail = self._tail()
        if len(tail):
            tail = tail[self._key_of(self._log, tail) == key]
            found = np.concatenate([found, tail]) if len(found) else tail
        return found

    def sync(self) -> None:
        """Catch up with the log: drop what a truncation cut, merge the tail when it has grown long."""
        log = self._log
        if not self._built:
            self._cuts_seen, _ = log.cuts_since(0)
            self._build(log.head)
            return
        self._cuts_seen, lowest = log.cuts_since(self._cuts_seen)
        if lowest is not None and lowest < self._built_head:
            self._rows = self._rows[self._rows < lowest]
            self._sample = self._keys(self._rows[::SAMPLE_EVERY])
            self._built_head = lowest
        if log.head - self._built_head > TAIL_ROWS:
            self._merge(log.head)

    def _build(self, head: int) -> None:
        rows = self._selects(self._log, 0, head)
        keys = self._key_of(self._log, rows)
        self._rows = rows[stable_argsort(keys)].astype(np.int32)
        del keys
        self._sample = self._keys(self._rows[::SAMPLE_EVERY])
        self._built_head = head
        self._built = True

    def _merge(self, head: int) -> None:
        new = self._selects(self._log, self._built_head, head)
        new_keys = self._key_of(self._log, new)
        order = stable_argsort(new_keys)
        new, new_keys = new[order], new_keys[order]
        # New rows come after every indexed row, so among equal keys they go last.
        positions = np.searchsorted(self._keys(self._rows), new_keys, side="right")
        self._rows = np.insert(self._rows, positions, new.astype(np.int32))
        self._sample = self._keys(self._rows[::SAMPLE_EVERY])
        self._built_head = head

    def _in_sorted(self, key: int) -> RowArray:
        sample = self._sample
        if not len(sample):
            return np.empty(0, dtype=np.int64)
        # Blocks whose first key is below `key` may end with it; the block after the last `<= key` may too.
        low_block = max(int(np.searchsorted(sample, key, side="left")) - 1, 0)
        high_block = int(np.searchsorted(sample, key, side="right"))
        candidates = self._rows[low_block * SAMPLE_EVERY : high_block * SAMPLE_EVERY].astype(np.int64)
        keys = self._key_of(self._log, candidates)
        start, stop = np.searchsorted(keys, key, side="left"), np.searchsorted(keys, key, side="right")
        return candidates[start:stop]

    def _tail(self) -> RowArray:
        head = self._log.head
        if head <= self._built_head:
            return np.empty(0, dtype=np.int64)
        return self._selects(self._log, self._built_head, head)

    def _keys(self, rows: npt.NDArray[np.int32]) -> Keys:
        return self._key_of(self._log, rows.astype(np.int64))
