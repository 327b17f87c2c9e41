"""A bounded cache of events' JSON text, in chunks of consecutive rows, so a page is a join of cached strings.

Formatting an event costs about a microsecond (its timestamp above all); a page joins a hundred of them.
Events never change, so a chunk stays right for as long as the rows it holds exist; a reset that cuts the log
back clears the cache, since the rows it forgot may come back with other events.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from emulator.eventlog import EventLog, GroupFilter, OsloTime, Rows, TimestampStyle, event_fragments

CHUNK_ROWS = 1024
MAX_CHUNKS = 256  # about 50 MB of text at most
MAX_PAGES = 1024  # about 20 MB of pages at most

# The request's hendelsesnummer, antallHendelser and filter, and the head it was answered at.
PageKey = tuple[int, int, GroupFilter, int]


class PageAnswer(NamedTuple):
    """A page's body and the numbers of the events it holds (what the consumer view counts as delivered)."""

    body: bytes
    numbers: Sequence[int] | Rows


class FragmentCache:
    def __init__(self, log: EventLog, oslo: OsloTime, style: TimestampStyle, max_chunks: int = MAX_CHUNKS) -> None:
        self._log = log
        self._oslo = oslo
        self._style = style
        self._max_chunks = max_chunks
        self._chunks: OrderedDict[int, list[str]] = OrderedDict()
        self._pages: dict[PageKey, PageAnswer] = {}

    def fragments(self, rows: Rows | slice) -> list[str]:
        """The JSON text of the events in `rows` (all below the head), in order."""
        if isinstance(rows, slice):
            return self._range(rows.start, rows.stop)
        if len(rows) == 0:
            return []
        first, last = int(rows[0]), int(rows[-1])
        if last - first < CHUNK_ROWS * 4:
            # A filtered page spans a few chunks: fetch the covering range once and pick from it.
            covering = self._range(first, last + 1)
            return [covering[offset] for offset in (rows - first).tolist()]
        return [self._chunk(int(row) // CHUNK_ROWS)[int(row) % CHUNK_ROWS] for row in np.asarray(rows)]

    def clear(self) -> None:
        self._chunks.clear()
        self._pages.clear()

    def page(self, key: PageKey) -> PageAnswer | None:
        """A page answered before for the same (first row, size, filter, head): the same bytes again."""
        return self._pages.get(key)

    def keep_page(self, key: PageKey, answer: PageAnswer) -> None:
        # Pages are keyed by the head too, so growth never serves a stale total; old heads age out.
        self._pages[key] = answer
        if len(self._pages) > MAX_PAGES:
            del self._pages[next(iter(self._pages))]

    def _range(self, start: int, stop: int) -> list[str]:
        if start >= stop:
            return []
        first_chunk, last_chunk = start // CHUNK_ROWS, (stop - 1) // CHUNK_ROWS
        if first_chunk == last_chunk:
            base = first_chunk * CHUNK_ROWS
            return self._chunk(first_chunk)[start - base : stop - base]
        texts: list[str] = []
        for index in range(first_chunk, last_chunk + 1):
            base = index * CHUNK_ROWS
            texts.extend(self._chunk(index)[max(start - base, 0) : stop - base])
        return texts

    def _chunk(self, index: int) -> list[str]:
        chunk = self._chunks.get(index)
        start = index * CHUNK_ROWS
        stop = min(start + CHUNK_ROWS, self._log.head)
        if chunk is not None and len(chunk) >= stop - start:
            self._chunks.move_to_end(index)
            return chunk
        chunk = event_fragments(self._log, slice(start, stop), self._oslo, self._style)
        self._chunks[index] = chunk
        self._chunks.move_to_end(index)
        while len(self._chunks) > self._max_chunks:
            self._chunks.popitem(last=False)
        return chunk
