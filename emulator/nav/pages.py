"""NAV's feed backend as one object: the page for a query, answered from cached text when it was answered before."""

from __future__ import annotations

from emulator.eventlog import EventLog, OsloTime, Rows, TimestampStyle
from emulator.nav.feed import FeedQuery, select_page
from emulator.nav.fragments import FragmentCache, PageAnswer
from emulator.nav.wire import page_body


class Pages:
    def __init__(self, log: EventLog, oslo: OsloTime, style: TimestampStyle) -> None:
        self._log = log
        self._fragments = FragmentCache(log, oslo, style)
        self._forgotten = 0

    def state(self) -> tuple[int, int]:
        """Changes whenever the page for some query could: the log changed, or the cached text was forgotten."""
        return self._log.changes, self._forgotten

    def read(self, query: FeedQuery) -> PageAnswer:
        key = (query.from_number, query.size, query.group_filter, self._log.head)
        cached = self._fragments.page(key)
        if cached is None:
            page = select_page(self._log, query)
            rows = page.rows
            # Plain Python numbers: the consumer view reads the count and the last one on every answer.
            numbers = range(rows.start + 1, rows.stop + 1) if isinstance(rows, slice) else (rows + 1).tolist()
            cached = PageAnswer(page_body(self._fragments.fragments(rows), page.total), numbers)
            self._fragments.keep_page(key, cached)
        return cached

    def event_texts(self, rows: Rows | slice) -> list[str]:
        """The JSON text of the events in `rows`, as a page shows them."""
        return self._fragments.fragments(rows)

    def forget(self) -> None:
        """After the log was cut back: rows it forgot may come back holding other events."""
        self._fragments.clear()
        self._forgotten += 1
