"""Rows of the log sorted by a key (a period's id, a person's number), found by key in O(log N), as numpy only.

The rows sorted by (key, row) are one int32 array; every 64th key is kept beside them, so a look-up is one
binary search in that sample and one in a block of 64. Rows appended later stay in a tail (their keys computed
once, at most 65,536 of them, about 1 MB) that is compared vectorised until it is merged in; a truncation drops
the rows it cut. No Python object per row or key.
The sorted part is replaced as a whole, never changed in place, so readers in other threads see either the old
or the new one; a lock keeps two threads from building or merging at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class _Tail:
    """The tail's rows and their keys, kept so a look-up compares keys instead of computing them each time."""

    rows: RowArray
    keys: Keys
    start: int  # the sorted part's head when this tail began
    stop: int  # the log's head when it was last extended
    cuts_seen: int


@dataclass(frozen=True, slots=True)
class _Sorted:
    rows: npt.NDArray[np.int32]  # sorted by (key, row)
    sample: Keys  # the key of every SAMPLE_EVERY-th of them
    head: int  # rows below it are in `rows`; from it to the log's head they are in the tail
    cuts_seen: int


class KeyedRows:
    """The rows of `log` chosen by `selects`, grouped by `key_of`, kept in step with the log as it changes."""

    def __init__(self, log: EventLog, key_of: KeyOf, selects: Selects) -> None:
        self._log = log
        self._key_of = key_of
        self._selects = selects
        self._sorted: _Sorted | None = None
        self._tail_cache: _Tail | None = None
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        current = self._sorted
        return 0 if current is None else int(current.rows.nbytes + current.sample.nbytes)

    def find(self, key: int) -> RowArray:
        """Every indexed row with this key, ascending."""
        current = self.sync()
        found = self._in_sorted(current, key)
        tail = self._tail(current)
        if len(tail.rows):
            matching = tail.rows[tail.keys == key]
            found = np.concatenate([found, matching]) if len(found) else matching
        return found

    def sync(self) -> _Sorted:
        """Catch up with the log: build on first use, drop what a truncation cut, merge a long tail."""
        current = self._sorted
        log = self._log
        if current is not None and current.cuts_seen == log.cuts_since(0)[0] and log.head - current.head <= TAIL_ROWS:
            return current
        with self._lock:
            current = self._sorted
            cuts, _ = log.cuts_since(0)
            if current is None:
                current = self._build(log.head, cuts)
            else:
                _, lowest = log.cuts_since(current.cuts_seen)
                if lowest is not None and lowest < current.head:
                    kept = current.rows[current.rows < lowest]
                    current = _Sorted(kept, self._keys(kept[::SAMPLE_EVERY]), lowest, cuts)
                else:
                    current = _Sorted(current.rows, current.sample, current.head, cuts)
                if log.head - current.head > TAIL_ROWS:
                    current = self._merge(current, log.head)
            self._sorted = current
            return current

    def _build(self, head: int, cuts: int) -> _Sorted:
        rows = self._selects(self._log, 0, head)
        keys = self._key_of(self._log, rows)
        ordered = rows[stable_argsort(keys)].astype(np.int32)
        del keys, rows
        return _Sorted(ordered, self._keys(ordered[::SAMPLE_EVERY]), head, cuts)

    def _merge(self, current: _Sorted, head: int) -> _Sorted:
        new = self._selects(self._log, current.head, head)
        new_keys = self._key_of(self._log, new)
        order = stable_argsort(new_keys)
        new, new_keys = new[order], new_keys[order]
        merged = np.insert(current.rows, self._positions(current, new_keys), new.astype(np.int32))
        return _Sorted(merged, self._keys(merged[::SAMPLE_EVERY]), head, current.cuts_seen)

    def _positions(self, current: _Sorted, keys: Keys) -> RowArray:
        """Where each key goes among the sorted rows, after those with an equal key (new rows come later).

        Found through the sample and one block of 64 per key, so a merge reads the keys of the new rows' blocks
        only, not of every indexed row.
        """
        rows = current.rows
        if not len(rows) or not len(keys):
            return np.zeros(len(keys), dtype=np.int64)
        # The block whose first key is the last one <= key holds every indexed row <= key that is not before it.
        start = np.maximum(current.sample.searchsorted(keys, side="right") - 1, 0) * SAMPLE_EVERY
        block = start[:, None] + np.arange(SAMPLE_EVERY)
        inside = block < len(rows)
        block_keys = self._keys(rows[np.minimum(block, len(rows) - 1)].ravel()).reshape(block.shape)
        positions: RowArray = start + np.count_nonzero((block_keys <= keys[:, None]) & inside, axis=1)
        return positions

    def _in_sorted(self, current: _Sorted, key: int) -> RowArray:
        sample = current.sample
        if not len(sample):
            return np.empty(0, dtype=np.int64)
        # Blocks whose first key is below `key` may end with it; the block after the last `<= key` may too.
        low_block = max(int(np.searchsorted(sample, key, side="left")) - 1, 0)
        high_block = int(np.searchsorted(sample, key, side="right"))
        candidates = current.rows[low_block * SAMPLE_EVERY : high_block * SAMPLE_EVERY].astype(np.int64)
        keys = self._key_of(self._log, candidates)
        start, stop = np.searchsorted(keys, key, side="left"), np.searchsorted(keys, key, side="right")
        return candidates[start:stop]

    def _tail(self, current: _Sorted) -> _Tail:
        """The rows after the sorted part, with their keys: extended by what the log has gained since last time."""
        head = self._log.head
        cached = self._tail_cache
        stale = cached is None or (cached.start, cached.cuts_seen) != (current.head, current.cuts_seen)
        if cached is None or stale or cached.stop > head:
            cached = _Tail(np.empty(0, np.int64), np.empty(0, np.int64), current.head, current.head, current.cuts_seen)
        if head > cached.stop:
            rows = self._selects(self._log, cached.stop, head)
            cached = _Tail(
                np.concatenate([cached.rows, rows]),
                np.concatenate([cached.keys, self._key_of(self._log, rows)]),
                cached.start,
                head,
                cached.cuts_seen,
            )
        self._tail_cache = cached
        return cached

    def _keys(self, rows: npt.NDArray[np.int32]) -> Keys:
        return self._key_of(self._log, rows.astype(np.int64))
