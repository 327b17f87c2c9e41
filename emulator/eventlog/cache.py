"""A cache of generated logs: each column a plain .npy file, keyed by recipe and generator version, mapped on use.

    <cache dir>/log-<key>/manifest.json      format, versions, recipe, and per column: dtype, rows, checksum
    <cache dir>/log-<key>/<column>.npy       a standard .npy array, followed by room for appended rows

A start that finds its recipe's entry maps the columns copy-on-write: the pages are the page cache's, shared
by every process on the host that maps them, until a process appends, which writes into pages of its own
in the room after the rows (a hole in the file: it takes no disk). An entry is written in a directory of its
own and renamed into place, so a reader sees a whole entry or none; one that is truncated, damaged or from
another version fails its size, header or checksum check and is built again, never served.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from emulator.eventlog.columns import Column
from emulator.eventlog.events import GROUPS
from emulator.eventlog.generator import GENERATOR_VERSION, Recipe
from emulator.eventlog.log import COLUMN_NAMES, EventLog

FORMAT = "trygdehendelser-emulator/log-cache"
FORMAT_VERSION = 1
# Rows of room after each column for appends made in place (about 50 MB of holes per entry, no disk).
HEADROOM = 1 << 20
_MANIFEST = "manifest.json"
_CHECKSUM_WORDS = 1 << 16
_READ_BYTES = 16 * 8 * _CHECKSUM_WORDS  # 8 MB a thread, a whole number of checksum blocks

try:  # POSIX; elsewhere concurrent first starts each build, and the first rename wins.
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


class CacheError(Exception):
    """The cache directory cannot be used; the message says why."""


class LogCache:
    """Generated logs under one directory; safe to share between processes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def open(cls, directory: Path) -> LogCache:
        """The cache in `directory`, created if need be; a CacheError says why it cannot be used."""
        try:
            directory.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=directory):
                pass
        except OSError as error:
            raise CacheError(f"cannot use {directory}: {error.strerror or error}") from None
        return cls(directory)

    def entry(self, recipe: Recipe) -> Path:
        return self.directory / f"log-{recipe_key(recipe)}"

    def load_or_build(self, recipe: Recipe, build: Callable[[], EventLog]) -> tuple[EventLog, bool]:
        """The recipe's log from the cache, else built and stored; True when it came from the cache."""
        entry = self.entry(recipe)
        log = load(entry, recipe)
        if log is not None:
            return log, True
        # One process builds while the others starting the same recipe wait for its entry.
        with _locked(self.directory / f".{entry.name}.lock"):
            log = load(entry, recipe)
            if log is not None:
                return log, True
            for stale in self.directory.glob(f".{entry.name}.*"):  # left by a build that was killed
                if stale.is_dir():
                    shutil.rmtree(stale, ignore_errors=True)
            built = build()
            try:
                store(entry, recipe, built)
            except OSError as error:
                raise CacheError(f"cannot write {entry}: {error.strerror or error}") from error
            # The built copy goes before the stored one is mapped: this process too shares the page cache,
            # and its memory never holds both.
            del built
            mapped = load(entry, recipe)
        if mapped is None:
            raise CacheError(f"{entry} cannot be read back after it was written")
        return mapped, False


def recipe_key(recipe: Recipe) -> str:
    described = {"format": FORMAT, "version": FORMAT_VERSION, "generator": GENERATOR_VERSION}
    described["recipe"] = _recipe_fields(recipe)
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:24]


def store(entry: Path, recipe: Recipe, log: EventLog) -> None:
    """Write the log's columns as a new entry, atomically: into a temporary directory, then renamed."""
    arrays = _arrays(log)
    staging = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
    try:
        columns = {}
        for name, values in arrays.items():
            path = staging / f"{name}.npy"
            with path.open("wb") as stream:
                np.lib.format.write_array(stream, np.ascontiguousarray(values), allow_pickle=False)
                # The room for appends: a hole at the end of the file, read as zeros.
                stream.truncate(stream.tell() + HEADROOM * values.dtype.itemsize)
            columns[name] = {"dtype": values.dtype.str, "rows": len(values), "checksum": checksum(values)}
        manifest = {"format": FORMAT, "version": FORMAT_VERSION, "generator": GENERATOR_VERSION}
        manifest |= {"recipe": _recipe_fields(recipe), "columns": columns}
        (staging / _MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        staging.chmod(0o755)  # readable by other users' processes sharing the cache, as the files are
        if entry.exists():  # a damaged entry, or one another process finished meanwhile
            shutil.rmtree(entry, ignore_errors=True)
        os.rename(staging, entry)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not entry.is_dir():
            raise


def load(entry: Path, recipe: Recipe) -> EventLog | None:
    """The entry's log, mapped, or None when it is missing, incomplete, damaged or of another version."""
    try:
        manifest = json.loads((entry / _MANIFEST).read_text(encoding="utf-8"))
        expected = {"format": FORMAT, "version": FORMAT_VERSION, "generator": GENERATOR_VERSION}
        if any(manifest.get(name) != value for name, value in expected.items()):
            return None
        if manifest.get("recipe") != _recipe_fields(recipe):
            return None
        columns = manifest["columns"]
        # Each column checked on a core of its own: reading and summing let go of the GIL.
        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
            checked = pool.map(lambda name: (name, _mapped(entry / f"{name}.npy", columns[name])), _names())
            mapped = dict(checked)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if any(array is None for array in mapped.values()):
        return None
    storage = {
        name: Column(array.dtype, array, length=int(columns[name]["rows"]))
        for name, array in mapped.items()
        if array is not None
    }
    group_rows = [storage.pop(f"rows_{group.code}") for group in GROUPS]
    return EventLog.of_columns(storage, group_rows)


def checksum(values: npt.NDArray[Any]) -> str:
    """Length, and two sums of its 64-bit words (plain, and weighted by 512 KB block): fast enough for gigabytes."""
    raw = np.ascontiguousarray(values).reshape(-1).view(np.uint8)
    summer = _Checksum()
    for start in range(0, len(raw), _READ_BYTES):
        summer.update(raw[start : start + _READ_BYTES])
    return summer.hexdigest()


def file_checksum(path: Path, offset: int, size: int) -> str:
    """`checksum` of `size` bytes of a file from `offset`, read through a buffer rather than a mapping.

    Reading copies from the page cache at memory speed; touching a mapping would fault every page into the
    process first, which at gigabytes costs more than the sums.
    """
    summer = _Checksum()
    buffer = np.empty(min(_READ_BYTES, max(size, 1)), dtype=np.uint8)
    with path.open("rb", buffering=0) as stream:
        stream.seek(offset)
        left = size
        while left > 0:
            wanted = buffer.data[: min(left, len(buffer))]
            got = stream.readinto(wanted)
            if not got:
                raise ValueError(f"{path} ends early")
            summer.update(buffer[:got])
            left -= got
    return summer.hexdigest()


class _Checksum:
    """Running state of `checksum`; every update but the last is a whole number of blocks long."""

    def __init__(self) -> None:
        self.length = self.total = self.weighted = self.blocks = 0
        self.tail = b""

    def update(self, data: npt.NDArray[np.uint8]) -> None:
        self.length += len(data)
        whole = len(data) // 8 * 8
        words = data[:whole].view(np.uint64)
        full = len(words) // _CHECKSUM_WORDS * _CHECKSUM_WORDS
        if full:
            sums = words[:full].reshape(-1, _CHECKSUM_WORDS).sum(axis=1, dtype=np.uint64)
            weights = np.arange(self.blocks + 1, self.blocks + len(sums) + 1, dtype=np.uint64)
            self.total = (self.total + int(sums.sum(dtype=np.uint64))) % 2**64
            self.weighted = (self.weighted + int((sums * weights).sum(dtype=np.uint64))) % 2**64
            self.blocks += len(sums)
        if full < len(words):
            self.blocks += 1
            part = int(words[full:].sum(dtype=np.uint64))
            self.total = (self.total + part) % 2**64
            self.weighted = (self.weighted + self.blocks * part) % 2**64
        self.tail = data[whole:].tobytes()

    def hexdigest(self) -> str:
        return f"{self.length}:{self.total:016x}:{self.weighted:016x}:{int.from_bytes(self.tail, 'little'):x}"


def _mapped(path: Path, column: dict[str, Any]) -> npt.NDArray[Any] | None:
    dtype, rows = np.dtype(column["dtype"]), int(column["rows"])
    with path.open("rb") as stream:
        major, _ = np.lib.format.read_magic(stream)
        if major != 1:
            return None
        shape, fortran, header_dtype = np.lib.format.read_array_header_1_0(stream)
        offset = stream.tell()
    if header_dtype != dtype or shape != (rows,) or fortran:
        return None
    if path.stat().st_size != offset + (rows + HEADROOM) * dtype.itemsize:
        return None
    if file_checksum(path, offset, rows * dtype.itemsize) != column["checksum"]:
        return None
    # Copy-on-write: reads share the page cache, writes (appends) go to this process's own pages.
    mapped = np.memmap(path, dtype=dtype, mode="c", offset=offset, shape=(rows + HEADROOM,))
    # A plain array over the mapping, so that readers never get np.memmap back from slices.
    return mapped.view(np.ndarray)


def _arrays(log: EventLog) -> dict[str, npt.NDArray[Any]]:
    arrays: dict[str, npt.NDArray[Any]] = {name: getattr(log, name).values for name in COLUMN_NAMES}
    for group in GROUPS:
        arrays[f"rows_{group.code}"] = log.group_rows(group)
    return arrays


def _names() -> list[str]:
    return [*COLUMN_NAMES, *(f"rows_{group.code}" for group in GROUPS)]


def _recipe_fields(recipe: Recipe) -> dict[str, str]:
    return {name: str(value) for name, value in asdict(recipe).items()}


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` for the block; the kernel drops it if the process dies."""
    with path.open("a") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
