"""The request journal: the newest requests in a fixed-size ring, with a count of what fell out of it."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import NamedTuple
from urllib.parse import parse_qsl, urlencode

# A query string is kept up to this many characters, so that an entry's memory is bounded as the ring's is.
MAX_QUERY_CHARS = 2048
# Nav-Call-Id and Nav-Consumer-Id are kept up to this many characters.
MAX_ID_CHARS = 200

# What the ring holds per request: JournalEntry's fields in order, as a plain tuple, because building a frozen
# dataclass costs more than the rest of recording; entries are made from them only when someone reads. The
# latency is kept in seconds as measured: rounding a float to milliseconds costs more than keeping it.
_Row = tuple[int, int, str, str, str, int, float, str | None, str | None, str | None, str | None]


class Columns(NamedTuple):
    """Answered requests as `record_columns` takes them: one sequence per argument of `record`, in step."""

    at_ms: Sequence[int]
    method: Sequence[str]
    path: Sequence[str]
    query: Sequence[str]
    status: Sequence[int]
    seconds: Sequence[float]
    consumer: Sequence[str | None]
    fault: Sequence[str | None]
    call_id: Sequence[str | None]
    consumer_id: Sequence[str | None]


_REDACTED = "***"
# What a consumer may put in a query string by mistake or by habit: the key (API Management takes it there), a
# bearer token (RFC 6750 §2.3), and on the token endpoint an assertion or a client secret.
_SECRET_PARAMETERS = frozenset(
    {"subscription-key", "access_token", "assertion", "client_assertion", "client_secret", "refresh_token"}
)


def _may_hold_secret(text: str) -> bool:
    """A cheap first look, since most queries name none of them; `%` too, as a name may come percent-encoded."""
    return "subscription-key" in text or "token" in text or "assertion" in text or "secret" in text or "%" in text


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One answered request, as a tester sees it; nothing in it is a secret."""

    # 1, 2, 3 ... over the journal's life, not reset by eviction, so a reader can page with `after`
    # and notice from a gap that entries were dropped before it read them.
    sequence: int
    at_ms: int
    method: str
    path: str
    # Redacted by the caller (no keys or tokens); stored as given.
    query: str
    status: int
    latency_ms: float
    # "client:<id>" or "key:<n>": who asked, never the credential itself.
    consumer: str | None
    # The id of an injected fault that shaped this answer, if any.
    fault: str | None
    # NAV's correlation headers as the caller sent them (MEDL's consumers send both): Nav-Call-Id, Nav-Consumer-Id.
    call_id: str | None = None
    consumer_id: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class Journal:
    """The newest `capacity` requests, oldest first.

    Memory is bounded by the capacity; what is dropped at the bound is counted in `evicted`, so the
    loss is visible (a journal that silently evicts is as bad as one that grows without bound).
    """

    def __init__(self, capacity: int) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"the journal's capacity must be an integer >= 1, not {capacity!r}")
        self._entries: deque[_Row] = deque(maxlen=capacity)
        self._evicted = 0
        self._last_sequence = 0
        # Sync routes run in a thread pool: a read iterating the deque while another thread appends
        # would raise "deque mutated during iteration", and two records could share a sequence.
        self._lock = threading.Lock()

    @property
    def capacity(self) -> int:
        maxlen = self._entries.maxlen
        assert maxlen is not None
        return maxlen

    @property
    def evicted(self) -> int:
        """Entries dropped at the bound since the journal was made or last cleared."""
        return self._evicted

    def __len__(self) -> int:
        return len(self._entries)

    def record(  # noqa: PLR0917 - positional, in the order of `Columns`
        self,
        at_ms: int,
        method: str,
        path: str,
        query: str,
        status: int,
        seconds: float,
        consumer: str | None,
        fault: str | None = None,
        call_id: str | None = None,
        consumer_id: str | None = None,
    ) -> int:
        """Keep one answered request; returns its sequence number."""
        return self.record_columns(
            Columns((at_ms,), (method,), (path,), (query,), (status,), (seconds,), (consumer,), (fault,), (call_id,),
                    (consumer_id,))
        )  # fmt: skip

    def record_columns(self, columns: Columns) -> int:
        """Keep answered requests, given as columns, in their order; returns the last one's sequence number.

        Columns, because a batch then goes into the ring without a step per request in Python.
        """
        count = len(columns.at_ms)
        queries = columns.query
        if max(map(len, queries), default=0) > MAX_QUERY_CHARS:
            queries = tuple(map(_bounded_query, queries))
        # Correlation ids are short; a caller's long header must not make an entry as large as a request head.
        call_ids, consumer_ids = (
            ids if max(map(len, filter(None, ids)), default=0) <= MAX_ID_CHARS else tuple(map(_bounded_id, ids))
            for ids in (columns.call_id, columns.consumer_id)
        )
        with self._lock:
            first = self._last_sequence + 1
            self._evicted += max(len(self._entries) + count - self.capacity, 0)
            self._entries.extend(
                zip(
                    range(first, first + count), columns.at_ms, columns.method, columns.path, queries, columns.status,
                    columns.seconds, columns.consumer, columns.fault, call_ids, consumer_ids, strict=True,
                )
            )  # fmt: skip
            self._last_sequence += count
            return self._last_sequence

    def entries(
        self,
        *,
        consumer: str | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        after: int | None = None,
        limit: int = 100,
        newest_first: bool = False,
    ) -> list[JournalEntry]:
        """Up to `limit` entries with sequence > `after` and since_ms <= at_ms < until_ms.

        Oldest first, the first `limit` that match; or, `newest_first`, the last `limit` that match, newest
        first ("the last 20 requests"). The time window is half-open so that consecutive windows neither
        overlap nor leave gaps. To page forward, pass the last sequence returned as the next `after`.
        """
        if limit < 0:
            raise ValueError(f"limit must be >= 0, not {limit}")
        with self._lock:
            start = 0
            if after is not None and self._entries:
                # Sequences in the ring are consecutive, so `after` maps to a position without a scan.
                start = min(max(after - self._entries[0][0] + 1, 0), len(self._entries))
            selected: list[JournalEntry] = []
            if limit == 0:
                return selected
            rows = itertools.islice(self._entries, start, None)
            if newest_first:
                # Walking from the newest end: the window's count of the deque's tail, read backwards.
                rows = itertools.islice(reversed(self._entries), 0, len(self._entries) - start)
            for row in rows:
                # The clock can be set back, so at_ms is not ordered and the window needs a full pass.
                if consumer is not None and row[7] != consumer:
                    continue
                if since_ms is not None and row[1] < since_ms:
                    continue
                if until_ms is not None and row[1] >= until_ms:
                    continue
                selected.append(_entry(row))
                if len(selected) == limit:
                    break
            return selected

    def clear(self) -> None:
        """Forget everything, the eviction count and the sequence too: a fresh journal for the next test."""
        with self._lock:
            self._entries.clear()
            self._evicted = 0
            self._last_sequence = 0


def _bounded_query(query: str) -> str:
    if len(query) <= MAX_QUERY_CHARS:
        return query
    return f"{query[:MAX_QUERY_CHARS]}… ({len(query) - MAX_QUERY_CHARS} more characters)"


def _bounded_id(text: str | None) -> str | None:
    return text if text is None or len(text) <= MAX_ID_CHARS else text[:MAX_ID_CHARS]


def _entry(row: _Row) -> JournalEntry:
    sequence, at_ms, method, path, query, status, seconds, consumer, fault, call_id, consumer_id = row
    latency_ms = round(seconds * 1000, 3)
    return JournalEntry(sequence, at_ms, method, path, query, status, latency_ms, consumer, fault, call_id, consumer_id)


def redacted_query(text: str) -> str:
    """The query string with any key, token, assertion or secret masked, so the journal never holds one."""
    if not _may_hold_secret(text):
        return text
    pairs = parse_qsl(text, keep_blank_values=True)
    if not any(name in _SECRET_PARAMETERS for name, _ in pairs):
        return text
    return urlencode([(name, _REDACTED if name in _SECRET_PARAMETERS else value) for name, value in pairs])
