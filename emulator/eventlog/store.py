"""Optional SQLite persistence of appended events (with any MEDL fields) and the clock's state, for `--data-dir`."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import orjson

from emulator.eventlog.events import EventType, Group, NewEvent
from emulator.eventlog.lock import DataDirLock, check_available

DATABASE_NAME = "emulator.sqlite3"
_SCHEMA_VERSION = 1
# Dict lookups instead of Group(value)/EventType(value): replay converts every stored row at start.
_GROUP_BY_VALUE = {group.value: group for group in Group}
_TYPE_BY_VALUE = {kind.value: kind for kind in EventType}

# Statement by statement, not executescript(): that would commit the transaction the schema is created in.
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT",
    # number is the rowid itself, so number order is the table's storage order.
    "CREATE TABLE IF NOT EXISTS events ("
    " number INTEGER PRIMARY KEY, period_id INTEGER NOT NULL, personident TEXT NOT NULL,"
    " grp TEXT NOT NULL, type TEXT NOT NULL, created_ms INTEGER NOT NULL) STRICT",
    # MEDL fields given with an appended event (`medlemskapsunntak`), as JSON; only events that carry them.
    # Added beside the events table, so data dirs written before it existed open as they are.
    "CREATE TABLE IF NOT EXISTS medl_fields (number INTEGER PRIMARY KEY, fields TEXT NOT NULL) STRICT",
    "CREATE TABLE IF NOT EXISTS clock ("
    " id INTEGER PRIMARY KEY CHECK (id = 1), offset_ms INTEGER NOT NULL, frozen_at_ms INTEGER) STRICT",
)


@dataclass(frozen=True, slots=True)
class StoredClock:
    """The controlled clock's state: an offset from the system clock, or the instant it is frozen at."""

    offset_ms: int
    frozen_at_ms: int | None


class StoreMismatchError(Exception):
    """The data dir holds events appended to another seeded log, so replaying them would be wrong."""


class Store:
    """Appended events and the clock in one SQLite file; every write is committed before it returns."""

    def __init__(self, connection: sqlite3.Connection, path: Path, dir_lock: DataDirLock) -> None:
        self._connection = connection
        self._lock = threading.Lock()
        self._dir_lock = dir_lock
        self.path = path

    @classmethod
    def open(cls, data_dir: Path, *, log_identity: str) -> Store:
        """Open (creating if need be) the store in `data_dir` for the seeded log named by `log_identity`.

        The data dir is this store's alone until it is closed: another open, in this process or another, raises
        DataDirInUseError (an OSError) instead of appending the same numbers or resetting the other's events.
        """
        dir_lock = DataDirLock.acquire(data_dir)
        path = data_dir / DATABASE_NAME
        try:
            # isolation_level=None: the sqlite3 module opens no transactions of its own, so each BEGIN and
            # COMMIT below is exactly where the durability boundary is.
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except BaseException:
            dir_lock.release()
            raise
        try:
            # WAL: a commit is one append (and fsync) of the log file instead of rewriting pages twice.
            # synchronous=FULL: the WAL is fsynced at every commit, so an acknowledged append survives a
            # power loss too, not only a crash of the process.
            mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode != "wal":
                raise OSError(f"{path}: SQLite could not switch to WAL (journal_mode is {mode})")
            connection.execute("PRAGMA synchronous=FULL")
            # Another connection holding the write lock (a sqlite3 shell, a backup) is waited for, then fails; a
            # second emulator never gets that far (the data dir lock).
            connection.execute("PRAGMA busy_timeout=5000")
            _initialise(connection, path, log_identity)
        except BaseException:
            connection.close()
            dir_lock.release()
            raise
        return cls(connection, path, dir_lock)

    @staticmethod
    def check_available(data_dir: Path) -> None:
        """Raise the OSError open() would for a data dir that cannot be created or written, or is in use."""
        check_available(data_dir)

    def append(self, first_number: int, events: Sequence[NewEvent]) -> None:
        """Store events numbered from `first_number` in one transaction, which continues the stored ones."""
        if not events:
            return
        rows = [
            (
                first_number + index,
                event.period_id,
                event.personident,
                event.group.value,
                event.type.value,
                event.created_ms,
            )
            for index, event in enumerate(events)
        ]
        medl = [
            (first_number + index, orjson.dumps(dict(event.medl)).decode())
            for index, event in enumerate(events)
            if event.medl is not None
        ]
        with self._lock, _transaction(self._connection) as connection:
            # Checked inside the write transaction, so no other writer can slip in between.
            last = connection.execute("SELECT max(number) FROM events").fetchone()[0]
            if last is not None and first_number != last + 1:
                raise ValueError(
                    f"the stored events end at {last}; the next append starts at {last + 1}, not {first_number}"
                )
            if last is None and first_number < 1:
                raise ValueError(f"event numbers start at 1, not {first_number}")
            connection.executemany(
                "INSERT INTO events (number, period_id, personident, grp, type, created_ms) VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            connection.executemany("INSERT INTO medl_fields (number, fields) VALUES (?, ?)", medl)

    def events(self) -> list[tuple[int, NewEvent]]:
        """Every stored event with its number, in number order, for replay onto the seeded log."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT number, period_id, personident, grp, type, created_ms FROM events ORDER BY number"
            ).fetchall()
            medl = dict(self._connection.execute("SELECT number, fields FROM medl_fields").fetchall())
        return [
            (
                number,
                NewEvent(
                    period_id=period_id,
                    personident=personident,
                    group=_GROUP_BY_VALUE[group],
                    type=_TYPE_BY_VALUE[kind],
                    created_ms=created_ms,
                    medl=orjson.loads(medl[number]) if number in medl else None,
                ),
            )
            for number, period_id, personident, group, kind, created_ms in rows
        ]

    def truncate_after(self, number: int) -> None:
        """Delete every event numbered above `number` (a reset back to an earlier state)."""
        if number < 0:
            raise ValueError(f"cannot truncate after a negative number ({number})")
        with self._lock, _transaction(self._connection) as connection:
            connection.execute("DELETE FROM events WHERE number > ?", (number,))
            connection.execute("DELETE FROM medl_fields WHERE number > ?", (number,))

    def save_clock(self, clock: StoredClock) -> None:
        with self._lock, _transaction(self._connection) as connection:
            connection.execute(
                "INSERT INTO clock (id, offset_ms, frozen_at_ms) VALUES (1, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET offset_ms = excluded.offset_ms,"
                " frozen_at_ms = excluded.frozen_at_ms",
                (clock.offset_ms, clock.frozen_at_ms),
            )

    def load_clock(self) -> StoredClock | None:
        with self._lock:
            row = self._connection.execute("SELECT offset_ms, frozen_at_ms FROM clock WHERE id = 1").fetchone()
        return None if row is None else StoredClock(offset_ms=row[0], frozen_at_ms=row[1])

    def close(self) -> None:
        with self._lock:
            self._connection.close()
            self._dir_lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


@contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: committed (and, with synchronous=FULL, fsynced) when the block ends."""
    # IMMEDIATE takes the write lock up front, so a check made inside still holds at COMMIT.
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
        connection.execute("COMMIT")
    except BaseException:
        # A failed COMMIT (disk full, I/O error) can leave the transaction open; the next one must not
        # start inside it.
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


def _initialise(connection: sqlite3.Connection, path: Path, log_identity: str) -> None:
    """Create the schema on first open and check that the file belongs to this seeded log."""
    with _transaction(connection):
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, _SCHEMA_VERSION):
            raise StoreMismatchError(
                f"{path} has schema version {version}, this emulator knows {_SCHEMA_VERSION}; "
                f"use another --data-dir, or delete {path} to start over"
            )
        for statement in _SCHEMA:
            connection.execute(statement)
        connection.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
        row = connection.execute("SELECT value FROM meta WHERE key = 'log_identity'").fetchone()
        if row is None:
            connection.execute("INSERT INTO meta (key, value) VALUES ('log_identity', ?)", (log_identity,))
        elif row[0] != log_identity:
            raise StoreMismatchError(
                f"{path} holds events appended to the seeded log {row[0]!r}, but this emulator serves "
                f"{log_identity!r}; use another --data-dir, or delete {path} to start over"
            )
