"""The synthetic register's history, as NAV's feed tells it: one event per change to a membership period.

It stands for the register behind the feed: the vocabulary (event types, hjemmelgruppe), the columnar log,
synthetic identities (Tenor numbers), the seeded generator, timestamps in Oslo time, fixtures, appends checked
against each period's lifecycle, live growth, the digest and persistence. `History` is its face to the rest.
"""

from emulator.eventlog.appends import AppendRejectedError, EventDraft
from emulator.eventlog.cache import CacheError, LogCache
from emulator.eventlog.canonical import event_fragments
from emulator.eventlog.digest import LogDigest
from emulator.eventlog.events import EVENT_TYPES, GROUPS, EventType, Group, GroupFilter, NewEvent
from emulator.eventlog.fixture import FixtureError, SeededLog, check_fixture, load_seeded_log, write_fixture
from emulator.eventlog.history import History
from emulator.eventlog.identities import InvalidIdentityError, validate_synthetic
from emulator.eventlog.keyed_rows import KeyedRows, Keys, RowArray
from emulator.eventlog.live import LiveSpec, Pattern
from emulator.eventlog.log import EventLog, Rows
from emulator.eventlog.ordering import stable_argsort
from emulator.eventlog.periods import PeriodIndex
from emulator.eventlog.progress import LOGGER_NAME as BUILD_LOGGER
from emulator.eventlog.store import Store, StoreMismatchError
from emulator.eventlog.timestamps import InstantOutOfRangeError, OsloTime, check_instant, parse_instant
from emulator.settings import TimestampStyle

__all__ = [
    "BUILD_LOGGER",
    "EVENT_TYPES",
    "GROUPS",
    "AppendRejectedError",
    "CacheError",
    "EventDraft",
    "EventLog",
    "EventType",
    "FixtureError",
    "Group",
    "GroupFilter",
    "History",
    "InstantOutOfRangeError",
    "InvalidIdentityError",
    "KeyedRows",
    "Keys",
    "LiveSpec",
    "LogCache",
    "LogDigest",
    "NewEvent",
    "OsloTime",
    "Pattern",
    "PeriodIndex",
    "RowArray",
    "Rows",
    "SeededLog",
    "Store",
    "StoreMismatchError",
    "TimestampStyle",
    "check_fixture",
    "check_instant",
    "event_fragments",
    "load_seeded_log",
    "parse_instant",
    "stable_argsort",
    "validate_synthetic",
    "write_fixture",
]
