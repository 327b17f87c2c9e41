"""The SQLite store: round trips, refusals, truncation, the clock, reopening, and a SIGKILL mid-stream."""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.eventlog.events import EVENT_TYPES, GROUPS, NewEvent
from emulator.eventlog.lock import DataDirInUseError
from emulator.eventlog.store import DATABASE_NAME, Store, StoredClock, StoreMismatchError

_IDENTITY = "seed=7;events=100;recipe=abc"
_REPO = Path(__file__).resolve().parents[2]


def _event(number: int) -> NewEvent:
    """A deterministic event per number, so a reader can tell what a writer stored."""
    return NewEvent(
        period_id=10_000 + number,
        personident=f"{number:011d}",
        group=GROUPS[number % len(GROUPS)],
        type=EVENT_TYPES[number % len(EVENT_TYPES)],
        created_ms=1_700_000_000_000 + number,
    )


def _events(first: int, last: int) -> list[NewEvent]:
    return [_event(number) for number in range(first, last + 1)]


def _numbered(first: int, last: int) -> list[tuple[int, NewEvent]]:
    return [(number, _event(number)) for number in range(first, last + 1)]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path, log_identity=_IDENTITY) as opened:
        yield opened


def test_a_new_store_is_empty_and_creates_its_directory(tmp_path: Path) -> None:
    data_dir = tmp_path / "nested" / "data"
    with Store.open(data_dir, log_identity=_IDENTITY) as store:
        assert store.events() == []
        assert store.load_clock() is None
    assert (data_dir / DATABASE_NAME).is_file()


def test_the_file_is_in_wal_mode(store: Store, tmp_path: Path) -> None:
    # journal_mode=WAL is persistent in the file, so any connection sees it.
    connection = sqlite3.connect(tmp_path / DATABASE_NAME)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        connection.close()


def test_appended_events_come_back_in_number_order(store: Store) -> None:
    store.append(101, _events(101, 103))
    store.append(104, _events(104, 110))
    assert store.events() == _numbered(101, 110)


def test_every_group_and_type_round_trips(store: Store) -> None:
    events = [
        NewEvent(period_id=1, personident="12345678901", group=group, type=kind, created_ms=-5)
        for group in GROUPS
        for kind in EVENT_TYPES
    ]
    store.append(1, events)
    assert [event for _, event in store.events()] == events


def test_an_empty_append_stores_nothing(store: Store) -> None:
    store.append(5, [])
    assert store.events() == []
    store.append(1, _events(1, 2))
    store.append(99, [])
    assert store.events() == _numbered(1, 2)


@pytest.mark.parametrize(
    ("first_number", "message"),
    [(14, "next append starts at 13"), (12, "not 12"), (1, "not 1"), (11, "not 11")],
    ids=["gap", "overwrite-last", "overwrite-first", "overwrite-middle"],
)
def test_numbers_must_continue_the_stored_ones(store: Store, first_number: int, message: str) -> None:
    store.append(10, _events(10, 12))
    with pytest.raises(ValueError, match=message):
        store.append(first_number, _events(first_number, first_number + 1))
    # The refused batch left nothing behind and the store still takes the right continuation.
    assert store.events() == _numbered(10, 12)
    store.append(13, _events(13, 13))
    assert store.events() == _numbered(10, 13)


def test_the_first_number_is_at_least_one(store: Store) -> None:
    with pytest.raises(ValueError, match="start at 1"):
        store.append(0, _events(0, 1))
    assert store.events() == []


def test_a_batch_that_fails_halfway_leaves_nothing_behind(store: Store) -> None:
    # SQLite refuses the second event (an integer beyond 64 bits) after the first is inserted.
    store.append(1, _events(1, 2))
    too_big = NewEvent(period_id=2**63, personident="12345678901", group=GROUPS[0], type=EVENT_TYPES[0], created_ms=0)
    with pytest.raises(OverflowError):
        store.append(3, [_event(3), too_big])
    assert store.events() == _numbered(1, 2)
    store.append(3, _events(3, 4))
    assert store.events() == _numbered(1, 4)


def test_truncate_after_keeps_the_events_up_to_the_number(store: Store) -> None:
    store.append(101, _events(101, 120))
    store.truncate_after(110)
    assert store.events() == _numbered(101, 110)
    with pytest.raises(ValueError, match="next append starts at 111"):
        store.append(121, _events(121, 121))
    store.append(111, _events(111, 112))
    assert store.events() == _numbered(101, 112)


def test_truncate_back_to_the_seeded_state_deletes_every_appended_event(store: Store) -> None:
    store.append(101, _events(101, 120))
    store.truncate_after(100)
    assert store.events() == []
    store.append(101, _events(101, 102))
    assert store.events() == _numbered(101, 102)


def test_truncate_after_the_last_number_changes_nothing(store: Store) -> None:
    store.append(1, _events(1, 3))
    store.truncate_after(3)
    store.truncate_after(1_000)
    assert store.events() == _numbered(1, 3)


def test_truncate_after_a_negative_number_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="negative"):
        store.truncate_after(-1)


@pytest.mark.parametrize(
    "clock",
    [
        StoredClock(offset_ms=0, frozen_at_ms=None),
        StoredClock(offset_ms=-86_400_000, frozen_at_ms=None),
        StoredClock(offset_ms=5, frozen_at_ms=1_700_000_000_123),
    ],
    ids=["system", "offset", "frozen"],
)
def test_the_clock_round_trips(store: Store, clock: StoredClock) -> None:
    store.save_clock(clock)
    assert store.load_clock() == clock


def test_a_saved_clock_replaces_the_previous_one(store: Store) -> None:
    store.save_clock(StoredClock(offset_ms=1, frozen_at_ms=2))
    store.save_clock(StoredClock(offset_ms=3, frozen_at_ms=None))
    assert store.load_clock() == StoredClock(offset_ms=3, frozen_at_ms=None)


def test_reopening_after_close_sees_everything(tmp_path: Path) -> None:
    with Store.open(tmp_path, log_identity=_IDENTITY) as store:
        store.append(51, _events(51, 60))
        store.truncate_after(57)
        store.append(58, _events(58, 59))
        store.save_clock(StoredClock(offset_ms=42, frozen_at_ms=1_700_000_000_000))
    with Store.open(tmp_path, log_identity=_IDENTITY) as store:
        assert store.events() == _numbered(51, 59)
        assert store.load_clock() == StoredClock(offset_ms=42, frozen_at_ms=1_700_000_000_000)
        store.append(60, _events(60, 60))
    with Store.open(tmp_path, log_identity=_IDENTITY) as store:
        assert store.events() == _numbered(51, 60)


def test_a_data_dir_of_another_seeded_log_is_refused(tmp_path: Path) -> None:
    with Store.open(tmp_path, log_identity=_IDENTITY) as store:
        store.append(101, _events(101, 105))
    other = "seed=8;events=100;recipe=abc"
    with pytest.raises(StoreMismatchError) as caught:
        Store.open(tmp_path, log_identity=other)
    message = str(caught.value)
    assert _IDENTITY in message
    assert other in message
    assert "--data-dir" in message
    assert str(tmp_path / DATABASE_NAME) in message
    # Refusing touched nothing: the rightful log still finds its events.
    with Store.open(tmp_path, log_identity=_IDENTITY) as store:
        assert store.events() == _numbered(101, 105)


def test_the_store_can_be_used_from_another_thread(store: Store) -> None:
    # The server opens the store on one thread and may call it from the event loop's thread.
    errors: list[BaseException] = []

    def work() -> None:
        try:
            store.append(1, _events(1, 3))
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert errors == []
    assert store.events() == _numbered(1, 3)


_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    from emulator.eventlog.events import EVENT_TYPES, GROUPS, NewEvent
    from emulator.eventlog.store import Store

    def event(number):
        return NewEvent(
            period_id=10_000 + number,
            personident=f"{number:011d}",
            group=GROUPS[number % len(GROUPS)],
            type=EVENT_TYPES[number % len(EVENT_TYPES)],
            created_ms=1_700_000_000_000 + number,
        )

    store = Store.open(Path(sys.argv[1]), log_identity=sys.argv[2])
    number = int(sys.argv[3])
    # Bounded, so a child whose parent vanished stops by itself (a closed stdout stops it sooner).
    for batch in range(200_000):
        size = batch % 3 + 1
        store.append(number, [event(number + index) for index in range(size)])
        number += size
        print(f"acked {number - 1}", flush=True)
    """
)

_CRASH_FIRST = 1_001
_ACKS_BEFORE_KILL = 50


def _batch_ends(first: int, last: int) -> set[int]:
    """The last number of each batch the child writes (sizes 1, 2, 3, 1, 2, 3, ...) up to `last`."""
    ends: set[int] = set()
    number, batch = first, 0
    while number <= last:
        number += batch % 3 + 1
        batch += 1
        ends.add(number - 1)
    return ends


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_acknowledged_appends_survive_a_sigkill(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    stderr_path = tmp_path / "child.stderr"
    lines: queue.Queue[str | None] = queue.Queue()
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(data_dir), _IDENTITY, str(_CRASH_FIRST)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            cwd=_REPO,
        )
    assert process.stdout is not None
    stdout = process.stdout

    def pump() -> None:
        for line in stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    acked: list[int] = []
    try:
        while len(acked) < _ACKS_BEFORE_KILL:
            line = lines.get(timeout=60)
            if line is None:
                pytest.fail(f"the child stopped after {len(acked)} acks:\n{stderr_path.read_text()}")
            acked.append(int(line.removeprefix("acked ")))
    finally:
        # SIGKILL while the child is still appending: no atexit, no close, maybe mid-transaction.
        process.kill()
        process.wait(timeout=60)
    reader.join(timeout=60)
    stdout.close()
    assert process.returncode == -signal.SIGKILL

    # Every line the child printed is an acknowledged append, including those not yet read at the kill.
    while (line := lines.get_nowait()) is not None:
        acked.append(int(line.removeprefix("acked ")))

    with Store.open(data_dir, log_identity=_IDENTITY) as store:
        stored = store.events()
    numbers = [number for number, _ in stored]
    last = numbers[-1]
    assert numbers == list(range(_CRASH_FIRST, last + 1)), "the stored numbers have a gap"
    assert last >= max(acked), f"acknowledged up to {max(acked)}, stored only up to {last}"
    # The append in flight at the kill may be stored too, but only whole.
    assert last in _batch_ends(_CRASH_FIRST, last), "a batch was stored in part"
    assert stored == _numbered(_CRASH_FIRST, last)


def test_a_data_dir_is_held_by_one_open_store_at_a_time(tmp_path: Path) -> None:
    with Store.open(tmp_path, log_identity=_IDENTITY) as first:
        first.append(1, _events(1, 3))
        for attempt in (
            lambda: Store.open(tmp_path, log_identity=_IDENTITY),
            lambda: Store.check_available(tmp_path),
        ):
            with pytest.raises(DataDirInUseError, match=rf"is in use by another emulator \(process {os.getpid()}\)"):
                attempt()
        # Refusing the second touched nothing of the first's.
        first.append(4, _events(4, 4))
        assert first.events() == _numbered(1, 4)
    Store.check_available(tmp_path)
    with Store.open(tmp_path, log_identity=_IDENTITY) as again:
        assert again.events() == _numbered(1, 4)


def test_a_refused_open_lets_go_of_the_data_dir(tmp_path: Path) -> None:
    with Store.open(tmp_path, log_identity=_IDENTITY):
        pass
    with pytest.raises(StoreMismatchError):
        Store.open(tmp_path, log_identity="seed=8;events=100;recipe=abc")
    Store.check_available(tmp_path)


def test_a_data_dir_held_by_another_process_is_refused(tmp_path: Path) -> None:
    holder = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from emulator.eventlog.store import Store

        with Store.open(Path(sys.argv[1]), log_identity=sys.argv[2]):
            print("held", flush=True)
            sys.stdin.read()
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", holder, str(tmp_path), _IDENTITY],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=_REPO,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        assert process.stdout.readline() == "held\n"
        with pytest.raises(DataDirInUseError, match=rf"\(process {process.pid}\); one server per data dir"):
            Store.open(tmp_path, log_identity=_IDENTITY)
    finally:
        process.stdin.close()
        process.wait(timeout=60)
        process.stdout.close()
    # The holder has ended, and with it the lock.
    Store.check_available(tmp_path)
