"""The log's digest: sha256 over its canonical JSON, kept up to date incrementally as the log grows."""

from __future__ import annotations

import hashlib

from emulator.eventlog.canonical import event_fragments
from emulator.eventlog.log import EventLog
from emulator.eventlog.timestamps import OsloTime
from emulator.settings import TimestampStyle

_CHUNK = 65_536


class LogDigest:
    """`sha256:<hex>` of `[event,event,...]`: every event in wire form, offset timestamps, no spaces.

    Hashing ten million events takes seconds, so the state is kept and only new events are hashed later.
    """

    def __init__(self, log: EventLog, oslo: OsloTime) -> None:
        self._log = log
        self._oslo = oslo
        self._hashed = 0
        self._hasher = hashlib.sha256(b"[")

    def pending(self) -> int:
        """Events not hashed yet: what the next `hexdigest` has to read."""
        head = len(self._log)
        return head if head < self._hashed else head - self._hashed

    def hexdigest(self) -> str:
        head = len(self._log)
        if head < self._hashed:  # the log was reset to an earlier state
            self._hashed, self._hasher = 0, hashlib.sha256(b"[")
        while self._hashed < head:
            stop = min(self._hashed + _CHUNK, head)
            fragments = event_fragments(self._log, slice(self._hashed, stop), self._oslo, TimestampStyle.OFFSET)
            separator = "," if self._hashed else ""
            self._hasher.update((separator + ",".join(fragments)).encode())
            self._hashed = stop
        final = self._hasher.copy()
        final.update(b"]")
        return f"sha256:{final.hexdigest()}"


def log_digest(log: EventLog) -> str:
    return LogDigest(log, OsloTime()).hexdigest()
