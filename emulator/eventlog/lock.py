"""The lock that gives one running emulator a data dir to itself, held for as long as its store is open."""

from __future__ import annotations

import os
import sys
from pathlib import Path

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl

LOCK_NAME = "emulator.lock"


class DataDirInUseError(OSError):
    """Another process holds the data dir: two servers would append the same numbers and reset each other's events."""


class DataDirLock:
    """An exclusive advisory lock on `<data dir>/emulator.lock`; the operating system lets go of it when the
    process ends, however it ends, so a killed server never leaves its data dir locked."""

    def __init__(self, descriptor: int, path: Path) -> None:
        self._descriptor: int | None = descriptor
        self.path = path

    @classmethod
    def acquire(cls, data_dir: Path) -> DataDirLock:
        """Take the lock (creating the dir and the lock file if need be), or raise DataDirInUseError at once."""
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / LOCK_NAME
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(descriptor):
            holder = _read(descriptor)
            os.close(descriptor)
            raise DataDirInUseError(f"{data_dir} is in use by another emulator{holder}; one server per data dir")
        # The holder's process id, for the message a second server gets.
        os.ftruncate(descriptor, 0)
        os.lseek(descriptor, 0, os.SEEK_SET)
        os.write(descriptor, str(os.getpid()).encode())
        return cls(descriptor, path)

    def release(self) -> None:
        """Let go of the lock (closing the file is what releases it). Idempotent."""
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None


def check_available(data_dir: Path) -> None:
    """Raise what acquire() would, without keeping the lock: a dir that cannot be created or written, or is taken."""
    DataDirLock.acquire(data_dir).release()


def _try_lock(descriptor: int) -> bool:
    try:
        if sys.platform == "win32":
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        else:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (BlockingIOError, PermissionError):
        return False
    return True


def _read(descriptor: int) -> str:
    try:
        os.lseek(descriptor, 0, os.SEEK_SET)
        text = os.read(descriptor, 32).decode("ascii", "replace").strip()
    except OSError:  # Windows keeps a locked byte from being read too
        return ""
    return f" (process {text})" if text.isdigit() else ""
